package dev.palisade.platform.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The dispatcher's view of the workload table, in plain SQL: claiming with
 * {@code FOR UPDATE SKIP LOCKED}, leases, heartbeats, the reaper, finishing. Every write that
 * ends a run is conditional on this node still holding the lease for this attempt, so a node
 * that lost its lease can never overwrite what happened after.
 *
 * <p>Its transactions are plain JDBC ones on the shared DataSource (joining one already open on
 * the same connection), not the application's JPA transaction manager: that one opened and closed
 * a Hibernate session around every claim and finish, a worker's largest share of CPU per
 * workload after the sandbox itself.
 */
@Component
public class WorkloadStore {

    /** How long a node that runs an instance of a deployment leaves its next instance to other nodes. */
    private static final double SPREAD_SECONDS = 5;

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final DispatcherProperties properties;

    WorkloadStore(JdbcClient jdbc, DataSource dataSource, DispatcherProperties properties) {
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        this.properties = properties;
    }

    /**
     * A workload this node now holds the lease of; {@code service} for a workload of kind SERVICE,
     * {@code storageBytes} the tenant's storage quota when it was claimed (null: none set),
     * {@code queuedSeconds} how long it waited between its submit and this claim, {@code network} the
     * network policy it asked for (null: its kind's default).
     */
    public record Claimed(UUID id, long tenantId, String tenantSlug, String name, String image, String command,
            String env, String platform, String limits, int attempt, int maxAttempts, boolean hasInput,
            boolean service, Long storageBytes, double queuedSeconds, String network) {
    }

    public void registerNode(String node, String host, String platforms, int capacity) {
        jdbc.sql("""
                insert into node (id, host, platforms, capacity) values (:id, :host, :platforms, :capacity)
                on conflict (id) do update set host = excluded.host, platforms = excluded.platforms,
                    capacity = excluded.capacity, started_at = now(), last_heartbeat = now(), stopped_at = null""")
                .param("id", node).param("host", host).param("platforms", platforms).param("capacity", capacity)
                .update();
    }

    public void nodeStopped(String node) {
        jdbc.sql("update node set stopped_at = now(), ingress_address = null where id = :id").param("id", node).update();
    }

    /**
     * What a node may still take: free slots of its job pool and of its service pool, and the
     * most of each pool one tenant may hold on it (its fair share, counting what it runs here).
     */
    public record Room(int jobs, int services, int jobsPerTenant, int servicesPerTenant) {

        /** Room for {@code max} workloads of either kind, with no share bound (tests, tools). */
        public static Room any(int max) {
            return new Room(max, max, max, max);
        }

        public boolean none() {
            return jobs <= 0 && services <= 0;
        }
    }

    /** Claims up to {@code max} workloads of any kind, on every platform: see {@link #claim(String, Room, Duration, List)}. */
    public List<Claimed> claim(String node, int max, Duration lease) {
        return claim(node, Room.any(max), lease, List.of("ptrace", "kvm"));
    }

