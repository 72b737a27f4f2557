package dev.palisade.platform.engine;

import dev.palisade.platform.dispatch.WorkloadStore;
import dev.palisade.platform.dispatch.WorkloadStore.Claimed;
import dev.palisade.platform.dispatch.WorkloadStore.Outcome;
import dev.palisade.platform.logs.LogLines;
import dev.palisade.platform.logs.LogSink;
import dev.palisade.platform.ops.WorkloadMetrics;
import dev.palisade.platform.workload.Archives;
import dev.palisade.platform.workload.WorkloadProperties;
import dev.palisade.platform.workload.WorkloadResult;
import dev.palisade.platform.egress.RefusedConnections;
import dev.palisade.sandbox.DeniedCall;
import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxEngine;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.Termination;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs one claimed workload in the sandbox: a fresh workspace under
 * {@code <data-dir>/work/<id>} with the input unpacked and owned by the tenant's uid, the
 * tenant's limits and identity, stdout and stderr into the log, {@code /workspace/out} packed as
 * artifacts, the result stored, denied calls recorded as security events.
 */
@Component
public class WorkloadRunner {

    private static final Logger log = LoggerFactory.getLogger(WorkloadRunner.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Denied calls of one run recorded as separate security events; the rest are counted in the last one. */
    private static final int MAX_EVENTS = 50;

    private final SandboxEngine engine;
    private final WorkloadStore store;
    private final SandboxSpecs specs;
    private final WorkloadProperties properties;
    private final WorkloadMetrics metrics;
    private final ServiceRuns services;

    private final RefusedConnections refusals;

    WorkloadRunner(SandboxEngine engine, WorkloadStore store, SandboxSpecs specs, WorkloadProperties properties,
            WorkloadMetrics metrics, ServiceRuns services, RefusedConnections refusals) {
        this.services = services;
        this.refusals = refusals;
        this.engine = engine;
        this.metrics = metrics;
        this.store = store;
        this.specs = specs;
        this.properties = properties;
    }

    /** What the dispatcher knows of a run: its sandbox once started, and why it may have to end early. */
    public static final class Run {
        public final Claimed claimed;
        volatile Sandbox sandbox;
        volatile LogSink sink;
        volatile boolean cancelled;
        volatile boolean handBack;
        volatile boolean ended;
        volatile boolean settled;

        public Run(Claimed claimed) {
            this.claimed = claimed;
        }

        /** What a service does on a stop instead of a kill: {@link #drainOnStop}. */
        private volatile Runnable drain;

        /** Ends the run now: a cancel, or a hand-back on shutdown. */
        public synchronized void stop(boolean cancel) {
            if (cancel) {
                cancelled = true;
            } else {
                handBack = true;
            }
            Runnable d = drain;
            if (d != null) {
                d.run();
            } else {
                kill();
            }
        }

        /**
         * A service's stop: {@code r} (which takes its instance out of rotation, and kills the
         * sandbox itself once nothing is in flight to it) runs instead of the kill.
         */
        public void drainOnStop(Runnable r) {
            drain = r;
        }

        /** Kills the sandbox the run has now, if any. */
        public synchronized void kill() {
            Sandbox s = sandbox;
            if (s != null) {
                s.kill();
            }
        }

        /**
         * Hands the run a sandbox it now runs (a service starts one per restart); false, and the
         * sandbox is left to the caller, when the run is already being stopped.
         */
        public synchronized boolean attach(Sandbox s) {
            if (cancelled || handBack) {
                return false;
            }
            sandbox = s;
            return true;
        }

        public void attach(LogSink s) {
            sink = s;
        }

        /** A cancel (stop) was asked. */
        public boolean cancelled() {
            return cancelled;
        }

        /** The node gives it back to the queue (graceful shutdown). */
        public boolean handedBack() {
            return handBack;
        }

        public void markEnded() {
            ended = true;
        }

        /** True once the sandbox ended: the outcome is being stored or is stored. */
        public boolean ended() {
            return ended;
        }

        /** True once the outcome is stored (or handed back): nothing of this run needs the lease any more. */
        public boolean settled() {
            return settled;
        }

        public void flushLog() {
            LogSink s = sink;
            if (s != null && !ended) {
                s.flush();
            }
        }
    }

    public void run(Run run, String node) {
        Claimed c = run.claimed;
        // a job never has a deployment: no look-up (a round trip per workload) for it
        if (c.service() && services.runs(run, node)) {
            run.settled = true;
            return;
        }
        Path ws = specs.workspace(c.id());
        Sandbox sandbox = null;
        try {
            SandboxSpecs.Prepared prepared = specs.job(c);
            LogSink sink = new LogSink(store, c.id(), prepared.outputBytes());
            run.sink = sink;
            synchronized (run) {
                if (run.cancelled || run.handBack) {
                    finishStopped(run, node, null, sink);
                    return;
                }
                long starting = System.nanoTime();
                sandbox = engine.start(prepared.spec());
                metrics.sandboxStarted(c.platform(), System.nanoTime() - starting);
                run.sandbox = sandbox;
            }
            Sandbox sb = sandbox;
            Future<?> out = sink.pumpInBackground(LogLines.Stream.STDOUT, sb.stdout());
            Future<?> err = sink.pumpInBackground(LogLines.Stream.STDERR, sb.stderr());
            try {
                sb.stdin().close();
            } catch (IOException ignored) {
                // the program may be gone already
            }
            SandboxResult result = sb.await();
            LogSink.awaitPump(out, 5000);
            LogSink.awaitPump(err, 5000);
            run.ended = true;
            sink.flush();
            if (run.handBack) {
                store.handBack(c.id(), node, c.attempt());
                return;
            }
            byte[] artifacts = null;
            String artifactNote = "";
            try {
                artifacts = Archives.packTarGz(ws.resolve("out"), properties.maxArtifactSize().toBytes());
            } catch (RuntimeException e) {
                artifactNote = "; artifacts not kept: " + e.getMessage();
            }
            Outcome outcome = outcome(run, result, sink, artifacts, artifactNote);
            // before the end is visible: whoever sees the workload ended sees every refusal it met
            refusals.record(c.tenantId(), c.tenantSlug(), c.id(), sb);
            if (store.finish(c.id(), node, c.attempt(), outcome)) {
                metrics.finished(c.tenantSlug(), outcome.state(), result);
                recordSecurityEvents(c, result);
            } else {
                log.warn("Workload {} finished on {} after its lease was lost; its result is dropped", c.id(), node);
            }
        } catch (Exception e) {
            log.info("Workload {} could not run: {}", c.id(), e.toString());
            String why = specs.failure(c.id(), e);
            run.ended = true;
            if (run.handBack) {
                store.handBack(c.id(), node, c.attempt());
            } else {
                store.finish(c.id(), node, c.attempt(), new Outcome(run.cancelled ? "CANCELLED" : "FAILED", null,
                        run.cancelled ? "cancelled" : "engine_error", why, null, null, null, null, null));
            }
        } finally {
            run.settled = true;
            if (sandbox != null) {
                sandbox.close();
            }
            specs.removeWorkspace(c.id());
        }
    }

    private void finishStopped(Run run, String node, SandboxResult r, LogSink sink) {
        Claimed c = run.claimed;
        if (run.handBack) {
            store.handBack(c.id(), node, c.attempt());
        } else {
            store.finish(c.id(), node, c.attempt(), new Outcome("CANCELLED", null, "cancelled",
                    "cancelled before the sandbox started", null, null, null, null, null));
        }
    }

    private static Outcome outcome(Run run, SandboxResult r, LogSink sink, byte[] artifacts, String note) {
        String state;
        String reason = r.termination().name().toLowerCase(Locale.ROOT);
        if (run.cancelled && r.termination() == Termination.KILLED) {
            state = "CANCELLED";
            reason = "cancelled";
        } else if (r.termination() == Termination.EXITED) {
            state = r.exitCode() == 0 ? "SUCCEEDED" : "FAILED";
        } else if (r.termination() == Termination.CPU_LIMIT || r.termination() == Termination.WALL_LIMIT) {
            state = "TIMED_OUT";
        } else {
            state = "FAILED";
        }
        String message = (run.cancelled && r.termination() == Termination.KILLED ? "cancelled while running" : r.message())
                + note;
        return new Outcome(state, r.termination() == Termination.EXITED ? r.exitCode() : null, reason, message,
                r.cpuNanos() / 1_000_000, r.wallNanos() / 1_000_000, r.peakMemoryBytes(),
                JSON.writeValueAsString(WorkloadResult.of(r, sink.truncated())),
                artifacts);
    }

    private void recordSecurityEvents(Claimed c, SandboxResult r) {
        List<DeniedCall> denied = r.deniedCalls();
        for (int i = 0; i < Math.min(denied.size(), MAX_EVENTS); i++) {
            DeniedCall d = denied.get(i);
            store.securityEvent(c.tenantId(), c.tenantSlug(), c.id(), "denied_syscall", d.name(),
                    d.action() + " " + d.name() + "(" + d.detail() + ") errno=" + d.errno() + " pid=" + d.pid());
        }
        long more = denied.size() - Math.min(denied.size(), MAX_EVENTS) + r.deniedCallsDropped();
        if (more > 0) {
            store.securityEvent(c.tenantId(), c.tenantSlug(), c.id(), "denied_syscalls_more", null,
                    more + " more denied calls in this run");
        }
        if (r.termination() == Termination.POLICY_VIOLATION) {
            store.securityEvent(c.tenantId(), c.tenantSlug(), c.id(), "policy_violation", null, r.message());
        }
    }
}
