/**
 * A tenant's users in REST API v1 ({@code /api/v1/tenants/{tenant}/users}), managed by platform
 * admins and the tenant's own admins. The tenant comes from the path only, and no platform admin
 * can be made here.
 */
package dev.palisade.platform.api.user;