    /**
     * Claims queued workloads this node can run (their platform is one it offers, or auto),
     * oldest first, as far as its room allows: jobs and services each from their own pool, no
     * tenant past its share of a pool on this node, nor past its concurrency quota. Candidates
     * are locked with SKIP LOCKED (another node's claim skips them, and a row another node
     * claimed meanwhile fails the state check on re-read); then each tenant's running count is
     * taken again under a per-tenant transaction advisory lock, so two nodes claiming for one
     * tenant at once cannot both use its last slot. The share counts only this node's runs,
     * which only this node's single claim loop adds to. A workload that mounts a volume is
     * claimed only by the node whose volume home holds it (any node, while it has none yet).
     */
    public List<Claimed> claim(String node, Room room, Duration lease, List<String> platforms) {
        if (room.none() || platforms.isEmpty()) {
            return List.of();
        }
        return tx.execute(status -> {
            List<Object[]> candidates = jdbc.sql("""
                    with queued as (
                        select w.id, w.tenant_id, w.kind, w.created_at from workload w
                        where w.state = 'QUEUED' and (w.platform = 'auto' or w.platform in (:platforms))
                          and (w.not_before is null or w.not_before <= now())
                          -- a volume lives on one node: what mounts it runs there
                          and not exists (select 1 from workload_volume wv join volume v
                                                 on v.tenant_id = w.tenant_id and v.name = wv.volume_name
                                          where wv.workload_id = w.id and v.home is not null and v.home is distinct from
                                                (select n.volume_home from node n where n.id = :node))
                          -- a service's instances spread over the nodes: for its first seconds, one is left to
                          -- another live node that runs none of its deployment by a node that runs one
                          and not (w.kind = 'SERVICE' and w.created_at > now() - make_interval(secs => :spread)
                                   and exists (select 1 from node n
                                               where n.id <> :node and n.stopped_at is null and n.capacity > 0
                                                 and n.last_heartbeat > now() - make_interval(secs => :lease)
                                                 and (w.platform = 'auto' or position(w.platform in n.platforms) > 0)
                                                 and not exists (select 1 from service_deployment me
                                                     join service_deployment sib on coalesce(sib.primary_id, sib.workload_id)
                                                          = coalesce(me.primary_id, me.workload_id)
                                                     join workload sw on sw.id = sib.workload_id
                                                     where me.workload_id = w.id and sw.state = 'RUNNING' and sw.node = n.id))
                                   and exists (select 1 from service_deployment me
                                               join service_deployment sib on coalesce(sib.primary_id, sib.workload_id)
                                                    = coalesce(me.primary_id, me.workload_id)
                                               join workload sw on sw.id = sib.workload_id
                                               where me.workload_id = w.id and sw.state = 'RUNNING' and sw.node = :node))),
                    free as (
                        select q.tenant_id, q.max_concurrent_workloads
                               - (select count(*) from workload r where r.tenant_id = q.tenant_id and r.state = 'RUNNING') as slots
                        from quota q where q.tenant_id in (select tenant_id from queued)),
                    here as (
                        select tenant_id, kind, count(*) as n from workload
                        where node = :node and state = 'RUNNING' group by tenant_id, kind),
                    ranked as (
                        select q.id, q.kind, q.created_at, f.slots, coalesce(h.n, 0) as here,
                               row_number() over (partition by q.tenant_id order by q.created_at) as nth,
                               row_number() over (partition by q.tenant_id, q.kind order by q.created_at) as nth_of_kind
                        from queued q join free f on f.tenant_id = q.tenant_id and f.slots > 0
                             left join here h on h.tenant_id = q.tenant_id and h.kind = q.kind),
                    fair as (
                        select id, kind, row_number() over (partition by kind order by created_at) as place
                        from ranked
                        where nth <= slots
                          and here + nth_of_kind <= case when kind = 'SERVICE' then :servicesPerTenant else :jobsPerTenant end)
                    select w.id, w.tenant_id from workload w join fair f on f.id = w.id
                    where w.state = 'QUEUED'
                      and f.place <= case when f.kind = 'SERVICE' then :services else :jobs end
                    order by w.created_at
                    for update of w skip locked""")
                    .param("platforms", platforms).param("node", node)
                    .param("spread", SPREAD_SECONDS).param("lease", lease.toMillis() / 1000.0)
                    .param("jobs", room.jobs()).param("services", room.services())
                    .param("jobsPerTenant", room.jobsPerTenant()).param("servicesPerTenant", room.servicesPerTenant())
                    .query((rs, i) -> new Object[] {rs.getObject(1, UUID.class), rs.getLong(2)})
                    .list();
            if (candidates.isEmpty()) {
                return List.of();
            }
            Map<Long, List<UUID>> byTenant = new LinkedHashMap<>();
            candidates.stream().sorted((a, b) -> Long.compare((Long) a[1], (Long) b[1]))
                    .forEach(c -> byTenant.computeIfAbsent((Long) c[1], k -> new ArrayList<>()).add((UUID) c[0]));
            List<UUID> take = new ArrayList<>();
            for (Map.Entry<Long, List<UUID>> e : byTenant.entrySet()) {
                jdbc.sql("select pg_advisory_xact_lock(:key)").param("key", 0x5041_4C00_0000_0000L + e.getKey())
                        .query().singleValue();
                long slots = jdbc.sql("""
                        select q.max_concurrent_workloads
                               - (select count(*) from workload r where r.tenant_id = q.tenant_id and r.state = 'RUNNING')
                        from quota q where q.tenant_id = :tenant""")
                        .param("tenant", e.getKey()).query(Long.class).optional().orElse(0L);
                e.getValue().stream().limit(Math.max(0, slots)).forEach(take::add);
            }
            if (take.isEmpty()) {
                return List.of();
            }
            // one round trip: the lease taken, a retried attempt's log started afresh, the run's facts read
            return jdbc.sql("""
                    with taken as (
                        update workload set state = 'RUNNING', node = :node, started_at = now(), attempts = attempts + 1,
                            lease_expires_at = now() + make_interval(secs => :lease)
                        where id in (:ids)
                        returning id, tenant_id, name, image, command::text as command, env::text as env, platform,
                                  limits::text as limits, attempts, max_attempts, kind, created_at, network,
                                  extract(epoch from (started_at - created_at)) as queued_seconds),
                    cleared as (delete from workload_log where workload_id in (:ids))
                    select w.id, w.tenant_id, t.slug, w.name, w.image, w.command, w.env, w.platform, w.limits, w.attempts,
                           w.max_attempts, w.kind, q.storage_bytes, w.queued_seconds, w.network,
                           exists (select 1 from workload_file f where f.workload_id = w.id and f.kind = 'input') as has_input
                    from taken w join tenant t on t.id = w.tenant_id left join quota q on q.tenant_id = w.tenant_id
                    order by w.created_at""")
                    .param("node", node).param("lease", lease.toMillis() / 1000.0).param("ids", take)
                    .query((rs, i) -> new Claimed(rs.getObject("id", UUID.class), rs.getLong("tenant_id"),
                            rs.getString("slug"), rs.getString("name"), rs.getString("image"), rs.getString("command"),
                            rs.getString("env"), rs.getString("platform"), rs.getString("limits"), rs.getInt("attempts"),
                            rs.getInt("max_attempts"), rs.getBoolean("has_input"), "SERVICE".equals(rs.getString("kind")),
                            rs.getObject("storage_bytes", Long.class), rs.getDouble("queued_seconds"),
                            rs.getString("network")))
                    .list();
        });
    }

