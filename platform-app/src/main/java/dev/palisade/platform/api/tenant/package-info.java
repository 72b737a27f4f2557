/**
 * Tenants in REST API v1 ({@code /api/v1/tenants}), for platform admins only; to a tenant's user,
 * another tenant's slug answers 404 as if it did not exist.
 */
package dev.palisade.platform.api.tenant;
