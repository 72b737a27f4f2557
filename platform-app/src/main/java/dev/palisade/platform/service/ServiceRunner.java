package dev.palisade.platform.service;

import dev.palisade.model.service.ServiceSpec;
import dev.palisade.model.service.ServiceStatus;
import dev.palisade.model.quota.QuotaService;
import dev.palisade.platform.dispatch.Dispatcher;
import dev.palisade.platform.dispatch.WorkloadStore;
import dev.palisade.platform.dispatch.WorkloadStore.Claimed;
import dev.palisade.platform.dispatch.WorkloadStore.Outcome;
import dev.palisade.platform.engine.SandboxSpecs;
import dev.palisade.platform.engine.ServiceRuns;
import dev.palisade.platform.engine.WorkloadRunner.Run;
import dev.palisade.platform.logs.LogLines;
import dev.palisade.platform.logs.LogSink;
import dev.palisade.platform.service.ServiceRegistry.Instance;
import dev.palisade.platform.service.ServiceStore.Deployment;
import dev.palisade.platform.egress.RefusedConnections;
import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxEngine;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.nativeinterop.TcpConnection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * Keeps a claimed SERVICE workload running on this node for as long as it holds the lease: one
 * sandbox at a time (policy LOOPBACK: a loopback of its own to listen on, nothing else), probed
 * until it answers, then routed to by the ingress; when its program ends it is started again by
 * the restart policy, after a back-off that doubles with each quick crash (CRASH_LOOP past a
 * bound). The workspace and the log are the deployment's, kept across restarts. A stop is the
 * workload's cancel; a suspended tenant's services stop within a check period; a newer
 * deployment of the same service stops this one once it is healthy itself. Its CPU is charged
 * to the usage record each check period, and it is stopped once the tenant's CPU seconds for
 * the month are used up.
 */
@Component
class ServiceRunner implements ServiceRuns {

    private static final Logger log = LoggerFactory.getLogger(ServiceRunner.class);
    /** How often a running service is charged its CPU and checked against its tenant's status and quota. */
    private static final Duration CHECK_PERIOD = Duration.ofSeconds(2);

    private final SandboxEngine engine;
    private final WorkloadStore store;
    private final ServiceStore services;
    private final ServiceRegistry registry;
    private final SandboxSpecs specs;
    private final ServiceProperties properties;
    private final ObjectProvider<Dispatcher> dispatcher;
    private final QuotaService quotas;

    private final RefusedConnections refusals;

    ServiceRunner(SandboxEngine engine, WorkloadStore store, ServiceStore services, ServiceRegistry registry,
            SandboxSpecs specs, ServiceProperties properties, ObjectProvider<Dispatcher> dispatcher,
            QuotaService quotas, RefusedConnections refusals) {
        this.quotas = quotas;
        this.refusals = refusals;
        this.engine = engine;
        this.store = store;
        this.services = services;
        this.registry = registry;
        this.specs = specs;
        this.properties = properties;
        this.dispatcher = dispatcher;
    }

    @Override
    public boolean runs(Run run, String node) {
        Optional<Deployment> d = services.byWorkload(run.claimed.id());
        if (d.isEmpty()) {
            return false;
        }
        keepRunning(run, node, d.get());
        return true;
    }