    /** What the workload's record says now (why it waits, or how it ended); null when nothing. */
    public String message(UUID id) {
        return jdbc.sql("select message from workload where id = :id").param("id", id).query(String.class).optional()
                .orElse(null);
    }

    /**
     * The node's heartbeat: renews the leases of what it runs, and answers which of those must
     * end now (a cancel was asked, or the lease was lost to the reaper meanwhile). It also
     * publishes where the node's internal ingress listener is ({@code null}: it has none).
     */
    public List<UUID> heartbeat(String node, String ingressAddress, Collection<UUID> running, Duration lease) {
        jdbc.sql("update node set last_heartbeat = now(), stopped_at = null, ingress_address = :address where id = :id")
                .param("id", node).param("address", ingressAddress).update();
        if (running.isEmpty()) {
            return List.of();
        }
        List<UUID> renewed = jdbc.sql("""
                update workload set lease_expires_at = now() + make_interval(secs => :lease)
                where id in (:ids) and node = :node and state = 'RUNNING' and not cancel_requested
                returning id""")
                .param("lease", lease.toMillis() / 1000.0).param("ids", running).param("node", node)
                .query(UUID.class).list();
        List<UUID> end = new ArrayList<>(running);
        end.removeAll(renewed);
        return end;
    }

    /** True when the workload is still this node's running attempt but a cancel was asked. */
    public boolean cancelRequested(UUID id) {
        return jdbc.sql("select cancel_requested from workload where id = :id").param("id", id)
                .query(Boolean.class).optional().orElse(false);
    }

