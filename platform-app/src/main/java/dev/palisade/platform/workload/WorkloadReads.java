package dev.palisade.platform.workload;

import dev.palisade.model.workload.WorkloadState;
import dev.palisade.platform.api.PageResponse;
import dev.palisade.platform.workload.WorkloadController.WorkloadResponse;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.data.domain.Pageable;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The API's workload reads, straight from SQL into the response: one statement each on a pooled
 * connection, no transaction, no entity manager. {@code GET …/workloads/{id}} and the list are
 * nine in ten API calls; through Hibernate (a read-only transaction, the query plan, a second
 * count query re-translated on every call) they cost more CPU than everything else of a request.
 * Every query is scoped by the tenant id, so another tenant's workload is simply not found.
 */
@Component
class WorkloadReads {

    private static final String COLUMNS = """
            w.id, w.name, w.image, w.command, w.env, w.platform, w.limits, w.state, w.exit_code,
            w.termination_reason, w.message, w.cpu_millis, w.wall_millis, w.peak_memory_bytes, w.node, w.attempts,
            w.max_attempts, w.cancel_requested, w.input_bytes, w.log_bytes, w.artifact_bytes, w.created_at,
            w.started_at, w.finished_at, w.result, w.kind""";

    private final JdbcClient jdbc;

    WorkloadReads(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<WorkloadResponse> get(long tenantId, String slug, UUID id) {
        return jdbc.sql("select " + COLUMNS + " from workload w where w.id = :id and w.tenant_id = :tenant")
                .param("id", id).param("tenant", tenantId)
                .query(mapper(slug))
                .optional();
    }

    /**
     * One page, newest first unless the pageable says otherwise. The total comes with the rows
     * (a scalar subquery, counted once in the same snapshot); only a page past the end, which has
     * no row to carry it, asks for it separately.
     *
     * @param pageable sorted by column names of the workload table, from a fixed list (never by client text)
     */
    PageResponse<WorkloadResponse> list(long tenantId, String slug, WorkloadState state, Pageable pageable) {
        String where = "w.tenant_id = :tenant" + (state == null ? "" : " and w.state = :state");
        String order = pageable.getSort().stream()
                .map(o -> "w." + o.getProperty() + (o.isAscending() ? " asc" : " desc"))
                .collect(Collectors.joining(", "));
        RowMapper<WorkloadResponse> workload = mapper(slug);
        long[] total = {-1};
        List<WorkloadResponse> rows = params(jdbc.sql("select " + COLUMNS
                + ", (select count(*) from workload w where " + where + ") as total from workload w where " + where
                + " order by " + order + " limit :limit offset :offset"), tenantId, state)
                .param("limit", pageable.getPageSize()).param("offset", pageable.getOffset())
                .query((rs, i) -> {
                    total[0] = rs.getLong("total");
                    return workload.mapRow(rs, i);
                })
                .list();
        if (rows.isEmpty()) {
            total[0] = params(jdbc.sql("select count(*) from workload w where " + where), tenantId, state)
                    .query(Long.class).single();
        }
        int size = pageable.getPageSize();
        return new PageResponse<>(rows, pageable.getPageNumber(), size, total[0],
                (int) ((total[0] + size - 1) / size));
    }

    private static JdbcClient.StatementSpec params(JdbcClient.StatementSpec statement, long tenantId,
            WorkloadState state) {
        statement.param("tenant", tenantId);
        return state == null ? statement : statement.param("state", state.name());
    }

    private static RowMapper<WorkloadResponse> mapper(String slug) {
        return (rs, i) -> new WorkloadResponse(rs.getObject("id", UUID.class), slug, rs.getString("name"),
                rs.getString("image"), JsonbText.compact(rs.getString("command")),
                JsonbText.compact(rs.getString("env")), rs.getString("platform"),
                JsonbText.compact(rs.getString("limits")), WorkloadState.valueOf(rs.getString("state")),
                rs.getObject("exit_code", Integer.class), rs.getString("termination_reason"), rs.getString("message"),
                rs.getObject("cpu_millis", Long.class), rs.getObject("wall_millis", Long.class),
                rs.getObject("peak_memory_bytes", Long.class), rs.getString("node"), rs.getInt("attempts"),
                rs.getInt("max_attempts"), rs.getBoolean("cancel_requested"), rs.getLong("input_bytes"),
                rs.getLong("log_bytes"), rs.getLong("artifact_bytes"), instant(rs, "created_at"),
                instant(rs, "started_at"), instant(rs, "finished_at"), JsonbText.compact(rs.getString("result")),
                rs.getString("kind"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}