    private void keepRunning(Run run, String node, Deployment d) {
        Claimed c = run.claimed;
        ServiceSpec spec = d.spec();
        long peakMemory = 0;
        int quickCrashes = 0;
        CpuCharge cpu = new CpuCharge(c, node);
        String endState = "CANCELLED", reason = "stopped", message = "stopped on request";
        Integer exitCode = null;
        LogSink sink = null;
        ServiceRegistry.Sleeper asleep = null;
        try {
            SandboxSpecs.Prepared prepared = specs.service(c, properties.cpuMillicores(spec.cpuMillicores()));
            SandboxSpec sandboxSpec = prepared.spec();
            sink = LogSink.ring(store, c.id(), prepared.outputBytes());
            run.attach(sink);
            // a stop takes the instance out of rotation first; its watch ends it once what is in flight is answered
            run.drainOnStop(() -> {
                Instance i = current.get(run);
                if (i != null) {
                    registry.unroute(i);
                }
                if (i == null || i.inFlight().get() == 0) {
                    run.kill();
                }
            });
            while (true) {
                // a wake was checked while asleep (every check period): the request waiting gets its answer sooner
                Optional<Stop> stop = asleep != null ? Optional.empty() : mustStop(c, d);
                if (stop.isPresent()) {
                    reason = stop.get().reason();
                    message = stop.get().message();
                    break;
                }
                // a restart in a crash loop stays CRASH_LOOP until it is healthy: one service.crash_loop event per loop;
                // a wake stays IDLE (routable across nodes, the request waiting) until it is healthy
                boolean waking = asleep != null;
                if (quickCrashes < properties.crashLoopAfter() && !waking) {
                    services.status(c.id(), ServiceStatus.STARTING, null);
                }
                long startNanos = System.nanoTime();
                Sandbox sandbox = engine.start(sandboxSpec);
                if (!run.attach(sandbox)) {
                    sandbox.close();
                    break;
                }
                Instant started = Instant.now();
                SandboxResult result;
                boolean idled = false;
                Instance instance = new Instance(c.id(), c.tenantSlug(), spec.name(), spec.port(), sandbox,
                        new InstanceConnections(() -> sandbox.connect(spec.port()), properties.idleConnections(),
                                properties.idleConnectionTime()));
                current.put(run, instance);
                try {
                    LogSink s = sink;
                    Future<?> out = s.pumpInBackground(LogLines.Stream.STDOUT, sandbox.stdout());
                    Future<?> err = s.pumpInBackground(LogLines.Stream.STDERR, sandbox.stderr());
                    closeQuietly(sandbox);
                    Watched w = watch(run, c, d, instance, cpu, waking ? new Wake(asleep, startNanos, sink) : null);
                    result = w.result();
                    idled = w.asleep() != null;
                    if (idled) {
                        asleep = w.asleep();
                    } else if (w.healthy()) {
                        asleep = null;
                    }
                    registry.unroute(instance);
                    LogSink.awaitPump(out, 2000);
                    LogSink.awaitPump(err, 2000);
                } finally {
                    current.remove(run, instance);
                    registry.unroute(instance);
                    sandbox.close();
                }
                cpu.ended(result.cpuNanos());
                peakMemory = Math.max(peakMemory, result.peakMemoryBytes());
                if (run.cancelled() || run.handedBack()) {
                    break;
                }
                stop = mustStop(c, d);
                if (stop.isPresent()) {
                    reason = stop.get().reason();
                    message = stop.get().message();
                    break;
                }
                if (idled) {
                    // scaled to zero: no sandbox, nothing charged, until a request asks for it
                    quickCrashes = 0;
                    services.status(c.id(), ServiceStatus.IDLE, null);
                    sink.note("[palisade] no request for " + spec.idleTimeoutSeconds()
                            + " s: scaled to zero; the next request starts it");
                    log.info("Service {}/{} ({}) idle: scaled to zero", c.tenantSlug(), spec.name(), c.id());
                    Optional<Stop> why = awaitWake(run, c, d, asleep);
                    if (why.isPresent()) {
                        reason = why.get().reason();
                        message = why.get().message();
                        break;
                    }
                    if (run.cancelled() || run.handedBack()) {
                        break;
                    }
                    continue;
                }
                boolean clean = result.termination() == Termination.EXITED && result.exitCode() == 0;
                String exit = describe(result);
                if (!spec.restartPolicy().restartsAfter(clean)) {
                    endState = clean ? "SUCCEEDED" : "FAILED";
                    reason = result.termination().name().toLowerCase(Locale.ROOT);
                    message = "service ended (" + exit + "); restart policy " + spec.restartPolicy();
                    exitCode = result.termination() == Termination.EXITED ? result.exitCode() : null;
                    services.status(c.id(), ServiceStatus.STOPPED, exit);
                    break;
                }
                boolean quick = Duration.between(started, Instant.now()).compareTo(properties.quickCrash()) < 0;
                quickCrashes = quick ? quickCrashes + 1 : 0;
                long delay = Math.min(properties.maxBackoff().toMillis(),
                        properties.firstBackoff().toMillis() << Math.min(20, Math.max(0, quickCrashes - 1)));
                ServiceStatus status = quickCrashes >= properties.crashLoopAfter() ? ServiceStatus.CRASH_LOOP
                        : ServiceStatus.BACKOFF;
                services.status(c.id(), status, exit);
                services.restarted(c.id());
                sink.note("[palisade] service " + exit + "; " + status.name().toLowerCase(Locale.ROOT)
                        + ", restarting in " + delay + " ms");
                log.info("Service {}/{} ({}) {}; restart in {} ms", c.tenantSlug(), spec.name(), c.id(), exit, delay);
                if (!sleepUnlessStopped(run, delay)) {
                    break;
                }
            }
        } catch (Exception e) {
            log.info("Service {} could not run: {}", c.id(), e.toString());
            endState = "FAILED";
            reason = "engine_error";
            message = specs.failure(c.id(), e);
        } finally {
            registry.forget(c.tenantSlug(), spec.name(), asleep);
            run.markEnded();
            if (sink != null) {
                sink.flush();
            }
            specs.removeWorkspace(c.id());
        }
        if (run.handedBack()) {
            services.status(c.id(), ServiceStatus.PENDING, null);
            store.handBack(c.id(), node, c.attempt());
            return;
        }
        // the CPU is on the usage record already, charged as it was used (null keeps it); a run whose lease was
        // lost meanwhile finishes nothing, and leaves the status to the reaper and whichever node runs it next;
        // the status is written with the workload's end, so that the service never shows the one without the other
        String lastExit = reason.equals("cpu_quota") ? "CPU quota used up" : null;
        store.finish(c.id(), node, c.attempt(), new Outcome(endState, exitCode, reason, message, null, null,
                peakMemory, null, null), () -> services.status(c.id(), ServiceStatus.STOPPED, lastExit));
    }