    /**
     * Ends every run whose lease expired: back to the queue while attempts remain, else FAILED
     * with reason "worker_lost". A service goes back to the queue whenever no stop was asked,
     * whatever its attempts: it is meant to run for good, and a node that dies must not take an
     * instance (or, through its instance 0, the whole deployment) with it; its status turns
     * PENDING until a node claims it (STOPPED when its stop was asked). A requeued run waits {@code palisade.dispatcher.retry-backoff}
     * before it may be claimed again, doubled at each attempt up to {@code retry-backoff-max}:
     * a workload that brings its node down is not handed straight to the next one. Any instance
     * may run this; the row lock makes it happen once.
     */
    public List<UUID> reapExpired() {
        return jdbc.sql("""
                with lost as (
                    select id, not cancel_requested and (attempts < max_attempts or kind = 'SERVICE') as again,
                           least(:backoff * power(2, least(attempts, 30) - 1), :backoffMax) as delay
                    from workload where state = 'RUNNING' and lease_expires_at < now()
                    for update skip locked),
                reaped as (
                    update workload w set
                        state = case when l.again then 'QUEUED' when w.cancel_requested then 'CANCELLED' else 'FAILED' end,
                        termination_reason = case when l.again then w.termination_reason
                                                  when w.cancel_requested then 'cancelled' else 'worker_lost' end,
                        message = case when l.again
                                       then 'worker lost: its node stopped renewing its lease; retried after ' || l.delay || ' s'
                                       else 'worker lost: its node stopped renewing its lease' end,
                        not_before = case when l.again then now() + make_interval(secs => l.delay) else w.not_before end,
                        finished_at = case when l.again then null else now() end,
                        node = case when l.again then null else w.node end,
                        lease_expires_at = null
                    from lost l
                    where w.id = l.id and w.state = 'RUNNING' and w.lease_expires_at < now()
                    returning w.id, w.kind, w.state),
                waiting as (
                    update service_deployment d set updated_at = now(),
                        status = case when r.state = 'QUEUED' then 'PENDING' else 'STOPPED' end
                    from reaped r where d.workload_id = r.id and r.kind = 'SERVICE')
                select id from reaped""")
                .param("backoff", properties.retryBackoff().toMillis() / 1000.0)
                .param("backoffMax", properties.retryBackoffMax().toMillis() / 1000.0)
                .query(UUID.class).list();
    }

    /** What a finished run reports. */
    public record Outcome(String state, Integer exitCode, String reason, String message, Long cpuMillis,
            Long wallMillis, Long peakMemoryBytes, String resultJson, byte[] artifacts) {
    }

    /**
     * Charges CPU time a workload used while it still runs (a service, between heartbeats) to
     * its usage record, {@code cpu_millis}, which the monthly CPU quota sums: added to what was
     * charged before, if this node still holds this attempt. A run charged this way finishes
     * with {@code cpuMillis} null in its outcome, keeping the sum.
     */
    public boolean chargeCpu(UUID id, String node, int attempt, long millis) {
        return jdbc.sql("""
                update workload set cpu_millis = coalesce(cpu_millis, 0) + :ms
                where id = :id and node = :node and attempts = :attempt and state = 'RUNNING'""")
                .param("ms", millis).param("id", id).param("node", node).param("attempt", attempt).update() == 1;
    }

    /**
     * Stores the outcome if this node still holds this attempt; false when the lease was lost
     * meanwhile. A null {@code cpuMillis} keeps what {@link #chargeCpu} charged.
     */
    public boolean finish(UUID id, String node, int attempt, Outcome o) {
        return finish(id, node, attempt, o, () -> { });
    }

    /**
     * As {@link #finish(UUID, String, int, Outcome)}, and {@code alongside} written in the same
     * transaction when the outcome is stored (a service's status with its workload's end, so that
     * no reader sees the one without the other).
     */
    public boolean finish(UUID id, String node, int attempt, Outcome o, Runnable alongside) {
        Boolean done = tx.execute(status -> {
            int n = jdbc.sql("""
                    update workload set state = :state, exit_code = :exit, termination_reason = :reason, message = :message,
                        cpu_millis = coalesce(:cpu, cpu_millis), wall_millis = :wall, peak_memory_bytes = :mem, result = cast(:result as jsonb),
                        artifact_bytes = :abytes, finished_at = now(), lease_expires_at = null
                    where id = :id and node = :node and attempts = :attempt and state = 'RUNNING'""")
                    .param("state", o.state()).param("exit", o.exitCode()).param("reason", o.reason())
                    .param("message", truncate(o.message(), 500)).param("cpu", o.cpuMillis()).param("wall", o.wallMillis())
                    .param("mem", o.peakMemoryBytes()).param("result", o.resultJson())
                    .param("abytes", o.artifacts() == null ? 0 : o.artifacts().length)
                    .param("id", id).param("node", node).param("attempt", attempt).update();
            if (n == 0) {
                return false;
            }
            if (o.artifacts() != null) {
                putFile(id, "artifacts", o.artifacts());
            }
            alongside.run();
            return true;
        });
        return Boolean.TRUE.equals(done);
    }

    /** On a graceful stop: gives a run back to the queue, as if it had never started. */
    public void handBack(UUID id, String node, int attempt) {
        jdbc.sql("""
                update workload set state = 'QUEUED', node = null, attempts = attempts - 1, started_at = null,
                    lease_expires_at = null
                where id = :id and node = :node and attempts = :attempt and state = 'RUNNING'""")
                .param("id", id).param("node", node).param("attempt", attempt).update();
    }

