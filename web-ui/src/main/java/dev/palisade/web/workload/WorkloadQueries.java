package dev.palisade.web.workload;

import dev.palisade.model.workload.WorkloadState;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.Slice;
import org.springframework.data.domain.SliceImpl;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The read side of the workload pages: plain SQL, newest first, one page at a time (a page asks
 * for one row more than it shows to know whether there is a next one, so no count over the
 * whole table). Served by the indexes on (tenant_id, created_at) and (state, created_at).
 */
@Component
public class WorkloadQueries {

    private static final String COLUMNS = """
            select w.id, t.slug, w.name, w.image, w.platform, w.state, w.created_at, w.started_at, w.finished_at,
                   w.exit_code, w.termination_reason, w.cpu_millis, w.wall_millis, w.peak_memory_bytes, w.node, w.kind
            from workload w join tenant t on t.id = w.tenant_id
            """;

    private final NamedParameterJdbcTemplate jdbc;

    WorkloadQueries(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Workloads newest first; null tenantId means every tenant, null state every state. */
    public Slice<WorkloadRow> list(Long tenantId, String tenantSlug, WorkloadState state, Pageable page) {
        List<String> where = new ArrayList<>();
        MapSqlParameterSource params = new MapSqlParameterSource();
        if (tenantId != null) {
            where.add("w.tenant_id = :tenantId");
            params.addValue("tenantId", tenantId);
        }
        if (tenantSlug != null) {
            where.add("t.slug = :slug");
            params.addValue("slug", tenantSlug);
        }
        if (state != null) {
            where.add("w.state = :state");
            params.addValue("state", state.name());
        }
        params.addValue("limit", page.getPageSize() + 1).addValue("offset", page.getOffset());
        String sql = COLUMNS + (where.isEmpty() ? "" : " where " + String.join(" and ", where))
                + " order by w.created_at desc limit :limit offset :offset";
        List<WorkloadRow> rows = jdbc.query(sql, params, WorkloadQueries::row);
        boolean hasNext = rows.size() > page.getPageSize();
        return new SliceImpl<>(hasNext ? rows.subList(0, page.getPageSize()) : rows, page, hasNext);
    }

    public boolean anyActive(Long tenantId) {
        Boolean any = jdbc.queryForObject(
                "select exists (select 1 from workload where tenant_id = :t and state in ('QUEUED', 'RUNNING'))",
                new MapSqlParameterSource("t", tenantId), Boolean.class);
        return Boolean.TRUE.equals(any);
    }

    /** One workload; with a tenant id, only when it belongs to that tenant. */
    public Optional<WorkloadDetail> find(UUID id, Long tenantId) {
        MapSqlParameterSource params = new MapSqlParameterSource("id", id);
        String sql = """
                select w.id, t.slug, w.name, w.image, w.platform, w.state, w.created_at, w.started_at, w.finished_at,
                       w.exit_code, w.termination_reason, w.cpu_millis, w.wall_millis, w.peak_memory_bytes, w.node, w.kind,
                       w.command::text as command, w.env::text as env, w.limits::text as limits, w.result::text as result,
                       w.attempts, w.message, w.artifact_bytes, w.log_bytes,
                       s.service_name, s.port, s.restart_policy, s.health_path, s.status as service_status, s.restarts,
                       s.last_exit, s.healthy_at
                from workload w join tenant t on t.id = w.tenant_id
                left join service_deployment s on s.workload_id = w.id
                where w.id = :id
                """;
        if (tenantId != null) {
            sql += " and w.tenant_id = :tenantId";
            params.addValue("tenantId", tenantId);
        }
        return jdbc.query(sql, params, (rs, n) -> new WorkloadDetail(row(rs, n), rs.getString("command"),
                rs.getString("env"), rs.getString("limits"), rs.getString("result"), rs.getInt("attempts"),
                rs.getString("message"), rs.getLong("artifact_bytes"), rs.getLong("log_bytes"), service(rs)))
                .stream().findFirst();
    }

    static WorkloadRow row(ResultSet rs, int n) throws SQLException {
        return new WorkloadRow(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getString(5), WorkloadState.valueOf(rs.getString(6)), instant(rs.getTimestamp(7)),
                instant(rs.getTimestamp(8)), instant(rs.getTimestamp(9)), (Integer) rs.getObject(10),
                rs.getString(11), (Long) rs.getObject(12), (Long) rs.getObject(13), (Long) rs.getObject(14),
                rs.getString(15), rs.getString(16));
    }

    /** The deployment of a SERVICE workload, as its detail page shows it; null for a job. */
    private static WorkloadDetail.Service service(ResultSet rs) throws SQLException {
        String name = rs.getString("service_name");
        if (name == null) {
            return null;
        }
        return new WorkloadDetail.Service(name, rs.getInt("port"), rs.getString("restart_policy"),
                rs.getString("health_path"), rs.getString("service_status"), rs.getInt("restarts"),
                rs.getString("last_exit"), instant(rs.getTimestamp("healthy_at")));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