    /** Why the platform ends a service on its own: the tenant was suspended, or its CPU quota is used up. */
    private record Stop(String reason, String message) {
    }

    private Optional<Stop> mustStop(Claimed c, Deployment d) {
        if (d.primaryId() != null && !services.deploymentLive(d.primaryId())) {
            return Optional.of(new Stop("stopped", "stopped with its deployment " + d.primaryId()));
        }
        if (!services.tenantActive(c.tenantId())) {
            return Optional.of(new Stop("tenant_suspended", "stopped: tenant '" + c.tenantSlug() + "' is suspended"));
        }
        return quotas.cpuUsedUp(c.tenantId()).map(u -> new Stop("cpu_quota",
                "stopped: tenant '" + c.tenantSlug() + "' has used up its CPU seconds for this month (quota "
                        + u.quotaSeconds() + " s, used " + u.usedSeconds() + " s)"));
    }

    /**
     * A running service's CPU, charged to its usage record as it is used (each check period,
     * what was used since the last charge) so that the monthly quota sees it while it runs: the
     * instances that ended, plus the running one as far as its platform accounts it so far.
     */
    private final class CpuCharge {
        private final Claimed c;
        private final String node;
        private long endedNanos;
        private long chargedMillis;

        CpuCharge(Claimed c, String node) {
            this.c = c;
            this.node = node;
        }

        /** Charges the running instance's CPU so far ({@code -1}: not known until it ends). */
        void charge(long runningNanos) {
            long total = (endedNanos + Math.max(0, runningNanos)) / 1_000_000;
            if (total > chargedMillis && store.chargeCpu(c.id(), node, c.attempt(), total - chargedMillis)) {
                chargedMillis = total;
            }
        }

        /** An instance ended, having used {@code nanos} in all: charged now. */
        void ended(long nanos) {
            endedNanos += Math.max(0, nanos);
            charge(0);
        }
    }

    /** How an instance's watch ended: its result, whether it was healthy once, and its sleeper if it was scaled to zero. */
    private record Watched(SandboxResult result, boolean healthy, ServiceRegistry.Sleeper asleep) {
    }

    /** An instance started because a request woke its service: probed often, its start-up timed into the log. */
    private record Wake(ServiceRegistry.Sleeper sleeper, long startNanos, LogSink sink) {
    }

    /** How often a stopping instance looks whether the requests in flight to it are answered. */
    private static final Duration DRAIN_PERIOD = Duration.ofMillis(20);
    /** The instance each run of this node shows the ingress now, for a stop to take out of rotation. */
    private final java.util.Map<Run, Instance> current = new java.util.concurrent.ConcurrentHashMap<>();

    /** How often a waking instance is probed: its first answer is what the waiting request waits for. */
    private static final Duration WAKE_PROBE = Duration.ofMillis(2);

