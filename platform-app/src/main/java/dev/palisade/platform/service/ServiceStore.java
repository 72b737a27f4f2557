package dev.palisade.platform.service;

import dev.palisade.model.service.RestartPolicy;
import dev.palisade.model.service.ServiceSpec;
import dev.palisade.model.service.ServiceStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/** The service_deployment table, beside the workload it belongs to. */
@Component
public class ServiceStore {

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;

    ServiceStore(JdbcClient jdbc, TransactionTemplate tx) {
        this.jdbc = jdbc;
        this.tx = tx;
    }

    /**
     * One deployment as the API and the ingress see it; {@code image}, {@code archiveDigest}
     * (of its code archive, or null) and {@code deployedBy} are its history. The same record
     * describes one instance of a deployment with several: {@code primaryId} is then the
     * deployment's (its instance 0; null for the deployment itself), {@code ordinal} which one.
     */
    public record Deployment(UUID workloadId, long tenantId, String tenantSlug, ServiceSpec spec, ServiceStatus status,
            int restarts, String lastExit, String workloadState, String node, Instant createdAt, Instant healthyAt,
            String image, String archiveDigest, String deployedBy, UUID primaryId, int ordinal) {

        /** The deployment this instance belongs to: its own workload for instance 0. */
        public UUID deploymentId() {
            return primaryId == null ? workloadId : primaryId;
        }
    }

    /** Marks the workload a SERVICE and stores its spec; in the submitting transaction. */
    void insert(UUID workload, long tenantId, ServiceSpec spec, String archiveDigest, String deployedBy) {
        jdbc.sql("update workload set kind = 'SERVICE' where id = :id").param("id", workload).update();
        jdbc.sql("""
                insert into service_deployment (workload_id, tenant_id, service_name, port, restart_policy, health_path,
                    archive_digest, deployed_by, cpu_millicores, min_instances, idle_timeout_seconds, instances)
                values (:id, :tenant, :name, :port, :policy, :health, :digest, :by, :cpu, :min, :idle, :instances)""")
                .param("id", workload).param("tenant", tenantId).param("name", spec.name()).param("port", spec.port())
                .param("instances", spec.instances())
                .param("cpu", spec.cpuMillicores()).param("min", spec.minInstances())
                .param("idle", spec.idleTimeoutSeconds())
                .param("policy", spec.restartPolicy().name()).param("health", spec.healthPath())
                .param("digest", archiveDigest, java.sql.Types.VARCHAR).param("by", deployedBy).update();
    }

    /**
     * Holds the service's lock until the transaction ends: deploys, starts and stops of one
     * service happen one after the other, on every instance. (The two-key form, a lock space
     * apart from the dispatcher's one-key tenant locks.)
     */
    void lock(long tenantId, String name) {
        jdbc.sql("select pg_advisory_xact_lock(hashtext('service:' || :tenant), hashtext(:name))")
                .param("tenant", Long.toString(tenantId)).param("name", name).query().singleValue();
    }

    private static final String SELECT = """
            select d.workload_id, d.tenant_id, t.slug, d.service_name, d.port, d.restart_policy, d.health_path,
                   d.status, d.restarts, d.last_exit, w.state, w.node, w.created_at, d.healthy_at,
                   w.image, d.archive_digest, d.deployed_by, d.cpu_millicores, d.min_instances, d.idle_timeout_seconds,
                   d.instances, d.primary_id, d.ordinal
            from service_deployment d join workload w on w.id = d.workload_id join tenant t on t.id = d.tenant_id
            """;

    private List<Deployment> query(JdbcClient.StatementSpec s) {
        return s.query((rs, i) -> new Deployment(rs.getObject(1, UUID.class), rs.getLong(2), rs.getString(3),
                new ServiceSpec(rs.getString(4), rs.getInt(5), RestartPolicy.valueOf(rs.getString(6)), rs.getString(7),
                        rs.getInt(18), rs.getInt(19), rs.getInt(20), rs.getInt(21)),
                ServiceStatus.valueOf(rs.getString(8)), rs.getInt(9), rs.getString(10), rs.getString(11),
                rs.getString(12), rs.getTimestamp(13).toInstant(),
                rs.getTimestamp(14) == null ? null : rs.getTimestamp(14).toInstant(), rs.getString(15), rs.getString(16),
                rs.getString(17), rs.getObject(22, UUID.class), rs.getInt(23))).list();
    }

