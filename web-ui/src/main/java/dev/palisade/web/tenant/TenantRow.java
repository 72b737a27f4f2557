package dev.palisade.web.tenant;

import dev.palisade.model.tenant.TenantStatus;
import java.time.Instant;

/** A line of the tenants list, with how many users and active workloads the tenant has. */
public record TenantRow(String slug, String displayName, TenantStatus status, Instant createdAt, long users,
        long activeWorkloads) {
}