    /**
     * While the instance runs: probe it until it answers (then route to it and stop older
     * deployments); each check period charge its CPU and end it if the tenant was suspended or
     * its CPU quota is used up; a service that scales to zero is ended once no request came for
     * its idle timeout (requests from then on wake it). Returns how it ended.
     */
    private Watched watch(Run run, Claimed c, Deployment d, Instance instance, CpuCharge cpu, Wake wake)
            throws InterruptedException {
        ServiceSpec spec = d.spec();
        Sandbox sandbox = instance.sandbox();
        boolean healthy = false;
        boolean routed = false;
        long drainUntil = 0;
        ServiceRegistry.Sleeper idled = null;
        long idleNanos = Duration.ofSeconds(spec.idleTimeoutSeconds()).toNanos();
        Duration healthyPeriod = spec.scalesToZero()
                ? Duration.ofMillis(Math.max(100, Math.min(CHECK_PERIOD.toMillis(), spec.idleTimeoutSeconds() * 500L)))
                : CHECK_PERIOD;
        long nextTenantCheck = System.nanoTime() + CHECK_PERIOD.toNanos();
        long fastUntil = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            boolean stopping = run.cancelled() || run.handedBack();
            Duration period = stopping ? DRAIN_PERIOD : routed ? healthyPeriod
                    : wake != null && System.nanoTime() < fastUntil ? WAKE_PROBE : properties.healthInterval();
            Optional<SandboxResult> r = sandbox.await(period);
            if (r.isPresent()) {
                refusals.record(c.tenantId(), c.tenantSlug(), c.id(), sandbox);
                return new Watched(r.get(), healthy, idled);
            }
            if (stopping) {
                // out of rotation already: ended once the requests in flight are answered, or the drain time is up
                registry.unroute(instance);
                drainUntil = drainUntil != 0 ? drainUntil : System.nanoTime() + properties.readTimeout().toNanos();
                if (instance.inFlight().get() == 0 || System.nanoTime() - drainUntil > 0) {
                    sandbox.kill();
                }
                continue;
            }
            instance.connections().closeExpired();
            if (routed && instance.unreachable().get()) {
                // the ingress could not reach it: probed again before it receives requests
                routed = false;
                log.info("Service {}/{} ({}) was unreachable: out of rotation until healthy", c.tenantSlug(),
                        spec.name(), c.id());
            }
            if (!routed && healthy && probe(sandbox, spec)) {
                routed = true;
                registry.routeTo(instance);
            }
            if (!healthy && probe(sandbox, spec)) {
                healthy = true;
                routed = true;
                instance.lastRequestNanos().set(System.nanoTime());
                registry.routeTo(instance);
                services.status(c.id(), ServiceStatus.HEALTHY, null);
                if (wake != null) {
                    long now = System.nanoTime();
                    // the platform's share: from the first request to a running sandbox; the rest is the program's start
                    String timing = "[palisade] woken by a request: sandbox running "
                            + (instance.startedNanos() - wake.sleeper().askedNanos()) / 1_000 / 1000.0
                            + " ms after it (the platform), program answering " + (now - instance.startedNanos()) / 1_000
                            / 1000.0 + " ms later\n";
                    wake.sink().note(timing);
                }
                log.info("Service {}/{} ({}) is healthy", c.tenantSlug(), spec.name(), c.id());
                rollOn(c, d);
            }
            if (routed && idled == null && spec.scalesToZero() && !registry.busy(c.tenantSlug(), spec.name())
                    && System.nanoTime() - instance.lastRequestNanos().get() > idleNanos) {
                // requests from now on wait for the wake rather than find nothing; then the instance goes
                idled = registry.sleep(c.tenantSlug(), spec.name(), c.id());
                registry.unroute(instance);
                sandbox.kill();
                continue;
            }
            if (System.nanoTime() > nextTenantCheck) {
                nextTenantCheck = System.nanoTime() + CHECK_PERIOD.toNanos();
                cpu.charge(sandbox.cpuNanosSoFar());
                refusals.record(c.tenantId(), c.tenantSlug(), c.id(), sandbox);
                Optional<Stop> stop = mustStop(c, d);
                if (stop.isPresent()) {
                    log.info("Service {}/{} ({}) {}", c.tenantSlug(), spec.name(), c.id(), stop.get().message());
                    registry.unroute(instance);
                    sandbox.kill();
                }
            }
        }
    }

    /**
     * Scaled to zero: waits until a request wakes the service (empty), or it must stop (why), or
     * the run is stopped or handed back (empty; the caller sees it on the run).
     */
    private Optional<Stop> awaitWake(Run run, Claimed c, Deployment d, ServiceRegistry.Sleeper asleep)
            throws InterruptedException {
        long nextCheck = System.nanoTime() + CHECK_PERIOD.toNanos();
        while (!run.cancelled() && !run.handedBack()) {
            if (asleep.awaitWake(100)) {
                return Optional.empty();
            }
            if (System.nanoTime() > nextCheck) {
                nextCheck = System.nanoTime() + CHECK_PERIOD.toNanos();
                Optional<Stop> stop = mustStop(c, d);
                if (stop.isPresent()) {
                    return stop;
                }
            }
        }
        return Optional.empty();
    }

    /** Healthy: it accepts a connection and, with a health path, answers it with 2xx or 3xx. */
    static boolean probe(Sandbox sandbox, ServiceSpec spec) {
        try (TcpConnection ch = sandbox.connect(spec.port())) {
            if (spec.healthPath() == null) {
                return true;
            }
            ch.setReadTimeout(2000);
            ch.setWriteTimeout(2000);
            ch.output().write(("GET " + spec.healthPath() + " HTTP/1.0\r\nHost: localhost\r\n"
                    + "User-Agent: palisade-health\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] head = ch.input().readNBytes(12);
            String line = new String(head, StandardCharsets.US_ASCII);
            return line.startsWith("HTTP/1.") && (line.charAt(9) == '2' || line.charAt(9) == '3');
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * An instance turned healthy: its deployment rolls on. The next instance is added (one at a
     * time, each once the one before is healthy, wherever the dispatcher places it) and one
     * instance of an older deployment stops; once every instance is healthy the older
     * deployments stop whole. So a redeploy never has fewer healthy instances than before.
     */
    private void rollOn(Claimed c, Deployment d) {
        UUID deployment = d.deploymentId();
        int instances = d.spec().instances();
        if (d.ordinal() + 1 < instances && services.addInstance(deployment, d.ordinal() + 1)) {
            log.info("Service {}/{} deployment {}: starting instance {} of {}", c.tenantSlug(), d.spec().name(),
                    deployment, d.ordinal() + 2, instances);
            Dispatcher here = dispatcher.getIfAvailable();
            if (here != null) {
                here.wake();
            }
        }
        List<ServiceStatus> statuses = services.instanceStatuses(deployment);
        boolean complete = statuses.size() >= instances
                && statuses.stream().allMatch(s -> s == ServiceStatus.HEALTHY || s == ServiceStatus.IDLE);
        List<ServiceStore.Older> older = services.olderRunning(deployment);
        for (ServiceStore.Older o : older) {
            if (!complete && o.deployment()) {
                break;   // its instance 0 last: stopping it stops the rest of it
            }
            Optional<String> node = store.cancel(o.workload(), c.tenantId());
            log.info("Service instance {} replaced by {}: stopping it", o.workload(), c.id());
            Dispatcher here = dispatcher.getIfAvailable();
            if (node.isPresent() && here != null && here.node().equals(node.get())) {
                here.cancelLocal(o.workload());
            }
            if (!complete) {
                break;   // one old instance for each new one
            }
        }
    }

    private static boolean sleepUnlessStopped(Run run, long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < end) {
            if (run.cancelled() || run.handedBack()) {
                return false;
            }
            Thread.sleep(Math.min(50, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
        }
        return !(run.cancelled() || run.handedBack());
    }

    private static String describe(SandboxResult r) {
        return switch (r.termination()) {
            case EXITED -> "exited with code " + r.exitCode();
            case SIGNALED -> "killed by signal " + r.signal();
            default -> "ended: " + r.termination().name().toLowerCase(Locale.ROOT)
                    + (r.message() == null || r.message().isBlank() ? "" : " (" + r.message() + ")");
        };
    }

    private static void closeQuietly(Sandbox s) {
        try {
            s.stdin().close();
        } catch (IOException ignored) {
            // the program may be gone already
        }
    }
}
