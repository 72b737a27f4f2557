package dev.palisade.platform.ops;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The cluster's state as the database has it, read every 10 s on every instance (so any one
 * scrape shows it; aggregate with {@code max}, not {@code sum}, across instances):
 * <ul>
 * <li>{@code palisade_workloads{tenant,state}}: queued and running workloads by tenant</li>
 * <li>{@code palisade_queue_depth}: queued workloads in all</li>
 * <li>{@code palisade_leases_expired}: RUNNING workloads whose lease has expired and not yet been
 * reaped (above 0 for longer than a lease timeout means no reaper runs)</li>
 * <li>{@code palisade_nodes_alive}, {@code palisade_nodes_capacity{platform}}: workers that
 * heartbeat, and the sandboxes they can hold, by platform they offer</li>
 * </ul>
 * While the database is unreachable the last values stay and {@code palisade_gauges_stale_seconds}
 * grows.
 */
@Component
class WorkloadGauges implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(WorkloadGauges.class);

    private final JdbcClient jdbc;
    private final MultiGauge byTenant;
    private final MultiGauge capacity;
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private final AtomicLong alive = new AtomicLong();
    private final AtomicLong lastRefresh = new AtomicLong(System.nanoTime());
    private ScheduledExecutorService timer;

    WorkloadGauges(JdbcClient jdbc, MeterRegistry registry) {
        this.jdbc = jdbc;
        this.byTenant = MultiGauge.builder("palisade.workloads").description("Queued and running workloads by tenant")
                .register(registry);
        this.capacity = MultiGauge.builder("palisade.nodes.capacity")
                .description("Sandboxes the live workers can hold, by platform offered").register(registry);
        Gauge.builder("palisade.queue.depth", queued, AtomicLong::get).description("Queued workloads").register(registry);
        Gauge.builder("palisade.leases.expired", expired, AtomicLong::get)
                .description("RUNNING workloads whose lease expired and was not reaped yet").register(registry);
        Gauge.builder("palisade.nodes.alive", alive, AtomicLong::get).description("Workers heartbeating").register(registry);
        Gauge.builder("palisade.gauges.stale", lastRefresh, t -> (System.nanoTime() - t.get()) / 1e9).baseUnit("seconds")
                .description("Age of the database-derived gauges").register(registry);
    }

    void refresh() {
        try {
            List<Object[]> counts = jdbc.sql("""
                    select t.slug, w.state, count(*) from workload w join tenant t on t.id = w.tenant_id
                    where w.state in ('QUEUED', 'RUNNING') group by t.slug, w.state""")
                    .query((rs, i) -> new Object[] {rs.getString(1), rs.getString(2), rs.getLong(3)})
                    .list();
            List<MultiGauge.Row<?>> rows = new java.util.ArrayList<>();
            for (Object[] c : counts) {
                rows.add(MultiGauge.Row.of(Tags.of("tenant", (String) c[0], "state", (String) c[1]), (Long) c[2]));
            }
            byTenant.register(rows, true);
            queued.set(jdbc.sql("select count(*) from workload where state = 'QUEUED'").query(Long.class).single());
            expired.set(jdbc.sql("select count(*) from workload where state = 'RUNNING' and lease_expires_at < now()")
                    .query(Long.class).single());
            // alive: heard from within a minute and not stopped
            List<Object[]> nodes = jdbc.sql("""
                    select platforms, capacity from node
                    where stopped_at is null and last_heartbeat > now() - interval '1 minute'""")
                    .query((rs, i) -> new Object[] {rs.getString(1), rs.getInt(2)}).list();
            alive.set(nodes.size());
            java.util.Map<String, Integer> byPlatform = new java.util.TreeMap<>();
            for (Object[] n : nodes) {
                for (String p : ((String) n[0]).split(",")) {
                    if (!p.isBlank()) {
                        byPlatform.merge(p.trim(), (Integer) n[1], Integer::sum);
                    }
                }
            }
            List<MultiGauge.Row<?>> platformRows = new java.util.ArrayList<>();
            byPlatform.forEach((p, n) -> platformRows.add(MultiGauge.Row.of(Tags.of("platform", p), n)));
            capacity.register(platformRows, true);
            lastRefresh.set(System.nanoTime());
        } catch (RuntimeException e) {
            log.debug("Workload gauges not refreshed: {}", e.toString());
        }
    }

    @Override
    public void start() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "palisade-gauges");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::refresh, 0, Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
    }

    @Override
    public boolean isRunning() {
        return timer != null;
    }
}
