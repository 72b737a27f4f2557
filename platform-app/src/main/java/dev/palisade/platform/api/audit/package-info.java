/**
 * The audit log in REST API v1 ({@code /api/v1/audit}), for platform admins only.
 */
package dev.palisade.platform.api.audit;
