package dev.palisade.model.usage;

import dev.palisade.model.NotFoundException;
import dev.palisade.model.quota.QuotaLimits;
import java.time.YearMonth;
import java.time.ZoneOffset;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Usage read from the running totals (tenant_usage, tenant_usage_month) that triggers on the
 * workload table keep in the same transaction as every change (see V21__usage_rollup.sql): a
 * read is one row, however many workloads the tenant has run.
 */
@Service
public class UsageService {

    private final JdbcClient jdbc;

    UsageService(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The tenant's usage in {@code month} (UTC), with its current storage and queue. */
    public Usage of(long tenantId, YearMonth month) {
        return jdbc.sql("""
                select coalesce(m.cpu_millis, 0) as cpu, coalesce(m.wall_millis, 0) as wall,
                       coalesce(m.workloads, 0) as n, coalesce(m.bytes, 0) as bytes,
                       u.stored_bytes, u.running, u.queued
                from tenant_usage u
                left join tenant_usage_month m on m.tenant_id = u.tenant_id and m.month = :month
                where u.tenant_id = :tenant""")
                .param("tenant", tenantId).param("month", month.atDay(1))
                .query((rs, i) -> new Usage(month, rs.getLong("cpu"), rs.getLong("wall"), rs.getLong("n"),
                        rs.getLong("bytes"), rs.getLong("stored_bytes"), rs.getLong("running"), rs.getLong("queued")))
                .optional()
                .orElseGet(() -> new Usage(month, 0, 0, 0, 0, 0, 0, 0));
    }

    /**
     * What admission decides on, read under a lock on the tenant's usage row that lasts until
     * the caller's transaction ends: concurrent submits of one tenant are admitted one after
     * the other, each seeing the queue and the reserved CPU of every one admitted before it.
     * The tenant's status is read here too, so a suspension that committed first is seen.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public AdmissionView lockForAdmission(long tenantId) {
        // the lock first, then a fresh read (a new statement, a new snapshot): whatever committed
        // while we waited for the lock is counted
        if (!lock(tenantId)) {
            // every tenant gets its row when it is made (a trigger); a missing one must not open the gate
            jdbc.sql("insert into tenant_usage (tenant_id) values (:tenant) on conflict do nothing")
                    .param("tenant", tenantId).update();
            lock(tenantId);
        }
        YearMonth month = YearMonth.now(ZoneOffset.UTC);
        return jdbc.sql("""
                select t.status, q.max_concurrent_workloads, q.max_cpu_millis, q.max_wall_millis, q.max_memory_bytes,
                       q.max_processes, q.max_output_bytes, q.cpu_seconds_per_month, q.storage_bytes,
                       u.queued, u.running, u.reserved_cpu_millis, u.stored_bytes,
                       coalesce((select m.cpu_millis from tenant_usage_month m
                                 where m.tenant_id = u.tenant_id and m.month = :month), 0) as month_cpu
                from tenant_usage u join tenant t on t.id = u.tenant_id join quota q on q.tenant_id = u.tenant_id
                where u.tenant_id = :tenant""")
                .param("tenant", tenantId).param("month", month.atDay(1))
                .query((rs, i) -> new AdmissionView("ACTIVE".equals(rs.getString("status")),
                        new QuotaLimits(rs.getInt("max_concurrent_workloads"), rs.getLong("max_cpu_millis"),
                                rs.getLong("max_wall_millis"), rs.getLong("max_memory_bytes"), rs.getInt("max_processes"),
                                rs.getLong("max_output_bytes"), rs.getLong("cpu_seconds_per_month"),
                                rs.getLong("storage_bytes")),
                        rs.getLong("month_cpu"), rs.getLong("reserved_cpu_millis"), rs.getLong("stored_bytes"),
                        rs.getLong("queued"), rs.getLong("running")))
                .optional()
                .orElseThrow(() -> new NotFoundException("no quota for tenant " + tenantId));
    }

    private boolean lock(long tenantId) {
        return !jdbc.sql("select 1 from tenant_usage where tenant_id = :tenant for update")
                .param("tenant", tenantId).query().listOfRows().isEmpty();
    }

    /**
     * The tenant as admission sees it.
     *
     * @param active            the tenant is not suspended
     * @param cpuMillisUsed     CPU used by this month's workloads
     * @param cpuMillisReserved CPU ceilings of the queued and running workloads, which they may still use
     */
    public record AdmissionView(boolean active, QuotaLimits quota, long cpuMillisUsed, long cpuMillisReserved,
            long storedBytes, long queued, long running) {
    }
}
