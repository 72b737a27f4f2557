package dev.palisade.platform.dispatch;

import dev.palisade.platform.engine.WorkloadRunner;
import dev.palisade.platform.ops.LogContextFilter;
import dev.palisade.platform.ops.InternalListener;
import dev.palisade.platform.ops.NodeProperties;
import dev.palisade.platform.ops.WorkloadMetrics;
import dev.palisade.platform.engine.WorkloadRunner.Run;
import dev.palisade.sandbox.SandboxEngine;
import dev.palisade.sandbox.platform.Platform;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * This instance's worker. One claim loop fills the node's two pools, jobs and services, with
 * queued workloads (woken at once by a submit to this instance, else polling), no tenant past its
 * share of a pool on this node; each claimed workload runs on its own platform thread. A heartbeat renews the leases of what runs here and picks up cancels
 * asked on any instance; the reaper, on every node, fails or requeues work whose node stopped
 * renewing. A normal stop lets running work finish for a grace period, then hands the rest back
 * to the queue.
 */
@Component
public class Dispatcher implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    private final DispatcherProperties properties;
    private final WorkloadStore store;
    private final WorkloadRunner runner;
    private final SandboxEngine engine;
    private final String node;
    private final NodeProperties nodeProperties;
    private final WorkloadMetrics metrics;
    /** Where this node receives forwarded ingress requests: published with each heartbeat. */
    private final InternalListener internal;
    /** The platforms this node offers: it claims only workloads that ask for one of them (or for auto). */
    private volatile List<String> platforms = List.of();
    private final Map<UUID, Run> running = new ConcurrentHashMap<>();
    private final Object wake = new Object();
    private volatile boolean active;
    private volatile boolean signalled;
    private Thread claimLoop;
    private ScheduledExecutorService ticks;
    /** Each claimed workload runs on one of these, reused from run to run (a new thread per run cost CPU at dozens a second). */
    private ExecutorService runs;

    Dispatcher(DispatcherProperties properties, WorkloadStore store, WorkloadRunner runner, SandboxEngine engine,
            NodeProperties nodeProperties, WorkloadMetrics metrics, InternalListener internal) {
        this.properties = properties;
        this.internal = internal;
        this.nodeProperties = nodeProperties;
        this.metrics = metrics;
        this.store = store;
        this.runner = runner;
        this.engine = engine;
        this.node = properties.nodeId() != null && !properties.nodeId().isBlank() ? properties.nodeId()
                : host() + ":" + ProcessHandle.current().pid() + ":" + UUID.randomUUID().toString().substring(0, 8);
    }

    public String node() {
        return node;
    }

    /** Tells the claim loop that there may be work (a submit to this instance). */
    public void wake() {
        synchronized (wake) {
            signalled = true;
            wake.notifyAll();
        }
    }

    /** A cancel for a workload this node runs: kill it now rather than on the next heartbeat. */
    public boolean cancelLocal(UUID id) {
        Run run = running.get(id);
        if (run == null) {
            return false;
        }
        run.stop(true);
        return true;
    }

    @Override
    public void start() {
        if (!properties.enabled() || !nodeProperties.role().runsWorkloads()) {
            log.info("Dispatcher disabled (role {}): this instance runs no workloads", nodeProperties.role());
            return;
        }
        List<String> offered = properties.platforms();
        this.platforms = engine.platforms().stream().filter(p -> p.unavailableReason().isEmpty())
                .map(Platform::name).filter(p -> offered == null || offered.isEmpty() || offered.contains(p)).toList();
        String platforms = String.join(",", this.platforms);
        store.registerNode(node, host(), platforms, properties.capacity() + properties.serviceCapacity());
        active = true;
        runs = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "workload-idle");
            t.setDaemon(true);
            return t;
        });
        ticks = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "palisade-dispatch-tick");
            t.setDaemon(true);
            return t;
        });
        long hb = properties.heartbeat().toMillis();
        ticks.scheduleWithFixedDelay(this::heartbeat, hb, hb, TimeUnit.MILLISECONDS);
        ticks.scheduleWithFixedDelay(this::flushLogs, 200, 200, TimeUnit.MILLISECONDS);
        claimLoop = new Thread(this::claimLoop, "palisade-claim");
        claimLoop.setDaemon(true);
        claimLoop.start();
        log.info("Node {} runs up to {} jobs and {} services, at most {} and {} per tenant (platforms: {}; lease {}, "
                + "heartbeat {})", node, properties.capacity(), properties.serviceCapacity(),
                properties.perTenant(properties.capacity()), properties.perTenant(properties.serviceCapacity()),
                platforms.isEmpty() ? "none" : platforms, properties.leaseTimeout(), properties.heartbeat());
    }

    /** The free slots of each pool now, and each tenant's share of them. */
    private WorkloadStore.Room room() {
        int services = (int) running.values().stream().filter(r -> r.claimed.service()).count();
        int jobs = running.size() - services;
        return new WorkloadStore.Room(properties.capacity() - jobs, properties.serviceCapacity() - services,
                properties.perTenant(properties.capacity()), properties.perTenant(properties.serviceCapacity()));
    }

    private void claimLoop() {
        while (active) {
            try {
                List<WorkloadStore.Claimed> claimed = store.claim(node, room(), properties.leaseTimeout(), platforms);
                for (WorkloadStore.Claimed c : claimed) {
                    Run run = new Run(c);
                    running.put(c.id(), run);
                    metrics.claimed(c.queuedSeconds());
                    runs.execute(() -> {
                        Thread.currentThread().setName("workload-" + c.id());
                        MDC.put(LogContextFilter.TENANT, c.tenantSlug());
                        MDC.put(LogContextFilter.WORKLOAD, c.id().toString());
                        try {
                            runner.run(run, node);
                        } finally {
                            running.remove(c.id());
                            metrics.released();
                            MDC.clear();
                            Thread.currentThread().setName("workload-idle");
                            wake();
                        }
                    });
                }
                if (claimed.isEmpty() || room().none()) {
                    synchronized (wake) {
                        if (!signalled && active) {
                            wake.wait(properties.pollInterval().toMillis());
                        }
                        signalled = false;
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (active) {
                    log.warn("Claiming failed, trying again: {}", e.toString());
                    sleep(properties.pollInterval());
                }
            }
        }
    }

    private void heartbeat() {
        try {
            // a snapshot of the runs whose outcome is not stored yet (the others only clean up)
            List<UUID> live = running.values().stream().filter(r -> !r.settled()).map(r -> r.claimed.id()).toList();
            for (UUID id : store.heartbeat(node, internal.address().orElse(null), live, properties.leaseTimeout())) {
                Run run = running.get(id);
                if (run != null && !run.ended() && !run.settled()) {
                    boolean cancel = store.cancelRequested(id);
                    if (!cancel) {
                        metrics.leaseLost();
                        log.warn("Node {} lost the lease of workload {}; killing it", node, id);
                    }
                    run.stop(cancel);
                }
            }
            for (UUID id : store.reapExpired()) {
                log.warn("Workload {} lost its worker (lease expired)", id);
            }
        } catch (RuntimeException e) {
            log.warn("Heartbeat failed: {}", e.toString());
        }
    }

    private void flushLogs() {
        for (Run run : running.values()) {
            try {
                run.flushLog();
            } catch (RuntimeException e) {
                log.debug("Log flush failed: {}", e.toString());
            }
        }
    }

    @Override
    public void stop() {
        if (!active) {
            return;
        }
        active = false;
        wake();
        long deadline = System.nanoTime() + properties.shutdownGrace().toNanos();
        while (!running.isEmpty() && System.nanoTime() < deadline) {
            sleep(Duration.ofMillis(50));
        }
        if (!running.isEmpty()) {
            log.info("Handing {} running workloads back to the queue", running.size());
            running.values().forEach(r -> r.stop(false));
            long handBackDeadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!running.isEmpty() && System.nanoTime() < handBackDeadline) {
                sleep(Duration.ofMillis(20));
            }
        }
        ticks.shutdownNow();
        runs.shutdown();
        try {
            store.nodeStopped(node);
        } catch (RuntimeException e) {
            log.warn("Could not mark node {} stopped: {}", node, e.toString());
        }
    }

    @Override
    public boolean isRunning() {
        return active;
    }

    @Override
    public int getPhase() {
        // stop before the web server's graceful shutdown ends and long before the DataSource closes
        return SmartLifecycle.DEFAULT_PHASE - 1024;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }
}
