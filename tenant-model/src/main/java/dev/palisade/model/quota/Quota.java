package dev.palisade.model.quota;

import dev.palisade.model.tenant.Tenant;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

@Entity
@Table(name = "quota")
public class Quota {

    @Id
    @Column(name = "tenant_id")
    private Long tenantId;

    @Column(name = "max_concurrent_workloads", nullable = false)
    private int maxConcurrentWorkloads;

    @Column(name = "max_cpu_millis", nullable = false)
    private long maxCpuMillis;

    @Column(name = "max_wall_millis", nullable = false)
    private long maxWallMillis;

    @Column(name = "max_memory_bytes", nullable = false)
    private long maxMemoryBytes;

    @Column(name = "max_processes", nullable = false)
    private int maxProcesses;

    @Column(name = "max_output_bytes", nullable = false)
    private long maxOutputBytes;

    @Column(name = "cpu_seconds_per_month", nullable = false)
    private long cpuSecondsPerMonth;

    @Column(name = "storage_bytes", nullable = false)
    private long storageBytes;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    protected Quota() {
    }

    Quota(Tenant tenant, QuotaLimits limits) {
        this.tenantId = tenant.getId();
        apply(limits);
    }

    void apply(QuotaLimits l) {
        maxConcurrentWorkloads = l.maxConcurrentWorkloads();
        maxCpuMillis = l.maxCpuMillis();
        maxWallMillis = l.maxWallMillis();
        maxMemoryBytes = l.maxMemoryBytes();
        maxProcesses = l.maxProcesses();
        maxOutputBytes = l.maxOutputBytes();
        cpuSecondsPerMonth = l.cpuSecondsPerMonth();
        storageBytes = l.storageBytes();
        updatedAt = Instant.now();
    }

    public QuotaLimits limits() {
        return new QuotaLimits(maxConcurrentWorkloads, maxCpuMillis, maxWallMillis, maxMemoryBytes,
                maxProcesses, maxOutputBytes, cpuSecondsPerMonth, storageBytes);
    }

    public Long getTenantId() {
        return tenantId;
    }

    public Instant getUpdatedAt() {
        return updatedAt;
    }
}
