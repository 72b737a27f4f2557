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

/** The service_deployment table, beside the workload it belongs to. */
@Component
public class ServiceStore {

    private final JdbcClient jdbc;

    ServiceStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * One deployment as the API and the ingress see it; {@code image}, {@code archiveDigest}
     * (of its code archive, or null) and {@code deployedBy} are its history.
     */
    public record Deployment(UUID workloadId, long tenantId, String tenantSlug, ServiceSpec spec, ServiceStatus status,
            int restarts, String lastExit, String workloadState, String node, Instant createdAt, Instant healthyAt,
            String image, String archiveDigest, String deployedBy) {
    }

    /** Marks the workload a SERVICE and stores its spec; in the submitting transaction. */
    void insert(UUID workload, long tenantId, ServiceSpec spec, String archiveDigest, String deployedBy) {
        jdbc.sql("update workload set kind = 'SERVICE' where id = :id").param("id", workload).update();
        jdbc.sql("""
                insert into service_deployment (workload_id, tenant_id, service_name, port, restart_policy, health_path,
                    archive_digest, deployed_by, cpu_millicores, min_instances, idle_timeout_seconds)
                values (:id, :tenant, :name, :port, :policy, :health, :digest, :by, :cpu, :min, :idle)""")
                .param("id", workload).param("tenant", tenantId).param("name", spec.name()).param("port", spec.port())
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
                   w.image, d.archive_digest, d.deployed_by, d.cpu_millicores, d.min_instances, d.idle_timeout_seconds
            from service_deployment d join workload w on w.id = d.workload_id join tenant t on t.id = d.tenant_id
            """;

    private List<Deployment> query(JdbcClient.StatementSpec s) {
        return s.query((rs, i) -> new Deployment(rs.getObject(1, UUID.class), rs.getLong(2), rs.getString(3),
                new ServiceSpec(rs.getString(4), rs.getInt(5), RestartPolicy.valueOf(rs.getString(6)), rs.getString(7),
                        rs.getInt(18), rs.getInt(19), rs.getInt(20)),
                ServiceStatus.valueOf(rs.getString(8)), rs.getInt(9), rs.getString(10), rs.getString(11),
                rs.getString(12), rs.getTimestamp(13).toInstant(),
                rs.getTimestamp(14) == null ? null : rs.getTimestamp(14).toInstant(), rs.getString(15), rs.getString(16),
                rs.getString(17))).list();
    }

    public Optional<Deployment> byWorkload(UUID workload) {
        return query(jdbc.sql(SELECT + " where d.workload_id = :id").param("id", workload)).stream().findFirst();
    }

    /** Every deployment of a tenant's service, newest first. */
    public List<Deployment> history(long tenantId, String name) {
        return query(jdbc.sql(SELECT + " where d.tenant_id = :tenant and d.service_name = :name order by w.created_at desc limit 50")
                .param("tenant", tenantId).param("name", name));
    }

    /** The newest deployment of a service, by the names in its URL. */
    public Optional<Deployment> newest(String tenantSlug, String name) {
        return query(jdbc.sql(SELECT + " where t.slug = :slug and d.service_name = :name order by w.created_at desc limit 1")
                .param("slug", tenantSlug).param("name", name)).stream().findFirst();
    }

    /** Where a healthy deployment runs: its workload, its node and that node's internal ingress listener. */
    public record Placement(UUID workload, String node, String ingressAddress) {
    }

    /**
     * The node of the service's newest healthy (or scaled to zero: that node wakes it) deployment whose lease is live, on a node that
     * publishes an internal ingress address and has not stopped: where the ingress forwards it.
     */
    public Optional<Placement> healthyPlacement(String tenantSlug, String name) {
        return jdbc.sql("""
                select d.workload_id, w.node, n.ingress_address
                from service_deployment d join workload w on w.id = d.workload_id join tenant t on t.id = d.tenant_id
                     join node n on n.id = w.node
                where t.slug = :slug and d.service_name = :name and d.status in ('HEALTHY', 'IDLE') and w.state = 'RUNNING'
                  and w.lease_expires_at > now() and n.ingress_address is not null and n.stopped_at is null
                order by w.created_at desc limit 1""")
                .param("slug", tenantSlug).param("name", name)
                .query((rs, i) -> new Placement(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3)))
                .optional();
    }

    /** The newest deployment of each service of every tenant, for the console. */
    public List<Deployment> latestOfEveryTenant() {
        return query(jdbc.sql(SELECT + """
                 where w.created_at = (select max(w2.created_at) from service_deployment d2
                     join workload w2 on w2.id = d2.workload_id where d2.tenant_id = d.tenant_id and d2.service_name = d.service_name)
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
                 where d.tenant_id = :tenant and w.created_at = (select max(w2.created_at) from service_deployment d2
                     join workload w2 on w2.id = d2.workload_id where d2.tenant_id = d.tenant_id and d2.service_name = d.service_name)
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

    /** Older deployments of the same service that still run: stopped once a newer one is healthy. */
    List<UUID> olderRunning(UUID workload) {
        return jdbc.sql("""
                select d.workload_id from service_deployment d join workload w on w.id = d.workload_id
                join service_deployment me on me.workload_id = :id
                join workload mw on mw.id = me.workload_id
                where d.tenant_id = me.tenant_id and d.service_name = me.service_name and d.workload_id <> me.workload_id
                  and w.state in ('QUEUED', 'RUNNING') and w.created_at < mw.created_at""")
                .param("id", workload).query(UUID.class).list();
    }

    boolean tenantActive(long tenantId) {
        return jdbc.sql("select status from tenant where id = :id").param("id", tenantId).query(String.class)
                .optional().map("ACTIVE"::equals).orElse(false);
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
