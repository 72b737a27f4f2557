/**
 * The web edge: what the platform tells apart before anything else sees a request. The console
 * lives on its own host ({@code palisade.edge.console-host}) and hosted services on another site,
 * {@code {service}.{tenant}.<apps domain>} ({@link AppsSite}), so that a tenant's page is never of
 * the console's origin; the platform refuses to start with an apps domain that could share the
 * console's cookies. Forwarding headers (scheme, client address) are believed only from the
 * configured trusted proxies ({@link TrustedProxies}) and dropped from anyone else.
 */
package dev.palisade.platform.edge;
