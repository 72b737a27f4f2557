package dev.palisade.platform.cron;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** The cron_job and cron_job_run tables; every read scoped by tenant except the firing's own. */
@Component
class CronJobStore {

    private static final String COLUMNS = """
            j.id, j.tenant_id, t.slug, j.name, j.cron, j.time_zone, j.concurrency_policy, j.starting_deadline_seconds,
            j.suspended, j.spec, j.created_by, j.created_at, j.updated_at""";

    /** A cron job as stored; {@code spec} is the workload spec's JSON. */
    record CronJob(UUID id, long tenantId, String tenant, String name, String cron, String timeZone,
            ConcurrencyPolicy concurrencyPolicy, Long startingDeadlineSeconds, boolean suspended, String spec,
            String createdBy, Instant createdAt, Instant updatedAt) {

        CronTrigger trigger() {
            return new CronTrigger(cron, timeZone);
        }
    }

    /** One firing and what it did; the workload's state when it started one. */
    record Run(Instant scheduledFor, Instant firedAt, String outcome, UUID workloadId, String workloadState,
            String message, String node) {
    }

    private final JdbcClient jdbc;

    CronJobStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(CronJob job) {
        jdbc.sql("""
                insert into cron_job (id, tenant_id, name, cron, time_zone, concurrency_policy,
                    starting_deadline_seconds, suspended, spec, created_by)
                values (:id, :tenant, :name, :cron, :zone, :policy, :deadline, :suspended, cast(:spec as jsonb), :by)""")
                .param("id", job.id()).param("tenant", job.tenantId()).param("name", job.name())
                .param("cron", job.cron()).param("zone", job.timeZone()).param("policy", job.concurrencyPolicy().name())
                .param("deadline", job.startingDeadlineSeconds()).param("suspended", job.suspended())
                .param("spec", job.spec()).param("by", job.createdBy()).update();
    }

    void update(CronJob job) {
        jdbc.sql("""
                update cron_job set cron = :cron, time_zone = :zone, concurrency_policy = :policy,
                    starting_deadline_seconds = :deadline, suspended = :suspended, spec = cast(:spec as jsonb),
                    updated_at = now()
                where id = :id""")
                .param("id", job.id()).param("cron", job.cron()).param("zone", job.timeZone())
                .param("policy", job.concurrencyPolicy().name()).param("deadline", job.startingDeadlineSeconds())
                .param("suspended", job.suspended()).param("spec", job.spec()).update();
    }

    void delete(UUID id) {
        jdbc.sql("delete from cron_job where id = :id").param("id", id).update();
    }

    Optional<CronJob> find(long tenantId, String name) {
        return jdbc.sql("select " + COLUMNS + " from cron_job j join tenant t on t.id = j.tenant_id "
                        + "where j.tenant_id = :tenant and j.name = :name")
                .param("tenant", tenantId).param("name", name).query(CronJobStore::job).optional();
    }

    Optional<CronJob> byId(UUID id) {
        return jdbc.sql("select " + COLUMNS + " from cron_job j join tenant t on t.id = j.tenant_id where j.id = :id")
                .param("id", id).query(CronJobStore::job).optional();
    }

    List<CronJob> list(long tenantId) {
        return jdbc.sql("select " + COLUMNS + " from cron_job j join tenant t on t.id = j.tenant_id "
                        + "where j.tenant_id = :tenant order by j.name")
                .param("tenant", tenantId).query(CronJobStore::job).list();
    }

    /**
     * Claims a firing for this instance: false when it was recorded already (db-scheduler hands a
     * firing to one instance; this keeps a firing single even if it were handed out twice).
     */
    boolean claim(UUID jobId, Instant scheduledFor, String node) {
        return jdbc.sql("""
                insert into cron_job_run (cron_job_id, scheduled_for, outcome, node) values (:job, :at, 'STARTED', :node)
                on conflict (cron_job_id, scheduled_for) do nothing""")
                .param("job", jobId).param("at", OffsetDateTime.ofInstant(scheduledFor, java.time.ZoneOffset.UTC))
                .param("node", node).update() == 1;
    }

    void record(UUID jobId, Instant scheduledFor, String outcome, UUID workloadId, String message) {
        jdbc.sql("""
                update cron_job_run set outcome = :outcome, workload_id = :workload, message = :message, fired_at = now()
                where cron_job_id = :job and scheduled_for = :at""")
                .param("job", jobId).param("at", OffsetDateTime.ofInstant(scheduledFor, java.time.ZoneOffset.UTC))
                .param("outcome", outcome).param("workload", workloadId)
                .param("message", message == null || message.length() <= 1000 ? message : message.substring(0, 1000))
                .update();
    }

    /** The job's workloads that are queued or running. */
    List<UUID> active(UUID jobId) {
        return jdbc.sql("""
                select r.workload_id from cron_job_run r join workload w on w.id = r.workload_id
                where r.cron_job_id = :job and w.state in ('QUEUED', 'RUNNING')""")
                .param("job", jobId).query(UUID.class).list();
    }

    List<Run> runs(UUID jobId, int limit) {
        return jdbc.sql("""
                select r.scheduled_for, r.fired_at, r.outcome, r.workload_id, w.state, r.message, r.node
                from cron_job_run r left join workload w on w.id = r.workload_id
                where r.cron_job_id = :job order by r.scheduled_for desc limit :limit""")
                .param("job", jobId).param("limit", limit)
                .query((rs, i) -> new Run(instant(rs, 1), instant(rs, 2), rs.getString(3), rs.getObject(4, UUID.class),
                        rs.getString(5), rs.getString(6), rs.getString(7)))
                .list();
    }

    private static CronJob job(ResultSet rs, int i) throws SQLException {
        return new CronJob(rs.getObject(1, UUID.class), rs.getLong(2), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getString(6), ConcurrencyPolicy.valueOf(rs.getString(7)),
                rs.getObject(8, Long.class), rs.getBoolean(9), rs.getString(10), rs.getString(11), instant(rs, 12),
                instant(rs, 13));
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
