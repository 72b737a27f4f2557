package dev.palisade.model.workload;

import dev.palisade.model.NotFoundException;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.quota.QuotaLimits;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.usage.UsageService;
import dev.palisade.model.usage.UsageService.AdmissionView;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Submission with admission control, and the tenant-scoped reads. Running, cancelling and
 * finishing belong to the dispatcher (platform-app), which works on the table directly.
 */
@Service
public class WorkloadService {

    private final WorkloadRepository workloads;
    private final UsageService usage;
    private final AuditLog audit;
    private final JdbcClient jdbc;

    WorkloadService(WorkloadRepository workloads, UsageService usage, AuditLog audit, JdbcClient jdbc) {
        this.workloads = workloads;
        this.usage = usage;
        this.audit = audit;
        this.jdbc = jdbc;
    }

    /**
     * Admits and queues a workload, or stores it REJECTED with the reason; either way it is
     * audited. A rejected workload comes back with {@link #refusal} saying why. Admission holds
     * the tenant's usage row locked until the transaction ends (see
     * {@link UsageService#lockForAdmission}), so concurrent submits cannot together pass the
     * queue bound or the month's CPU.
     *
     * @param inputBytes size of the uploaded input archive (counts against storage)
     * @param maxQueued  bound on the tenant's waiting workloads
     */
    @Transactional
    public Admitted submit(String actor, Tenant tenant, NewWorkload spec, long inputBytes, int maxQueued) {
        AdmissionView view = usage.lockForAdmission(tenant.getId());
        WorkloadLimits limits = spec.limits().within(view.quota());
        Workload w = new Workload(tenant, spec.name(), spec.image(), spec.commandJson(), spec.envJson(),
                spec.platform(), limits.toJson());
        w.setMaxAttempts(spec.maxAttempts());
        w.setNetwork(spec.network());
        w.setInputBytes(inputBytes);
        Optional<AdmissionException> refusal = admit(tenant, view, limits, inputBytes, maxQueued);
        refusal.ifPresent(r -> w.reject(r.getMessage()));
        insert(w);
        audit.record(actor, tenant, refusal.isEmpty() ? "workload.submit" : "workload.reject",
                "workload:" + w.getId(), refusal.isEmpty() ? Map.of("name", spec.name())
                        : Map.of("name", spec.name(), "reason", refusal.get().getMessage()));
        return new Admitted(w, refusal.orElse(null));
    }

    /**
     * One plain insert on the transaction's connection, the entity left unmanaged: every submit
     * writes one, and the entity manager's persist and flush were about a third of a submit's CPU.
     * Columns not named take the table's defaults, which are the entity's initial values.
     */
    private void insert(Workload w) {
        jdbc.sql("""
                insert into workload (id, tenant_id, name, image, command, env, platform, limits, state,
                    termination_reason, message, attempts, max_attempts, input_bytes, created_at, finished_at, network)
                values (:id, :tenant, :name, :image, cast(:command as jsonb), cast(:env as jsonb), :platform,
                    cast(:limits as jsonb), :state, :reason, :message, :attempts, :maxAttempts, :inputBytes, :createdAt,
                    :finishedAt, :network)""")
                .param("id", w.getId()).param("tenant", w.getTenant().getId()).param("name", w.getName())
                .param("image", w.getImage()).param("command", w.getCommand()).param("env", w.getEnv())
                .param("platform", w.getPlatform()).param("limits", w.getLimits()).param("state", w.getState().name())
                .param("reason", w.getTerminationReason(), Types.VARCHAR).param("message", w.getMessage(), Types.VARCHAR)
                .param("attempts", w.getAttempts()).param("maxAttempts", w.getMaxAttempts())
                .param("inputBytes", w.getInputBytes()).param("createdAt", utc(w.getCreatedAt()))
                .param("finishedAt", utc(w.getFinishedAt()), Types.TIMESTAMP_WITH_TIMEZONE)
                .param("network", w.getNetwork(), Types.VARCHAR)
                .update();
    }

    private static OffsetDateTime utc(Instant t) {
        return t == null ? null : t.atOffset(ZoneOffset.UTC);
    }

    /** The workload as stored, and why admission refused it (null when queued). */
    public record Admitted(Workload workload, AdmissionException refusal) {
    }

    private Optional<AdmissionException> admit(Tenant tenant, AdmissionView u, WorkloadLimits l, long inputBytes,
            int maxQueued) {
        QuotaLimits q = u.quota();
        if (!u.active()) {
            return Optional.of(new AdmissionException("tenant.status", 0, 0, false,
                    "tenant '" + tenant.getSlug() + "' is suspended"));
        }
        Optional<AdmissionException> ceiling = over("maxCpuMillis", q.maxCpuMillis(), l.cpuMillis())
                .or(() -> over("maxWallMillis", q.maxWallMillis(), l.wallMillis()))
                .or(() -> over("maxMemoryBytes", q.maxMemoryBytes(), l.memoryBytes()))
                .or(() -> over("maxProcesses", q.maxProcesses(), l.maxProcesses().longValue()))
                .or(() -> over("maxOutputBytes", q.maxOutputBytes(), l.outputBytes()));
        if (ceiling.isPresent()) {
            return ceiling;
        }
        // what queued and running work may still use counts too: admitted work never adds up past the quota
        long cpuQuotaMillis = q.cpuSecondsPerMonth() * 1000;
        long committed = u.cpuMillisUsed() + u.cpuMillisReserved();
        if (committed + l.cpuMillis() > cpuQuotaMillis) {
            return Optional.of(new AdmissionException("cpuSecondsPerMonth", q.cpuSecondsPerMonth(), committed / 1000,
                    true, "CPU seconds per month: quota " + q.cpuSecondsPerMonth() + " s, used " + u.cpuMillisUsed() / 1000
                            + " s, reserved by queued and running workloads " + ceilDiv(u.cpuMillisReserved(), 1000)
                            + " s, this workload may use up to " + ceilDiv(l.cpuMillis(), 1000) + " s more"));
        }
        if (u.storedBytes() + inputBytes > q.storageBytes()) {
            return Optional.of(new AdmissionException("storageBytes", q.storageBytes(), u.storedBytes(), false,
                    "storage: quota " + q.storageBytes() + " bytes, stored " + u.storedBytes() + " bytes, input "
                            + inputBytes + " bytes"));
        }
        if (u.queued() >= maxQueued) {
            return Optional.of(new AdmissionException("maxQueued", maxQueued, u.queued(), true,
                    "queue full: at most " + maxQueued + " workloads may wait, " + u.queued() + " are waiting"));
        }
        return Optional.empty();
    }

    private static Optional<AdmissionException> over(String limit, long quota, long requested) {
        if (requested <= 0) {
            return Optional.of(new AdmissionException(limit, quota, requested, false,
                    limit + ": must be positive, was " + requested));
        }
        if (requested > quota) {
            return Optional.of(new AdmissionException(limit, quota, requested, false,
                    limit + ": the quota allows " + quota + " per workload, " + requested + " was asked"));
        }
        return Optional.empty();
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    @Transactional(readOnly = true)
    public Workload get(Tenant tenant, UUID id) {
        return workloads.findByIdAndTenant(id, tenant)
                .orElseThrow(() -> new NotFoundException("no workload " + id));
    }
}
