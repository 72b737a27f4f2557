package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.FileTrees;
import dev.palisade.sandbox.NetworkPolicy;
import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.platform.Results;
import dev.palisade.sandbox.nativeinterop.TcpConnection;
import dev.palisade.sandbox.sentry.net.Loopback;
import dev.palisade.sandbox.sentry.vfs.ByteQueue;
import dev.palisade.sandbox.sentry.vfs.ProcFs;
import dev.palisade.sandbox.sentry.vfs.VirtualFs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A running KVM sandbox: one platform thread per process drives its vCPU ({@link KvmTask}); a watchdog
 * checks the CPU and wall limits every few milliseconds and, past one, sets the stop reason,
 * kicks the vCPU out of KVM_RUN and stops the guest memory's walks, so a guest spinning forever
 * and a handler working through a large range both end (the handler's time is the program's CPU).
 */
final class KvmSandbox implements Sandbox {
    private static final int STREAM_BUFFER = 4 << 20;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "palisade-kvm-watchdog");
        t.setDaemon(true);
        return t;
    });

    final ByteQueue stdinQueue = new ByteQueue(1 << 16);
    final ByteQueue stdoutQueue = new ByteQueue(STREAM_BUFFER);
    final ByteQueue stderrQueue = new ByteQueue(STREAM_BUFFER);
    final long startNanos;
    /** The sandbox's own network: ports its program listens on, reached only through {@link #connect}. */
    final Loopback loopback;
    volatile long firstInstructionNanos;
    volatile Termination stopReason;
    volatile String stopMessage;
    /**
     * CPU time the vCPU thread had used before this sandbox's program (a standby thread built its
     * VM, and the thread may have run other sandboxes before); -1 until the program begins.
     */
    volatile long cpuBaselineNanos = -1;

    private final KvmLaunch launch;
    private final CompletableFuture<SandboxResult> result = new CompletableFuture<>();
    private volatile Thread thread;
    private final ScheduledFuture<?> watch;
    /** The vCPUs and guest memories of the sandbox's processes, to kick and stop when it must end. */
    private final java.util.List<VcpuKicker> kickers = new java.util.ArrayList<>();
    private final java.util.List<GuestMemory> memories = new java.util.ArrayList<>();
    /** The sandbox's processes. */
    final KvmProcesses processes = new KvmProcesses();
    /** Set when the first process (the sandbox's init) has ended: the others end too. */
    private volatile boolean initEnded;

    KvmSandbox(KvmLaunch launch, long startNanos) {
        this.launch = launch;
        this.startNanos = startNanos;
        this.loopback = new Loopback(launch.spec().network() == NetworkPolicy.LOOPBACK, this::aborted);
        this.watch = WATCHDOG.scheduleAtFixedRate(this::check, 5, 5, TimeUnit.MILLISECONDS);
        launch.fs().mountProc(new ProcFs(new KvmProcView(this, launch)));
        this.thread = VcpuThreads.start(new KvmTask(this, launch), KvmTask.memoryBytes(launch));
    }

    boolean aborted() {
        return stopReason != null || initEnded;
    }

    /** A vCPU to kick and a guest memory whose walks to stop when the sandbox must end. */
    synchronized void attach(VcpuKicker k, GuestMemory m) {
        kickers.add(k);
        memories.add(m);
        if (sharedPool == null) {
            sharedPool = new SharedPool(m.allocator().limitPages());
        }
        m.useShared(sharedPool);
        if (aborted()) {
            k.kick();
            m.stop();
        }
    }

    /** The memory the sandbox's processes share (MAP_SHARED), bounded by the memory limit; made when the first process starts. */
    private SharedPool sharedPool;

    synchronized void detach(VcpuKicker k, GuestMemory m) {
        if (k != null) {
            k.close();
            kickers.remove(k);
        }
        memories.remove(m);
    }

    /** The first process ended: every other one is stopped (as when a pid namespace's init dies). */
    synchronized void initEnded() {
        initEnded = true;
        kickers.forEach(VcpuKicker::kick);
        memories.forEach(GuestMemory::stop);
    }

    /** Ends the sandbox for {@code why}; the first reason wins. */
    synchronized void stop(Termination why, String message) {
        if (stopReason != null || result.isDone()) {
            return;
        }
        stopMessage = message;
        stopReason = why;
        kickers.forEach(VcpuKicker::kick);
        memories.forEach(GuestMemory::stop);   // a handler deep in a walk over guest memory ends at its next check
        loopback.wakeup();   // a program blocked in accept or recv returns at once
    }

    /** The period a CPU rate is counted over, as the CFS quota's. */
    private static final long RATE_PERIOD_NANOS = 100_000_000L;
    /** The current rate period: when it began (wall) and the vCPU's CPU time then. */
    private volatile long periodStartNanos = -1, periodStartCpu;

    /** CPU time the vCPU may use per rate period, or 0 without a rate. */
    private long periodBudget() {
        return launch.spec().limits().cpuMillicores() * RATE_PERIOD_NANOS / 1000;
    }

    /** Whether the vCPU used its rate's share of the current period (the watchdog kicks it out then). */
    private boolean overRate() {
        long budget = periodBudget();
        if (budget <= 0 || periodStartNanos < 0) {
            return false;
        }
        return cpuNanosSoFar() - periodStartCpu >= budget;
    }

    /**
     * On the vCPU thread, before it enters the guest: with a CPU rate ({@code cpuMillicores}),
     * a vCPU that used its share of the period waits for the next one, as a cgroup's CFS quota
     * throttles a process (the vCPU is a thread of the engine, not of a cgroup of its own).
     */
    void throttle() {
        long budget = periodBudget();
        if (budget <= 0) {
            return;
        }
        long now = System.nanoTime();
        if (periodStartNanos < 0 || now - periodStartNanos >= RATE_PERIOD_NANOS) {
            periodStartCpu = cpuNanosSoFar();
            periodStartNanos = now;
            return;
        }
        if (cpuNanosSoFar() - periodStartCpu < budget) {
            return;
        }
        long until = periodStartNanos + RATE_PERIOD_NANOS;
        while (stopReason == null && (now = System.nanoTime()) < until) {
            java.util.concurrent.locks.LockSupport.parkNanos(until - now);
        }
        periodStartCpu = cpuNanosSoFar();
        periodStartNanos = System.nanoTime();
    }

    private void check() {
        if (result.isDone()) {
            return;
        }
        var l = launch.spec().limits();
        if (overRate()) {
            synchronized (this) {
                kickers.forEach(VcpuKicker::kick);   // each vCPU waits out the period at its loop's head
            }
        }
        long wall = System.nanoTime() - startNanos;
        if (l.wallMillis() > 0 && wall > l.wallMillis() * 1_000_000L) {
            stop(Termination.WALL_LIMIT, "wall-clock limit of " + l.wallMillis() + " ms reached");
            return;
        }
        if (l.cpuMillis() > 0 && cpuNanosSoFar() > l.cpuMillis() * 1_000_000L) {
            stop(Termination.CPU_LIMIT, "CPU time limit of " + l.cpuMillis() + " ms reached");
        }
    }

    /** The vCPU thread's CPU time since this sandbox's program began (0 before); -1 once that thread is gone. */
    @Override
    public long cpuNanosSoFar() {
        Thread t = thread;
        long baseline = cpuBaselineNanos;
        if (t == null || baseline < 0) {
            return 0;   // before the program's first instruction, the thread's time is not its own
        }
        long total = THREADS.getThreadCpuTime(t.getId());
        return total < 0 ? -1 : Math.max(0, total - baseline) + otherCpuNanos();
    }

    /** The vCPU threads other than the first process's first one (threads, forked processes), each with its CPU time at its start. */
    private final java.util.Map<Thread, Long> otherVcpus = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong endedOtherCpu = new java.util.concurrent.atomic.AtomicLong();

    /** On a new vCPU thread: its CPU time from {@code baseline} on counts as the sandbox's. */
    void vcpuStarted(long baseline) {
        otherVcpus.put(Thread.currentThread(), baseline);
    }

    /** On that vCPU thread as it ends: the CPU time it used. */
    void vcpuEnded(long used) {
        otherVcpus.remove(Thread.currentThread());
        endedOtherCpu.addAndGet(Math.max(0, used));
    }

    /** CPU time of the vCPU threads other than the first: the ended ones' and the live ones' so far (one look at each). */
    long otherCpuNanos() {
        long sum = endedOtherCpu.get();
        for (var e : otherVcpus.entrySet()) {
            long now = THREADS.getThreadCpuTime(e.getKey().getId());
            if (now > 0) {
                sum += Math.max(0, now - e.getValue());
            }
        }
        return sum;
    }

    void closeOutputs() {
        stdoutQueue.closeWriter();
        stderrQueue.closeWriter();
        stdinQueue.closeReader();
    }

    void finish(SandboxResult r) {
        try {
            watch.cancel(false);
            cleanUp();
        } finally {
            result.complete(r);
        }
    }

    private void cleanUp() {
        deleteTree(launch.tmpDir());
        launch.fs().mounts().stream().filter(m -> m.at().equals(VirtualFs.SHM)).forEach(m -> deleteTree(m.host()));
        if (launch.ownWorkspace() != null) {
            deleteTree(launch.ownWorkspace());
        }
    }

    private static void deleteTree(Path p) {
        try {
            FileTrees.delete(p);
        } catch (RuntimeException ignored) {
            // best effort: the sandbox is over, and what it left is not the caller's problem
        }
    }

    /**
     * Connects to the program's listening socket on {@code port}: the caller gets one end of a
     * host socket pair, the program accepts the other (see {@link Loopback}).
     */
    @Override
    public TcpConnection connect(int port) throws IOException {
        if (result.isDone()) {
            throw new IOException("the sandbox has ended");
        }
        return loopback.connect(port);
    }

    @Override
    public OutputStream stdin() {
        return stdinQueue.outputStream();
    }

    @Override
    public InputStream stdout() {
        return stdoutQueue.inputStream();
    }

    @Override
    public InputStream stderr() {
        return stderrQueue.inputStream();
    }

    @Override
    public void kill() {
        stop(Termination.KILLED, "killed");
    }

    @Override
    public SandboxResult await() throws InterruptedException {
        return Results.await(result);
    }

    @Override
    public Optional<SandboxResult> await(Duration timeout) throws InterruptedException {
        return Results.await(result, timeout);
    }

    /** Nanoseconds from {@code start} to the program's first instruction (0 before it runs). */
    long startupNanos() {
        long f = firstInstructionNanos;
        return f == 0 ? 0 : f - startNanos;
    }

    @Override
    public void close() {
        kill();
        stdoutQueue.closeReader();
        stderrQueue.closeReader();
        try {
            result.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // the vCPU thread is a daemon; nothing else to free here
        }
    }
}
