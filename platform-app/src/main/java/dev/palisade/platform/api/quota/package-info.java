/**
 * A tenant's quota in REST API v1 ({@code /api/v1/tenants/{tenant}/quota}): every user of the
 * tenant may read it, only a platform admin may change it.
 */
package dev.palisade.platform.api.quota;