    public Optional<Deployment> byWorkload(UUID workload) {
        return query(jdbc.sql(SELECT + " where d.workload_id = :id").param("id", workload)).stream().findFirst();
    }

    /** Every deployment of a tenant's service, newest first. */
    public List<Deployment> history(long tenantId, String name) {
        return query(jdbc.sql(SELECT + " where d.tenant_id = :tenant and d.service_name = :name and d.primary_id is null"
                + " order by w.created_at desc limit 50")
                .param("tenant", tenantId).param("name", name));
    }

    /** The newest deployment of a service, by the names in its URL. */
    public Optional<Deployment> newest(String tenantSlug, String name) {
        return query(jdbc.sql(SELECT + " where t.slug = :slug and d.service_name = :name and d.primary_id is null"
                + " order by w.created_at desc limit 1")
                .param("slug", tenantSlug).param("name", name)).stream().findFirst();
    }

    /** A node where healthy instances of a service run: its internal ingress listener, and how many instances there. */
    public record Placement(String node, String ingressAddress, int instances) {
    }

    /**
     * The nodes that run healthy (or scaled to zero: that node wakes them) instances of the service
     * with a live lease and no stop asked, that publish an internal ingress address and have not stopped: where the
     * ingress may forward its requests, with how many instances each (during a redeploy, of either deployment).
     */
    public List<Placement> healthyPlacements(String tenantSlug, String name) {
        return jdbc.sql("""
                select w.node, n.ingress_address, count(*)
                from service_deployment d join workload w on w.id = d.workload_id join tenant t on t.id = d.tenant_id
                     join node n on n.id = w.node
                where t.slug = :slug and d.service_name = :name and d.status in ('HEALTHY', 'IDLE') and w.state = 'RUNNING'
                  and not w.cancel_requested and w.lease_expires_at > now() and n.ingress_address is not null
                  and n.stopped_at is null
                group by w.node, n.ingress_address order by w.node""")
                .param("slug", tenantSlug).param("name", name)
                .query((rs, i) -> new Placement(rs.getString(1), rs.getString(2), rs.getInt(3)))
                .list();
    }

    /**
     * Adds instance {@code ordinal} of a deployment: a workload like its instance 0 (its program,
     * image, limits, code and secrets; the input not counted against storage again), queued for
     * whichever node claims it. Nothing when it exists already or the deployment no longer runs.
     */
    boolean addInstance(UUID deployment, int ordinal) {
        UUID id = UUID.randomUUID();
        return Boolean.TRUE.equals(tx.execute(status -> {
            int n = jdbc.sql("""
                    insert into workload (id, tenant_id, name, image, command, env, platform, limits, max_attempts,
                                          network, kind)
                    select :id, w.tenant_id, w.name, w.image, w.command, w.env, w.platform, w.limits, w.max_attempts,
                           w.network, w.kind
                    from workload w
                    where w.id = :deployment and w.state = 'RUNNING' and not w.cancel_requested
                      and not exists (select 1 from service_deployment i where i.primary_id = :deployment and i.ordinal = :ordinal)""")
                    .param("id", id).param("deployment", deployment).param("ordinal", ordinal).update();
            if (n == 0) {
                return false;
            }
            jdbc.sql("""
                    insert into service_deployment (workload_id, tenant_id, service_name, port, restart_policy, health_path,
                        archive_digest, deployed_by, cpu_millicores, min_instances, idle_timeout_seconds, instances,
                        primary_id, ordinal)
                    select :id, tenant_id, service_name, port, restart_policy, health_path, archive_digest, deployed_by,
                           cpu_millicores, min_instances, idle_timeout_seconds, instances, workload_id, :ordinal
                    from service_deployment where workload_id = :deployment""")
                    .param("id", id).param("deployment", deployment).param("ordinal", ordinal).update();
            jdbc.sql("""
                    insert into workload_file (workload_id, kind, data)
                    select :id, kind, data from workload_file where workload_id = :deployment and kind = 'input'""")
                    .param("id", id).param("deployment", deployment).update();
            jdbc.sql("""
                    insert into workload_secret (workload_id, secret_name, env_name)
                    select :id, secret_name, env_name from workload_secret where workload_id = :deployment""")
                    .param("id", id).param("deployment", deployment).update();
            return true;
        }));
    }

    /** The status of each instance of a deployment that exists so far, instance 0 first. */
    List<ServiceStatus> instanceStatuses(UUID deployment) {
        return jdbc.sql("""
                select d.status from service_deployment d
                where d.workload_id = :id or d.primary_id = :id order by d.ordinal""")
                .param("id", deployment).query((rs, i) -> ServiceStatus.valueOf(rs.getString(1))).list();
    }

