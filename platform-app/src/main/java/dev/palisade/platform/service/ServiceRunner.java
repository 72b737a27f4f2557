package dev.palisade.platform.service;

import dev.palisade.model.service.ServiceSpec;
import dev.palisade.model.service.ServiceStatus;
import dev.palisade.platform.config.PalisadeProperties;
import dev.palisade.platform.dispatch.Dispatcher;
import dev.palisade.platform.dispatch.WorkloadStore;
import dev.palisade.platform.dispatch.WorkloadStore.Claimed;
import dev.palisade.platform.dispatch.WorkloadStore.Outcome;
import dev.palisade.platform.engine.ServiceRuns;
import dev.palisade.platform.engine.TenantIdentity;
import dev.palisade.platform.engine.WorkloadRunner.Run;
import dev.palisade.platform.engine.Workspaces;
import dev.palisade.platform.image.Images;
import dev.palisade.platform.logs.LogSink;
import dev.palisade.platform.service.ServiceRegistry.Instance;
import dev.palisade.platform.service.ServiceStore.Deployment;
import dev.palisade.platform.workload.Archives;
import dev.palisade.platform.workload.WorkloadProperties;
import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.NetworkPolicy;
import dev.palisade.sandbox.PlatformChoice;
import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxEngine;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keeps a claimed SERVICE workload running on this node for as long as it holds the lease: one
 * sandbox at a time (policy LOOPBACK: a loopback of its own to listen on, nothing else), probed
 * until it answers, then routed to by the ingress; when its program ends it is started again by
 * the restart policy, after a back-off that doubles with each quick crash (CRASH_LOOP past a
 * bound). The workspace and the log are the deployment's, kept across restarts. A stop is the
 * workload's cancel; a suspended tenant's services stop within a probe period; a newer
 * deployment of the same service stops this one once it is healthy itself.
 */
@Component
class ServiceRunner implements ServiceRuns {

