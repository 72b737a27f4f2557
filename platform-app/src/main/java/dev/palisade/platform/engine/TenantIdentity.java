package dev.palisade.platform.engine;

import dev.palisade.platform.workload.WorkloadProperties;
import org.springframework.stereotype.Component;

/**
 * Each tenant's programs run as their own unprivileged uid and gid: {@code base + tenant id}
 * ({@code palisade.workloads.tenant-uid-base}, default 200000). Deterministic, so every node
 * agrees, and files a tenant's program leaves are owned by that tenant alone.
 */
@Component
public class TenantIdentity {

    private final int base;

    TenantIdentity(WorkloadProperties properties) {
        this.base = properties.tenantUidBase();
    }

    public int uid(long tenantId) {
        long uid = base + tenantId;
        if (uid <= 0 || uid > Integer.MAX_VALUE - 1) {
            throw new IllegalStateException("tenant id " + tenantId + " has no uid in the range from " + base);
        }
        return (int) uid;
    }
}
