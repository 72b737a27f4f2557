package dev.palisade.web.automation;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** The automation page's reads, scoped by tenant: cron jobs with their next and latest firings, webhooks with their log. */
@Component
class AutomationQueries {

    record CronJobRow(UUID id, String name, String cron, String timeZone, String concurrencyPolicy, boolean suspended,
            Instant nextFiringAt, List<RunRow> runs) {
    }

    record RunRow(Instant scheduledFor, String outcome, UUID workloadId, String workloadState, String message) {
    }

    record WebhookRow(UUID id, String url, String events, List<DeliveryRow> deliveries) {
    }

    record DeliveryRow(String type, String status, int attempts, String answers, Instant createdAt) {
    }

    private final JdbcClient jdbc;

    AutomationQueries(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    List<CronJobRow> cronJobs(long tenantId) {
        return jdbc.sql("""
                select j.id, j.name, j.cron, j.time_zone, j.concurrency_policy, j.suspended, s.execution_time
                from cron_job j left join scheduled_tasks s on s.task_name = 'cron-job' and s.task_instance = j.id::text
                where j.tenant_id = :tenant order by j.name""")
                .param("tenant", tenantId)
                .query((rs, i) -> new CronJobRow(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getBoolean(6), instant(rs, 7), runs(rs.getObject(1, UUID.class))))
                .list();
    }

    private List<RunRow> runs(UUID job) {
        return jdbc.sql("""
                select r.scheduled_for, r.outcome, r.workload_id, w.state, r.message
                from cron_job_run r left join workload w on w.id = r.workload_id
                where r.cron_job_id = :job order by r.scheduled_for desc limit 5""")
                .param("job", job)
                .query((rs, i) -> new RunRow(instant(rs, 1), rs.getString(2), rs.getObject(3, UUID.class), rs.getString(4),
                        rs.getString(5)))
                .list();
    }

    List<WebhookRow> webhooks(long tenantId) {
        return jdbc.sql("""
                select id, url, array_to_string(events, ', ') from webhook where tenant_id = :tenant order by created_at, id""")
                .param("tenant", tenantId)
                .query((rs, i) -> new WebhookRow(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                        deliveries(rs.getObject(1, UUID.class))))
                .list();
    }

    /** The newest deliveries, each with the status codes (or errors) of its attempts in order. */
    private List<DeliveryRow> deliveries(UUID webhook) {
        return jdbc.sql("""
                select d.event_type, d.status, d.attempts,
                    (select string_agg(coalesce(a.status_code::text, 'no answer'), ', ' order by a.id)
                     from webhook_attempt a where a.delivery_id = d.id), d.created_at
                from webhook_delivery d where d.webhook_id = :id order by d.id desc limit 10""")
                .param("id", webhook)
                .query((rs, i) -> new DeliveryRow(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4),
                        instant(rs, 5)))
                .list();
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
