package dev.palisade.model.usage;

import java.time.YearMonth;
import java.time.ZoneOffset;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/** Usage is computed from the workloads themselves, the one record of what ran: no counters to drift. */
@Service
public class UsageService {

    private final JdbcClient jdbc;

    UsageService(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The tenant's usage in {@code month} (UTC), with its current storage and queue. */
    public Usage of(long tenantId, YearMonth month) {
        var from = month.atDay(1).atStartOfDay().atOffset(ZoneOffset.UTC);
        var to = month.plusMonths(1).atDay(1).atStartOfDay().atOffset(ZoneOffset.UTC);
        return jdbc.sql("""
                select coalesce(sum(cpu_millis) filter (where created_at >= :from and created_at < :to), 0) as cpu,
                       coalesce(sum(wall_millis) filter (where created_at >= :from and created_at < :to), 0) as wall,
                       count(*) filter (where created_at >= :from and created_at < :to) as n,
                       coalesce(sum(input_bytes + log_bytes + artifact_bytes)
                                filter (where created_at >= :from and created_at < :to), 0) as bytes,
                       coalesce(sum(input_bytes + log_bytes + artifact_bytes), 0) as stored,
                       count(*) filter (where state = 'RUNNING') as running,
                       count(*) filter (where state = 'QUEUED') as queued
                from workload where tenant_id = :tenant""")
                .param("tenant", tenantId).param("from", from).param("to", to)
                .query((rs, i) -> new Usage(month, rs.getLong("cpu"), rs.getLong("wall"), rs.getLong("n"),
                        rs.getLong("bytes"), rs.getLong("stored"), rs.getLong("running"), rs.getLong("queued")))
                .single();
    }
}
