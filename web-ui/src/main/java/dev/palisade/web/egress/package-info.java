/**
 * The console's page for a tenant's egress allowlist (platform admins): what the tenant's
 * sandboxes with the {@code egress} network policy may reach beyond the public internet.
 */
package dev.palisade.web.egress;
