package dev.palisade.platform.notify;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** The webhook, webhook_delivery and webhook_attempt tables. */
@Component
class WebhookStore {

    record Webhook(UUID id, long tenantId, String url, String secret, List<String> events, String description,
            String createdBy, Instant createdAt) {
    }

    /** A delivery due to be sent, with where to and how to sign it. */
    record Due(long id, UUID eventId, String type, String payload, int attempts, String url, String secret) {
    }

    record Attempt(Instant at, Integer statusCode, String error, long durationMillis) {
    }

    record Delivery(long id, UUID eventId, String type, String status, int attempts, Integer lastStatus,
            String lastError, Instant createdAt, Instant deliveredAt, Instant nextAttemptAt, String payload) {
    }

    private final JdbcClient jdbc;

    WebhookStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(Webhook w) {
        jdbc.sql("""
                insert into webhook (id, tenant_id, url, secret, events, description, created_by)
                values (:id, :tenant, :url, :secret, cast(:events as varchar[]), :description, :by)""")
                .param("id", w.id()).param("tenant", w.tenantId()).param("url", w.url()).param("secret", w.secret())
                .param("events", "{" + String.join(",", w.events()) + "}").param("description", w.description())
                .param("by", w.createdBy()).update();
    }

    Optional<Webhook> find(long tenantId, UUID id) {
        return jdbc.sql("select id, tenant_id, url, secret, events, description, created_by, created_at from webhook "
                        + "where tenant_id = :tenant and id = :id")
                .param("tenant", tenantId).param("id", id).query(WebhookStore::webhook).optional();
    }

    List<Webhook> list(long tenantId) {
        return jdbc.sql("select id, tenant_id, url, secret, events, description, created_by, created_at from webhook "
                        + "where tenant_id = :tenant order by created_at, id")
                .param("tenant", tenantId).query(WebhookStore::webhook).list();
    }

    void delete(UUID id) {
        jdbc.sql("delete from webhook where id = :id").param("id", id).update();
    }

    /** Queues the test event for one webhook; returns the delivery's id. */
    long ping(Webhook w, String tenantSlug) {
        return jdbc.sql("""
                insert into webhook_delivery (webhook_id, event_type, payload)
                select :id, 'ping', jsonb_build_object('id', gen_random_uuid(), 'type', 'ping', 'occurredAt', now(),
                    'tenant', cast(:tenant as varchar), 'data', jsonb_build_object('webhookId', :id))
                returning id""")
                .param("id", w.id()).param("tenant", tenantSlug).query(Long.class).single();
    }

    List<Due> due(int limit) {
        return jdbc.sql("""
                select d.id, d.event_id, d.event_type, d.payload::text, d.attempts, w.url, w.secret
                from webhook_delivery d join webhook w on w.id = d.webhook_id
                where d.status = 'PENDING' and d.next_attempt_at <= now() order by d.next_attempt_at, d.id limit :limit""")
                .param("limit", limit)
                .query((rs, i) -> new Due(rs.getLong(1), rs.getObject(2, UUID.class), rs.getString(3), rs.getString(4),
                        rs.getInt(5), rs.getString(6), rs.getString(7)))
                .list();
    }

    /**
     * Records an attempt; a delivery that failed and may still be tried waits {@code retryIn},
     * else it ends DELIVERED or FAILED.
     */
    void attempted(long id, Integer statusCode, String error, long durationMillis, boolean delivered,
            java.time.Duration retryIn) {
        String why = error == null ? null : error.length() > 500 ? error.substring(0, 500) : error;
        jdbc.sql("insert into webhook_attempt (delivery_id, status_code, error, duration_ms) values (:id, :code, :error, :ms)")
                .param("id", id).param("code", statusCode).param("error", why).param("ms", durationMillis).update();
        jdbc.sql("""
                update webhook_delivery set attempts = attempts + 1, last_status = :code, last_error = :error,
                    status = case when :delivered then 'DELIVERED' when cast(:retry as bigint) is null then 'FAILED' else 'PENDING' end,
                    delivered_at = case when :delivered then now() end,
                    next_attempt_at = now() + coalesce(cast(:retry as bigint), 0) * interval '1 millisecond'
                where id = :id""")
                .param("id", id).param("code", statusCode).param("error", why).param("delivered", delivered)
                .param("retry", retryIn == null ? null : retryIn.toMillis()).update();
    }

    List<Delivery> deliveries(UUID webhookId, int limit) {
        return jdbc.sql("""
                select id, event_id, event_type, status, attempts, last_status, last_error, created_at, delivered_at,
                    next_attempt_at, payload::text
                from webhook_delivery where webhook_id = :id order by id desc limit :limit""")
                .param("id", webhookId).param("limit", limit)
                .query((rs, i) -> new Delivery(rs.getLong(1), rs.getObject(2, UUID.class), rs.getString(3), rs.getString(4),
                        rs.getInt(5), rs.getObject(6, Integer.class), rs.getString(7), instant(rs, 8), instant(rs, 9),
                        instant(rs, 10), rs.getString(11)))
                .list();
    }

    List<Attempt> attempts(long deliveryId) {
        return jdbc.sql("select attempted_at, status_code, error, duration_ms from webhook_attempt "
                        + "where delivery_id = :id order by id")
                .param("id", deliveryId)
                .query((rs, i) -> new Attempt(instant(rs, 1), rs.getObject(2, Integer.class), rs.getString(3), rs.getLong(4)))
                .list();
    }

    private static Webhook webhook(ResultSet rs, int i) throws SQLException {
        Array events = rs.getArray(5);
        return new Webhook(rs.getObject(1, UUID.class), rs.getLong(2), rs.getString(3), rs.getString(4),
                Arrays.asList((String[]) events.getArray()), rs.getString(6), rs.getString(7), instant(rs, 8));
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
