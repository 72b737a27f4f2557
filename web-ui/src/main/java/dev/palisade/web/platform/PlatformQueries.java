package dev.palisade.web.platform;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.Slice;
import org.springframework.data.domain.SliceImpl;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * What the console shows of the platform itself, read from the tables the workers keep: nodes
 * and their heartbeats, images, and the security events of sandboxed programs.
 */
@Component
public class PlatformQueries {

    /** A node that has not renewed its leases for this long is shown as unresponsive (the lease timeout). */
    static final Duration UNRESPONSIVE_AFTER = Duration.ofSeconds(15);

    public record NodeRow(String id, String host, String platforms, int capacity, Instant startedAt,
            Instant lastHeartbeat, Instant stoppedAt, long running) {

        /** HEALTHY, UNRESPONSIVE or STOPPED; also the badge's name. */
        public String health() {
            if (stoppedAt != null) {
                return "STOPPED";
            }
            return lastHeartbeat.isBefore(Instant.now().minus(UNRESPONSIVE_AFTER)) ? "UNRESPONSIVE" : "HEALTHY";
        }
    }

    public record ImageRow(String name, String kind, String description, String digest, long sizeBytes,
            Instant createdAt, String createdBy) {
    }

    public record SecurityEventRow(long id, Instant occurredAt, String tenant, UUID workloadId, String kind,
            String syscall, String detail) {
    }

    private final NamedParameterJdbcTemplate jdbc;

    PlatformQueries(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public List<NodeRow> nodes() {
        return jdbc.query("""
                select n.id, n.host, n.platforms, n.capacity, n.started_at, n.last_heartbeat, n.stopped_at,
                       (select count(*) from workload w where w.node = n.id and w.state = 'RUNNING')
                from node n order by n.stopped_at is not null, n.id limit 200
                """, new MapSqlParameterSource(), (rs, i) -> new NodeRow(rs.getString(1), rs.getString(2),
                rs.getString(3), rs.getInt(4), instant(rs.getTimestamp(5)), instant(rs.getTimestamp(6)),
                instant(rs.getTimestamp(7)), rs.getLong(8)));
    }

    public List<ImageRow> images() {
        return jdbc.query("""
                select name, kind, description, digest, size_bytes, created_at, created_by from image order by kind, name
                """, new MapSqlParameterSource(), (rs, i) -> new ImageRow(rs.getString(1), rs.getString(2),
                rs.getString(3), rs.getString(4), rs.getLong(5), instant(rs.getTimestamp(6)), rs.getString(7)));
    }

    /** Newest first; a null tenant or kind does not filter. */
    public Slice<SecurityEventRow> securityEvents(String tenant, String kind, Pageable page) {
        StringBuilder where = new StringBuilder(" where true");
        MapSqlParameterSource params = new MapSqlParameterSource();
        if (tenant != null) {
            where.append(" and tenant_slug = :tenant");
            params.addValue("tenant", tenant);
        }
        if (kind != null) {
            where.append(" and kind = :kind");
            params.addValue("kind", kind);
        }
        params.addValue("limit", page.getPageSize() + 1).addValue("offset", page.getOffset());
        List<SecurityEventRow> rows = jdbc.query("select id, occurred_at, tenant_slug, workload_id, kind, syscall, detail"
                + " from security_event" + where + " order by occurred_at desc, id desc limit :limit offset :offset",
                params, (rs, i) -> new SecurityEventRow(rs.getLong(1), instant(rs.getTimestamp(2)), rs.getString(3),
                        rs.getObject(4, UUID.class), rs.getString(5), rs.getString(6), rs.getString(7)));
        boolean more = rows.size() > page.getPageSize();
        return new SliceImpl<>(more ? rows.subList(0, page.getPageSize()) : rows, page, more);
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
