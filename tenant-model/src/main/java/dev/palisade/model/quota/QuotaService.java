package dev.palisade.model.quota;

import dev.palisade.model.NotFoundException;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.usage.UsageService;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class QuotaService {

    private final QuotaRepository quotas;
    private final AuditLog audit;
    private final UsageService usage;

    QuotaService(QuotaRepository quotas, AuditLog audit, UsageService usage) {
        this.quotas = quotas;
        this.audit = audit;
        this.usage = usage;
    }

    /** Called by tenant creation, inside its transaction (and audited there). */
    @Transactional
    public Quota createDefault(Tenant tenant) {
        return quotas.save(new Quota(tenant, QuotaLimits.DEFAULT));
    }

    @Transactional(readOnly = true)
    public Quota get(Tenant tenant) {
        return quotas.findById(tenant.getId())
                .orElseThrow(() -> new NotFoundException("no quota for tenant '" + tenant.getSlug() + "'"));
    }

    /** The month's CPU seconds, all used: the quota and what the usage records sum to. */
    public record CpuUsedUp(long quotaSeconds, long usedSeconds) {
    }

    /**
     * Whether the tenant has used up its CPU seconds for this month (UTC), as the usage records
     * sum them: asked while services run, which are stopped then. (Admission asks whether a new
     * workload's ceiling still fits.) Empty while some remain.
     */
    @Transactional(readOnly = true)
    public Optional<CpuUsedUp> cpuUsedUp(long tenantId) {
        QuotaLimits q = quotas.findById(tenantId).map(Quota::limits)
                .orElseThrow(() -> new NotFoundException("no quota for tenant " + tenantId));
        long used = usage.of(tenantId, YearMonth.now(ZoneOffset.UTC)).cpuMillis();
        return used < q.cpuSecondsPerMonth() * 1000 ? Optional.empty()
                : Optional.of(new CpuUsedUp(q.cpuSecondsPerMonth(), used / 1000));
    }

    @Transactional
    public Quota replace(String actor, Tenant tenant, QuotaLimits limits) {
        Quota quota = get(tenant);
        quota.apply(limits);
        audit.record(actor, tenant, "quota.update", "tenant:" + tenant.getSlug(), Map.of(
                "maxConcurrentWorkloads", limits.maxConcurrentWorkloads(), "maxCpuMillis", limits.maxCpuMillis(),
                "maxWallMillis", limits.maxWallMillis(), "maxMemoryBytes", limits.maxMemoryBytes(),
                "maxProcesses", limits.maxProcesses(), "maxOutputBytes", limits.maxOutputBytes(),
                "cpuSecondsPerMonth", limits.cpuSecondsPerMonth(), "storageBytes", limits.storageBytes()));
        return quota;
    }
}
