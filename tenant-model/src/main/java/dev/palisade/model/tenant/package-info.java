/**
 * Tenants: the unit that owns users, tokens, quotas and workloads, known by a slug.
 * {@link TenantService} creates a tenant with the default quota, renames, suspends and deletes it
 * (the audit trail stays); a tenant that is not active ({@link TenantStatus}) has every user and
 * token refused.
 */
package dev.palisade.model.tenant;
