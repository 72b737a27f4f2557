package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.RefusedConnection;
import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.egress.EgressLink;
import dev.palisade.sandbox.platform.Results;
import dev.palisade.sandbox.nativeinterop.Posix;
import dev.palisade.sandbox.nativeinterop.TcpConnection;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** A sandbox on the ptrace platform: its tracer thread, its standard streams, its limits. */
final class PtraceSandbox implements Sandbox {

    private final SandboxSpec spec;
    private final Tracer tracer;
    private final CompletableFuture<SandboxResult> result = new CompletableFuture<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private volatile RuntimeException startFailure;
    private final OutputStream stdin;
    private final InputStream stdout, stderr;
    private final AtomicLong output = new AtomicLong();
    private volatile ScheduledFuture<?> wallTimer, cpuPoll, placementPoll;
    private NetnsConnector connector;

    PtraceSandbox(SandboxSpec spec, int uid, int gid, Consumer<String> trace, String program,
                  StubPool.Slot slot, ScheduledExecutorService timers) {
        this.spec = spec;
        this.tracer = new Tracer(spec, uid, gid, program, trace);
        this.stdin = slot.stdin;
        this.stdout = new Counting(slot.stdout);
        this.stderr = new Counting(slot.stderr);
        slot.run(() -> run(slot));
        try {
            started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            tracer.killAll(Termination.KILLED, "interrupted while starting");
        }
        if (startFailure != null) {
            throw startFailure;
        }
        long wall = spec.limits().wallMillis();
        if (wall > 0) {
            wallTimer = timers.schedule(() -> tracer.killAll(Termination.WALL_LIMIT,
                    "wall time limit of " + wall + " ms reached"), wall, TimeUnit.MILLISECONDS);
        }
        long cpuMs = spec.limits().cpuMillis();
        if (cpuMs > 0) {
            cpuPoll = timers.scheduleAtFixedRate(() -> {
                long ns = tracer.cpuNanosNow();
                if (ns > cpuMs * 1_000_000L) {
                    tracer.killAll(Termination.CPU_LIMIT, "CPU time limit of " + cpuMs + " ms reached");
                }
            }, 50, 50, TimeUnit.MILLISECONDS);
        }
        if (tracer.placement() != null && tracer.placement().onHomeCpu()) {
            checkPlacement(timers, CpuPlacement.CHECK_MILLIS);
        }
        // the timers go with the sandbox (also when it ended before they were even scheduled)
        result.whenComplete((r, e) -> cancelTimers());
    }

    /** Checks where the sandbox runs every so often until it is spread over its CPUs or ends. */
    private void checkPlacement(ScheduledExecutorService timers, long delayMillis) {
        if (result.isDone()) {
            return;
        }
        placementPoll = timers.schedule(() -> {
            long next = tracer.checkPlacement();
            if (next > 0) {
                checkPlacement(timers, next);
            }
        }, delayMillis, TimeUnit.MILLISECONDS);
    }

    private void cancelTimers() {
        for (ScheduledFuture<?> f : java.util.Arrays.asList(wallTimer, cpuPoll, placementPoll)) {
            if (f != null) {
                f.cancel(false);
            }
        }
    }

    /** On the slot's tracer thread: adopt the stub, set up, trace until the end. */
    private void run(StubPool.Slot slot) {
        try {
            int[] cpus = CpuSet.forSandbox(spec.limits().cpuCount(), slot.turn);
            if (slot.serving != null) {
                tracer.standby(slot.serving, slot.asTracer);
            }
            if (slot.prepared != null) {
                tracer.adopt(slot.prepared, cpus);
            } else {
                tracer.adopt(slot.pid, cpus);
            }
            tracer.loop(started::countDown, result::complete);
        } catch (RuntimeException e) {
            tracer.abort();
            SandboxException failure = e instanceof SandboxException se ? se
                    : new SandboxException("engine error: " + e.getMessage(), e);
            if (started.getCount() > 0) {
                startFailure = failure;
                result.completeExceptionally(failure);
                started.countDown();
            } else {
                result.complete(new SandboxResult(Termination.ENGINE_ERROR, -1, 0, failure.getMessage(), "ptrace",
                        0, 0, 0, Map.of(), List.of(), 0));
            }
        } finally {
            cancelTimers();
        }
    }

    @Override
    public List<RefusedConnection> takeRefusedConnections() {
        if (result.isDone()) {
            try {
                tracer.awaitEgressClosed(); // the last refusals are read when the link is removed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        EgressLink link = tracer.egress();
        return link == null ? List.of() : link.takeRefused();
    }

    /** Counts what the program writes to stdout and stderr together; past the limit it ends the sandbox. */
    private final class Counting extends FilterInputStream {
        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            long limit = spec.limits().outputBytes();
            if (n > 0 && limit > 0) {
                long before = output.getAndAdd(n);
                if (before + n > limit) {
                    tracer.killAll(Termination.OUTPUT_LIMIT, "output limit of " + limit + " bytes reached");
                    return before >= limit ? -1 : (int) (limit - before);
                }
            }
            return n;
        }
    }

    @Override
    public OutputStream stdin() {
        return stdin;
    }

    @Override
    public InputStream stdout() {
        return stdout;
    }

    @Override
    public InputStream stderr() {
        return stderr;
    }

    @Override
    public void kill() {
        tracer.killAll(Termination.KILLED, "killed on request");
    }

    @Override
    public SandboxResult await() throws InterruptedException {
        return Results.await(result);
    }

    @Override
    public Optional<SandboxResult> await(Duration timeout) throws InterruptedException {
        return Results.await(result, timeout);
    }

    /** From the sandbox's cgroup: every process of the tree, those already gone included. */
    @Override
    public long cpuNanosSoFar() {
        return result.isDone() ? result.join().cpuNanos() : tracer.cpuNanosNow();
    }

    @Override
    public TcpConnection connect(int port) throws IOException {
        return connector().connect(port);
    }

    private synchronized NetnsConnector connector() throws IOException {
        if (result.isDone()) {
            throw new IOException("the sandbox has ended");
        }
        if (connector == null) {
            int pid = tracer.initPid();
            try {
                connector = new NetnsConnector(pid != 0 ? pid : tracer.stubPid());
            } catch (RuntimeException e) {
                throw new IOException("cannot reach the sandbox's network namespace: " + e.getMessage(), e);
            }
            if (result.isDone()) {   // the pid may have been reused between the check and the open
                connector.close();
                connector = null;
                throw new IOException("the sandbox has ended");
            }
        }
        return connector;
    }

    @Override
    public void close() {
        if (!result.isDone()) {
            kill();
        }
        synchronized (this) {
            if (connector != null) {
                connector.close();
            }
        }
        if (spec.network() == dev.palisade.sandbox.NetworkPolicy.EGRESS) {
            try {
                tracer.awaitEgressClosed(); // no veth or rule of a closed sandbox is left on the node
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            stdin.close();
        } catch (IOException ignored) {
            // best effort
        }
        try {
            stdout.close();
            stderr.close();
        } catch (IOException ignored) {
            // best effort
        }
    }
}
