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
                select m.cpu, m.wall, m.n, m.bytes, u.stored_bytes, u.running, u.queued
                from (select coalesce(sum(cpu_millis), 0) as cpu, coalesce(sum(wall_millis), 0) as wall,
                             coalesce(sum(workloads), 0) as n, coalesce(sum(bytes), 0) as bytes
                      from tenant_usage_month where tenant_id = :tenant and month = :month) m,
                     (select coalesce(sum(stored_bytes), 0) as stored_bytes, coalesce(sum(running), 0) as running,
                             coalesce(sum(queued), 0) as queued
                      from tenant_usage where tenant_id = :tenant) u""")
                .param("tenant", tenantId).param("month", month.atDay(1))
                .query((rs, i) -> new Usage(month, rs.getLong("cpu"), rs.getLong("wall"), rs.getLong("n"),
                        rs.getLong("bytes"), rs.getLong("stored_bytes"), rs.getLong("running"), rs.getLong("queued")))
                .single();
    }

    /**
     * What admission decides on, read under a lock on the tenant's part-0 usage row (the one
     * submits write) that lasts until the caller's transaction ends: concurrent submits of one
     * tenant are admitted one after the other, each seeing the queue and the reserved CPU of
     * every one admitted before it. Workers write the other parts and never wait for this lock;
     * what they have not committed yet only makes admission stricter (see V21__usage_rollup.sql).
     * The tenant's status is read here too, so a suspension that committed first is seen.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public AdmissionView lockForAdmission(long tenantId) {
        // the lock first, then a fresh read (a new statement, a new snapshot): whatever committed
        // while we waited for the lock is counted
        if (!lock(tenantId)) {
            // every tenant gets its row when it is made (a trigger); a missing one must not open the gate
            jdbc.sql("insert into tenant_usage (tenant_id, part) values (:tenant, 0) on conflict do nothing")
                    .param("tenant", tenantId).update();
            lock(tenantId);
        }
        YearMonth month = YearMonth.now(ZoneOffset.UTC);
        return jdbc.sql("""
                select t.status, q.max_concurrent_workloads, q.max_cpu_millis, q.max_wall_millis, q.max_memory_bytes,
                       q.max_processes, q.max_output_bytes, q.cpu_seconds_per_month, q.storage_bytes,
                       u.queued, u.running, u.reserved_cpu_millis, u.stored_bytes,
                       coalesce((select sum(m.cpu_millis) from tenant_usage_month m
                                 where m.tenant_id = t.id and m.month = :month), 0) as month_cpu
                from tenant t join quota q on q.tenant_id = t.id
                cross join lateral (select coalesce(sum(queued), 0) as queued, coalesce(sum(running), 0) as running,
                                           coalesce(sum(reserved_cpu_millis), 0) as reserved_cpu_millis,
                                           coalesce(sum(stored_bytes), 0) as stored_bytes
                                    from tenant_usage where tenant_id = t.id) u
                where t.id = :tenant""")
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
        return !jdbc.sql("select 1 from tenant_usage where tenant_id = :tenant and part = 0 for update")
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