    /** How many instances of a deployment are healthy now. */
    public int healthyInstances(UUID deployment) {
        return (int) instanceStatuses(deployment).stream().filter(ServiceStatus.HEALTHY::equals).count();
    }

    /** The instances (other than instance 0) of a deployment that are queued or run: stopped with it. */
    public List<UUID> runningInstances(UUID deployment) {
        return jdbc.sql("""
                select d.workload_id from service_deployment d join workload w on w.id = d.workload_id
                where d.primary_id = :id and w.state in ('QUEUED', 'RUNNING')""")
                .param("id", deployment).query(UUID.class).list();
    }

    /** Whether the deployment (its instance 0) is still queued or running: its other instances stop when it does not. */
    boolean deploymentLive(UUID deployment) {
        return jdbc.sql("select state in ('QUEUED', 'RUNNING') and not cancel_requested from workload where id = :id")
                .param("id", deployment).query(Boolean.class).optional().orElse(false);
    }

    /** The newest deployment of each service of every tenant, for the console. */
    public List<Deployment> latestOfEveryTenant() {
        return query(jdbc.sql(SELECT + """
                 where d.primary_id is null and w.created_at = (select max(w2.created_at) from service_deployment d2
                     join workload w2 on w2.id = d2.workload_id where d2.tenant_id = d.tenant_id
                         and d2.service_name = d.service_name and d2.primary_id is null)
                 order by t.slug, d.service_name limit 1000"""));
    }

    /** Deletes every deployment of a stopped service with its workloads (logs, inputs); how many. */
    int delete(long tenantId, String name) {
        return jdbc.sql("""
                delete from workload w using service_deployment d
                where d.workload_id = w.id and d.tenant_id = :tenant and d.service_name = :name""")
                .param("tenant", tenantId).param("name", name).update();
    }

    /** The newest deployment of each of a tenant's services. */
    public List<Deployment> latest(long tenantId) {
        return query(jdbc.sql(SELECT + """
                 where d.tenant_id = :tenant and d.primary_id is null and w.created_at = (select max(w2.created_at)
                     from service_deployment d2 join workload w2 on w2.id = d2.workload_id
                     where d2.tenant_id = d.tenant_id and d2.service_name = d.service_name and d2.primary_id is null)
                 order by d.service_name""").param("tenant", tenantId));
    }

    void status(UUID workload, ServiceStatus status, String lastExit) {
        jdbc.sql("""
                update service_deployment set status = :status, last_exit = coalesce(:exit, last_exit), updated_at = now(),
                    healthy_at = case when :status = 'HEALTHY' then now() else healthy_at end
                where workload_id = :id""")
                .param("status", status.name()).param("exit", lastExit == null ? null : truncate(lastExit, 300))
                .param("id", workload).update();
    }

    void restarted(UUID workload) {
        jdbc.sql("update service_deployment set restarts = restarts + 1, updated_at = now() where workload_id = :id")
                .param("id", workload).update();
    }

    /**
     * Instances of older deployments of the same service that still run (their instances 0 last):
     * stopped once a newer deployment is healthy, one at a time while it rolls out.
     */
    List<Older> olderRunning(UUID deployment) {
        return jdbc.sql("""
                select d.workload_id, d.primary_id from service_deployment d join workload w on w.id = d.workload_id
                join service_deployment me on me.workload_id = :id
                join workload mw on mw.id = me.workload_id
                join workload dw on dw.id = coalesce(d.primary_id, d.workload_id)
                where d.tenant_id = me.tenant_id and d.service_name = me.service_name
                  and coalesce(d.primary_id, d.workload_id) <> me.workload_id
                  and w.state in ('QUEUED', 'RUNNING') and not w.cancel_requested and dw.created_at < mw.created_at
                order by (d.primary_id is null), dw.created_at, d.ordinal desc""")
                .param("id", deployment)
                .query((rs, i) -> new Older(rs.getObject(1, UUID.class), rs.getObject(2) == null)).list();
    }

    /** An instance of an older deployment; {@code deployment}: its instance 0, whose stop stops the others. */
    record Older(UUID workload, boolean deployment) {
    }

    boolean tenantActive(long tenantId) {
        return jdbc.sql("select status from tenant where id = :id").param("id", tenantId).query(String.class)
                .optional().map("ACTIVE"::equals).orElse(false);
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
