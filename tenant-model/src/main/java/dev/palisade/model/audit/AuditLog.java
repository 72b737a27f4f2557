package dev.palisade.model.audit;

import dev.palisade.model.tenant.Tenant;
import jakarta.persistence.criteria.Predicate;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.data.domain.Limit;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.domain.Specification;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The audit trail. Records join the caller's transaction, so a change and its audit event
 * commit or roll back together. Details must never carry a password or a token.
 */
@Service
public class AuditLog {

    private final AuditEventRepository events;
    private final JdbcClient jdbc;

    AuditLog(AuditEventRepository events, JdbcClient jdbc) {
        this.events = events;
        this.jdbc = jdbc;
    }

    /**
     * Records an event whose details are named values, stored as one JSON object (each value as
     * a string): whatever a name holds, it stays inside its value.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public void record(String actor, Tenant tenant, String action, String target, Map<String, ?> details) {
        record(actor, tenant == null ? null : tenant.getId(), tenant == null ? null : tenant.getSlug(), action, target,
                details);
    }

    /**
     * For callers that only know the tenant's id and slug (e.g. from a user row). One plain insert
     * on the transaction's connection: every submit writes one, and going through the entity
     * manager cost an eighth of a submit's CPU.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public void record(String actor, Long tenantId, String tenantSlug, String action, String target,
            Map<String, ?> details) {
        jdbc.sql("""
                insert into audit_event (occurred_at, actor, tenant_id, tenant_slug, action, target, details)
                values (:at, :actor, :tenantId, :tenantSlug, :action, :target, cast(:details as jsonb))""")
                .param("at", Timestamp.from(Instant.now())).param("actor", actor)
                .param("tenantId", tenantId, Types.BIGINT).param("tenantSlug", tenantSlug, Types.VARCHAR)
                .param("action", action).param("target", target, Types.VARCHAR)
                .param("details", details == null || details.isEmpty() ? null : json(details), Types.VARCHAR).update();
    }

    /** A JSON object of the values as strings (the database parses it again, so nothing unescaped gets in). */
    static String json(Map<String, ?> details) {
        StringBuilder b = new StringBuilder("{");
        details.forEach((k, v) -> {
            if (b.length() > 1) {
                b.append(',');
            }
            quote(b, k);
            b.append(':');
            if (v == null) {
                b.append("null");
            } else {
                quote(b, v.toString());
            }
        });
        return b.append('}').toString();
    }

    private static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0) {
                b.append('\uFFFD'); // PostgreSQL's jsonb has no NUL
            } else if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        b.append('"');
    }

    /** A line of free text, kept as {@code {"text": …}}. Prefer named values. */
    @Transactional(propagation = Propagation.MANDATORY)
    public void record(String actor, Tenant tenant, String action, String target, String text) {
        record(actor, tenant, action, target, text == null || text.isBlank() ? Map.of() : Map.of("text", text));
    }

    /** A line of free text, kept as {@code {"text": …}}. Prefer named values. */
    @Transactional(propagation = Propagation.MANDATORY)
    public void record(String actor, Long tenantId, String tenantSlug, String action, String target, String text) {
        record(actor, tenantId, tenantSlug, action, target,
                text == null || text.isBlank() ? Map.of() : Map.of("text", text));
    }

    @Transactional(readOnly = true)
    public Page<AuditEvent> search(AuditQuery query, Pageable pageable) {
        Specification<AuditEvent> spec = (root, cq, cb) -> {
            List<Predicate> where = new ArrayList<>();
            if (query.tenantSlug() != null) {
                where.add(cb.equal(root.get("tenantSlug"), query.tenantSlug()));
            }
            if (query.action() != null) {
                where.add(cb.equal(root.get("action"), query.action()));
            }
            if (query.actor() != null) {
                where.add(cb.equal(root.get("actor"), query.actor()));
            }
            if (query.from() != null) {
                where.add(cb.greaterThanOrEqualTo(root.get("occurredAt"), query.from()));
            }
            if (query.to() != null) {
                where.add(cb.lessThan(root.get("occurredAt"), query.to()));
            }
            return cb.and(where.toArray(Predicate[]::new));
        };
        return events.findAll(spec, pageable);
    }

    /** The newest events of every tenant, without counting the whole trail as a page would. */
    @Transactional(readOnly = true)
    public List<AuditEvent> latest(int n) {
        return events.findByOrderByOccurredAtDescIdDesc(Limit.of(n));
    }
}
