/**
 * The first pages of both front ends: the console's dashboard (what runs, what waits, what
 * changed, the last week) and the portal's (the tenant's usage against each quota, its latest
 * workloads). Their figures are aggregate queries, and their charts are drawn on the server as
 * inline SVG ({@link DayBars}, {@link UsageBar}), with no script and no chart library.
 */
package dev.palisade.web.dashboard;
