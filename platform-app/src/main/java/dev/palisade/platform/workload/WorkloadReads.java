package dev.palisade.platform.workload;

import dev.palisade.model.NotFoundException;
import dev.palisade.model.workload.WorkloadState;
import dev.palisade.platform.api.PageResponse;
import dev.palisade.platform.api.TenantAccess;
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
 * The API's workload reads, straight from SQL into the response: one statement each (the tenant
 * found by its slug in the same statement) on a pooled connection, no transaction, no entity
 * manager. {@code GET …/workloads/{id}} and the list are nine in ten API calls; through Hibernate
 * (a read-only transaction, the query plan, a count query translated anew on every call) they
 * were a third of the API's CPU. Every query is scoped by the tenant, so another tenant's
 * workload is simply not found; whether the caller may see the tenant at all is
 * {@link TenantAccess#requireVisible}'s to decide first.
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

    /**
     * The workload of the tenant with this slug; a tenant that does not exist answers like
     * {@link TenantAccess#notFound}, a workload that is not the tenant's like a missing one.
     */
    WorkloadResponse get(String slug, UUID id, boolean showNode) {
        List<Optional<WorkloadResponse>> found = jdbc.sql("select " + COLUMNS
                        + " from tenant t left join workload w on w.tenant_id = t.id and w.id = :id where t.slug = :slug")
                .param("id", id).param("slug", slug)
                .query(orEmpty(mapper(slug, showNode)))
                .list();
        if (found.isEmpty()) {
            throw TenantAccess.notFound(slug);
        }
        return found.get(0).orElseThrow(() -> new NotFoundException("no workload " + id));
    }

    /**
     * One page of the tenant with this slug, newest first unless the pageable says otherwise. The
     * tenant row carries the total (counted once, in the same snapshot as the page), so a page past
     * the end still tells it; no tenant answers like {@link TenantAccess#notFound}.
     *
     * @param pageable sorted by column names of the workload table, from a fixed list (never by client text)
     */
    PageResponse<WorkloadResponse> list(String slug, WorkloadState state, Pageable pageable, boolean showNode) {
        String filter = state == null ? "" : "and %s.state = :state";
        String order = pageable.getSort().stream()
                .map(o -> "w." + o.getProperty() + (o.isAscending() ? " asc" : " desc"))
                .collect(Collectors.joining(", "));
        RowMapper<Optional<WorkloadResponse>> workload = orEmpty(mapper(slug, showNode));
        long[] total = {-1};
        // materialized: pulled up into the outer query, the count would run once for every row of the page
        JdbcClient.StatementSpec statement = jdbc.sql("""
                with t as materialized (
                    select t.id, (select count(*) from workload c where c.tenant_id = t.id %s) as total
                    from tenant t where t.slug = :slug)
                select %s, t.total from t left join lateral (
                    select * from workload w where w.tenant_id = t.id %s order by %s limit :limit offset :offset) w on true
                order by %s""".formatted(filter.formatted("c"), COLUMNS, filter.formatted("w"), order, order))
                .param("slug", slug).param("limit", pageable.getPageSize()).param("offset", pageable.getOffset());
        if (state != null) {
            statement.param("state", state.name());
        }
        List<WorkloadResponse> rows = statement.query((rs, i) -> {
                    total[0] = rs.getLong("total");
                    return workload.mapRow(rs, i);
                })
                .list().stream().flatMap(Optional::stream).toList();
        if (total[0] < 0) {
            throw TenantAccess.notFound(slug);
        }
        int size = pageable.getPageSize();
        return new PageResponse<>(rows, pageable.getPageNumber(), size, total[0],
                (int) ((total[0] + size - 1) / size));
    }

    /** A left join's row without a workload (its id null) maps to empty. */
    private static RowMapper<Optional<WorkloadResponse>> orEmpty(RowMapper<WorkloadResponse> mapper) {
        return (rs, i) -> rs.getObject("id") == null ? Optional.empty() : Optional.of(mapper.mapRow(rs, i));
    }

    /** {@code showNode}: the node it ran on, for a platform admin only (a tenant never sees host names or pids). */
    private static RowMapper<WorkloadResponse> mapper(String slug, boolean showNode) {
        return (rs, i) -> new WorkloadResponse(rs.getObject("id", UUID.class), slug, rs.getString("name"),
                rs.getString("image"), WorkloadResponse.command(rs.getString("command")),
                WorkloadResponse.env(rs.getString("env")), rs.getString("platform"),
                WorkloadResponse.limits(rs.getString("limits")), WorkloadState.valueOf(rs.getString("state")),
                rs.getObject("exit_code", Integer.class), rs.getString("termination_reason"), rs.getString("message"),
                rs.getObject("cpu_millis", Long.class), rs.getObject("wall_millis", Long.class),
                rs.getObject("peak_memory_bytes", Long.class), showNode ? rs.getString("node") : null,
                rs.getInt("attempts"),
                rs.getInt("max_attempts"), rs.getBoolean("cancel_requested"), rs.getLong("input_bytes"),
                rs.getLong("log_bytes"), rs.getLong("artifact_bytes"), instant(rs, "created_at"),
                instant(rs, "started_at"), instant(rs, "finished_at"), WorkloadResponse.result(rs.getString("result")),
                rs.getString("kind"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}