    private static final Logger log = LoggerFactory.getLogger(ServiceRunner.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration TENANT_CHECK = Duration.ofSeconds(2);

    private final SandboxEngine engine;
    private final WorkloadStore store;
    private final ServiceStore services;
    private final ServiceRegistry registry;
    private final Images images;
    private final TenantIdentity identity;
    private final WorkloadProperties workloadProperties;
    private final ServiceProperties properties;
    private final ObjectProvider<Dispatcher> dispatcher;
    private final Path workRoot;
    private final Workspaces workspaces;

    ServiceRunner(SandboxEngine engine, WorkloadStore store, ServiceStore services, ServiceRegistry registry,
            Images images, TenantIdentity identity, WorkloadProperties workloadProperties, ServiceProperties properties,
            ObjectProvider<Dispatcher> dispatcher, PalisadeProperties palisade, Workspaces workspaces) {
        this.engine = engine;
        this.workspaces = workspaces;
        this.store = store;
        this.services = services;
        this.registry = registry;
        this.images = images;
        this.identity = identity;
        this.workloadProperties = workloadProperties;
        this.properties = properties;
        this.dispatcher = dispatcher;
        this.workRoot = palisade.dataDir().toAbsolutePath().normalize().resolve("work");
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
        Path ws = workRoot.resolve(c.id().toString());
        long cpuMillis = 0, peakMemory = 0;
        int quickCrashes = 0;
        String endState = "CANCELLED", reason = "stopped", message = "stopped on request";
        Integer exitCode = null;
        LogSink sink = null;
        try {
            int uid = identity.uid(c.tenantId());
            Map<String, Long> l = JSON.readValue(c.limits(), new TypeReference<Map<String, Long>>() { });
            long output = l.getOrDefault("outputBytes", Limits.DEFAULT.outputBytes());
            long disk = workspaces.open(ws, c.tenantId());
            if (c.hasInput()) {
                byte[] input = store.file(c.id(), "input").orElse(new byte[0]);
                Archives.extract(input, ws, workloadProperties.maxInputEntries(),
                        workloadProperties.maxInputExpanded().toBytes());
            }
            Archives.chown(ws, uid, uid);
            // a service runs until stopped: no wall limit; CPU, memory and processes as for a job, per instance
            Limits limits = new Limits(l.getOrDefault("cpuMillis", Limits.DEFAULT.cpuMillis()), 0,
                    l.getOrDefault("memoryBytes", Limits.DEFAULT.memoryBytes()),
                    l.getOrDefault("maxProcesses", (long) Limits.DEFAULT.maxProcesses()).intValue(),
                    Limits.DEFAULT.fileSizeBytes(), 0).withDiskBytes(disk);
            SandboxSpec.Builder builder = SandboxSpec.builder(JSON.readValue(c.command(), new TypeReference<List<String>>() { }))
                    .environment(JSON.readValue(c.env(), new TypeReference<Map<String, String>>() { }))
                    .workspace(ws)
                    .limits(limits)
                    .network(NetworkPolicy.LOOPBACK)
                    .platform(PlatformChoice.valueOf(c.platform().toUpperCase(Locale.ROOT)))
                    .identity(uid, uid);
            images.root(c.image()).ifPresent(builder::root);
            SandboxSpec sandboxSpec = builder.build();
            sink = new LogSink(store, c.id(), output);
            run.attach(sink);
            while (true) {
                if (!services.tenantActive(c.tenantId())) {
                    reason = "tenant_suspended";
                    message = "stopped: tenant '" + c.tenantSlug() + "' is suspended";
                    break;
                }
                services.status(c.id(), ServiceStatus.STARTING, null);
                Sandbox sandbox = engine.start(sandboxSpec);
                if (!run.attach(sandbox)) {
                    sandbox.close();
                    break;
                }
                Instant started = Instant.now();
                SandboxResult result;
                Instance instance = new Instance(c.id(), c.tenantSlug(), spec.name(), spec.port(), sandbox);
                try {
                    LogSink s = sink;
                    Thread out = daemon("svc-out-" + c.id(), () -> s.pump(sandbox.stdout()));
                    Thread err = daemon("svc-err-" + c.id(), () -> s.pump(sandbox.stderr()));
                    closeQuietly(sandbox);
                    result = watch(run, c, spec, instance);
                    registry.unroute(instance);
                    out.join(2000);
                    err.join(2000);
                } finally {
                    registry.unroute(instance);
                    sandbox.close();
                }
                cpuMillis += result.cpuNanos() / 1_000_000;
                peakMemory = Math.max(peakMemory, result.peakMemoryBytes());
                if (run.cancelled() || run.handedBack()) {
                    break;
                }
                if (!services.tenantActive(c.tenantId())) {
                    reason = "tenant_suspended";
                    message = "stopped: tenant '" + c.tenantSlug() + "' is suspended";
                    break;
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
                sink.pump(new ByteArrayInputStream(("[palisade] service " + exit + "; " + status.name().toLowerCase(Locale.ROOT)
                        + ", restarting in " + delay + " ms\n").getBytes(StandardCharsets.UTF_8)));
                log.info("Service {}/{} ({}) {}; restart in {} ms", c.tenantSlug(), spec.name(), c.id(), exit, delay);
                if (!sleepUnlessStopped(run, delay)) {
                    break;
                }
            }
        } catch (Exception e) {
            log.info("Service {} could not run: {}", c.id(), e.toString());
            endState = "FAILED";
            reason = "engine_error";
            message = e instanceof Archives.ArchiveException || e instanceof dev.palisade.sandbox.SandboxException
                    ? e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage();
        } finally {
            run.markEnded();
            if (sink != null) {
                sink.flush();
            }
            try {
                workspaces.remove(ws);
            } catch (RuntimeException e) {
                log.warn("Could not remove the workspace {}: {}", ws, e.toString());
            }
        }
        if (run.handedBack()) {
            services.status(c.id(), ServiceStatus.PENDING, null);
            store.handBack(c.id(), node, c.attempt());
            return;
        }
        services.status(c.id(), ServiceStatus.STOPPED, null);
        store.finish(c.id(), node, c.attempt(), new Outcome(endState, exitCode, reason, message, cpuMillis, null,
                peakMemory, null, null));
    }

    /**
     * While the instance runs: probe it until it answers (then route to it and stop older
     * deployments), check the tenant is still active; returns its result when it ends.
     */
    private SandboxResult watch(Run run, Claimed c, ServiceSpec spec, Instance instance) throws InterruptedException {
        Sandbox sandbox = instance.sandbox();
        boolean healthy = false;
        long nextTenantCheck = System.nanoTime() + TENANT_CHECK.toNanos();
        while (true) {
            Optional<SandboxResult> r = sandbox.await(healthy ? TENANT_CHECK : properties.healthInterval());
            if (r.isPresent()) {
                return r.get();
            }
            if (!healthy && probe(sandbox, spec)) {
                healthy = true;
                registry.routeTo(instance);
                services.status(c.id(), ServiceStatus.HEALTHY, null);
                log.info("Service {}/{} ({}) is healthy", c.tenantSlug(), spec.name(), c.id());
                stopOlder(c);
            }
            if (System.nanoTime() > nextTenantCheck) {
                nextTenantCheck = System.nanoTime() + TENANT_CHECK.toNanos();
                if (!services.tenantActive(c.tenantId())) {
                    registry.unroute(instance);
                    sandbox.kill();
                }
            }
        }
    }

    /** Healthy: it accepts a connection and, with a health path, answers it with 2xx or 3xx. */
    static boolean probe(Sandbox sandbox, ServiceSpec spec) {
        try (SocketChannel ch = sandbox.connect(spec.port())) {
            if (spec.healthPath() == null) {
                return true;
            }
            ch.socket().setSoTimeout(2000);
            ch.socket().getOutputStream().write(("GET " + spec.healthPath() + " HTTP/1.0\r\nHost: localhost\r\n"
                    + "User-Agent: palisade-health\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = ch.socket().getInputStream();
            byte[] head = in.readNBytes(12);
            String line = new String(head, StandardCharsets.US_ASCII);
            return line.startsWith("HTTP/1.") && (line.charAt(9) == '2' || line.charAt(9) == '3');
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void stopOlder(Claimed c) {
        for (UUID older : services.olderRunning(c.id())) {
            Optional<String> node = store.cancel(older, c.tenantId());
            log.info("Service deployment {} replaced by {}: stopping it", older, c.id());
            Dispatcher d = dispatcher.getIfAvailable();
            if (node.isPresent() && d != null && d.node().equals(node.get())) {
                d.cancelLocal(older);
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

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