    /** A cancel: a queued workload ends at once; a running one is flagged for its node. Empty when already over. */
    public Optional<String> cancel(UUID id, long tenantId) {
        int n = jdbc.sql("""
                update workload set state = 'CANCELLED', termination_reason = 'cancelled',
                    message = 'cancelled before it started', finished_at = now()
                where id = :id and tenant_id = :tenant and state = 'QUEUED'""")
                .param("id", id).param("tenant", tenantId).update();
        if (n > 0) {
            return Optional.of("");
        }
        return jdbc.sql("""
                update workload set cancel_requested = true
                where id = :id and tenant_id = :tenant and state = 'RUNNING' returning node""")
                .param("id", id).param("tenant", tenantId).query(String.class).optional();
    }

    public void putFile(UUID id, String kind, byte[] data) {
        jdbc.sql("""
                insert into workload_file (workload_id, kind, data) values (:id, :kind, :data)
                on conflict (workload_id, kind) do update set data = excluded.data""")
                .param("id", id).param("kind", kind).param("data", data).update();
    }

    public Optional<byte[]> file(UUID id, String kind) {
        return jdbc.sql("select data from workload_file where workload_id = :id and kind = :kind")
                .param("id", id).param("kind", kind).query(byte[].class).optional();
    }

    /** Stores a chunk of a log with the index of its lines ({@code LogLines}); {@code totalBytes}: the log's size now. */
    public void appendLog(UUID id, int seq, byte[] data, byte[] lines, long totalBytes) {
        jdbc.sql("insert into workload_log (workload_id, seq, data, lines) values (:id, :seq, :data, :lines)")
                .param("id", id).param("seq", seq).param("data", data).param("lines", lines).update();
        jdbc.sql("update workload set log_bytes = :n where id = :id").param("n", totalBytes).param("id", id).update();
    }

    /**
     * A log ring's drop: the chunks from {@code from} up to {@code through} go, and chunk
     * {@code through} is left holding {@code marker} alone (one line, indexed by {@code markerLines}),
     * where the dropped lines were. Chunks are whole lines, so nothing kept begins mid-line.
     * Followers read on from where they are; a new reader sees the marker in its place.
     */
    public void dropLog(UUID id, int from, int through, byte[] marker, byte[] markerLines) {
        tx.executeWithoutResult(status -> {
            jdbc.sql("delete from workload_log where workload_id = :id and seq >= :from and seq < :through")
                    .param("id", id).param("from", from).param("through", through).update();
            jdbc.sql("update workload_log set data = :marker, lines = :lines where workload_id = :id and seq = :through")
                    .param("marker", marker).param("lines", markerLines).param("id", id).param("through", through)
                    .update();
        });
    }

    /** A log chunk, its number and the index of the lines that begin in it (null for a chunk from before). */
    public record LogChunk(int seq, byte[] data, byte[] lines) {
    }

    public List<LogChunk> logAfter(UUID id, int afterSeq) {
        return logAfter(id, afterSeq, Integer.MAX_VALUE);
    }

    /** At most {@code limit} chunks after {@code afterSeq}, in order. */
    public List<LogChunk> logAfter(UUID id, int afterSeq, int limit) {
        return jdbc.sql("""
                select seq, data, lines from workload_log where workload_id = :id and seq > :after order by seq limit :n""")
                .param("id", id).param("after", afterSeq).param("n", limit)
                .query((rs, i) -> new LogChunk(rs.getInt(1), rs.getBytes(2), rs.getBytes(3))).list();
    }

    public Optional<String> state(UUID id) {
        return jdbc.sql("select state from workload where id = :id").param("id", id).query(String.class).optional();
    }

    public void securityEvent(long tenantId, String tenantSlug, UUID workload, String kind, String syscall,
            String detail) {
        jdbc.sql("""
                insert into security_event (tenant_id, tenant_slug, workload_id, kind, syscall, detail)
                values (:tenant, :slug, :workload, :kind, :syscall, :detail)""")
                .param("tenant", tenantId).param("slug", tenantSlug).param("workload", workload).param("kind", kind)
                .param("syscall", syscall).param("detail", truncate(detail, 1000)).update();
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
