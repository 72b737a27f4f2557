/**
 * What every console and portal page shares: the signed-in person as a controller parameter
 * ({@link CurrentUser}, read from the database on every request, whose tenant is the portal's
 * tenant, never one from a URL), the layout's model, errors shown as pages (another tenant's
 * object looks like a missing one), the one-line message after an action ({@link Flash}), paging
 * of lists, and how pages write times, durations and sizes ({@link Formats}).
 */
package dev.palisade.web.support;
