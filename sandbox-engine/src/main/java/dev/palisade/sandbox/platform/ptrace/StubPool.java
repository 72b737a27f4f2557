package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.nativeinterop.Posix;
import dev.palisade.sandbox.nativeinterop.Ptrace;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tracer threads with a stub already spawned, stopped and seized, so a sandbox's start-up skips
 * the stub's exec and shell start-up (about 2 ms here).
 *
 * <p>Each slot is one platform thread that posix_spawns the stub (so no JDK
 * thread knows its pid), waits until the stub has stopped itself ({@code kill -STOP $$}, before
 * anything of a workload exists), seizes it with {@code PTRACE_O_EXITKILL} (so a stub never
 * outlives its thread or the JVM) and then waits for the one sandbox it will run. The stub knows
 * nothing of the workload: its program, arguments and environment are written in at the
 * workload's execve ({@link Tracer}).
 */
final class StubPool {

    /**
     * The stub: stops itself, then forks a subshell that becomes pid 1 of the sandbox (set up by the
     * tracer at its first call) and runs the program as pid 2, so the program has ordinary signal
     * semantics rather than those of a namespace's init. "/palisade-exec" is replaced at the execve.
     */
    static final String SCRIPT = "kill -STOP $$; ( \"$@\"; exit $? ); exit $?";
    static final String PLACEHOLDER = "/palisade-exec";
    private static final long OPTIONS = Ptrace.PTRACE_O_TRACESYSGOOD | Ptrace.PTRACE_O_TRACEFORK
            | Ptrace.PTRACE_O_TRACEVFORK | Ptrace.PTRACE_O_TRACECLONE | Ptrace.PTRACE_O_TRACEEXEC
            | Ptrace.PTRACE_O_TRACEEXIT | Ptrace.PTRACE_O_TRACESECCOMP | Ptrace.PTRACE_O_EXITKILL;
    /** Where the next sandbox's CPU set starts ({@link CpuSet#forSandbox}). */
    private static final AtomicInteger NEXT_TURN = new AtomicInteger();

    /** A stopped, seized stub and the thread that traces it. */
    static final class Slot {
        final int pid;
        /** Namespaces and default root already built (see {@link Tracer#prepare}), or null. */
        volatile Tracer.Prepared prepared;
        /** Where this sandbox's CPU set starts among the engine's CPUs. */
        final int turn;
        final OutputStream stdin;
        final InputStream stdout, stderr;
        /** Threads for the sandbox's path serving, started by the slot's thread ahead of time; null without it. */
        volatile StandbyThread serving, asTracer;
        private final SynchronousQueue<Runnable> job = new SynchronousQueue<>();

        Slot(int pid, int turn, OutputStream stdin, InputStream stdout, InputStream stderr) {
            this.pid = pid;
            this.turn = turn;
            this.stdin = stdin;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        /** Runs {@code work} on the slot's tracer thread (the only thread that may trace the stub). */
        void run(Runnable work) {
            try {
                job.put(work);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxException("interrupted while starting a sandbox");
            }
        }
    }

    /** Starts the threads of the slots made ready ahead of time (one for every pool: starting one is short). */
    private static final java.util.concurrent.ExecutorService MAKER = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "palisade-stub-maker");
        t.setDaemon(true);
        return t;
    });

    private final int target;
    private final int uid, gid;
    private final BlockingQueue<CompletableFuture<Slot>> ready = new LinkedBlockingQueue<>();

    /** A pool keeping {@code target} stubs ready (0: every sandbox spawns its own when it starts). */
    StubPool(int target, int uid, int gid) {
        this.target = target;
        this.uid = uid;
        this.gid = gid;
    }

    /**
     * A ready slot, or a new one made now. A prepared slot is only handed out for a spec that
     * {@linkplain Tracer#fitsPrepared fits}; for another spec a plain stub is spawned instead.
     */
    Slot take(dev.palisade.sandbox.SandboxSpec spec) {
        CompletableFuture<Slot> f = null;
        if (Tracer.fitsPrepared(spec)) {
            f = ready.poll();
            if (f != null && f.isCompletedExceptionally()) {
                f = null; // a preparation that failed: start this sandbox the plain way
            }
        }
        if (f == null) {
            f = newSlot(false);
        }
        while (ready.size() < target) {
            // starting a thread waits until it runs: the maker does that, off this sandbox's start
            CompletableFuture<Slot> next = new CompletableFuture<>();
            ready.add(next);
            MAKER.execute(() -> startSlot(true, next));
        }
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof SandboxException se ? se
                    : new SandboxException("cannot start the sandbox stub: " + e.getCause(), e.getCause());
        }
    }

    private CompletableFuture<Slot> newSlot(boolean prepare) {
        CompletableFuture<Slot> made = new CompletableFuture<>();
        startSlot(prepare, made);
        return made;
    }

    /** Starts the tracer thread of a new slot, which completes {@code made}. */
    private void startSlot(boolean prepare, CompletableFuture<Slot> made) {
        int turn = NEXT_TURN.getAndIncrement();
        try {
            Thread t = new Thread(() -> slotThread(turn, prepare, made), "palisade-tracer");
            t.setDaemon(true);
            t.start();
        } catch (RuntimeException | OutOfMemoryError e) {
            made.completeExceptionally(e); // no thread: take() starts a sandbox polling this slot the plain way
        }
    }

    private void slotThread(int turn, boolean prepare, CompletableFuture<Slot> made) {
        Slot slot;
        try {
            // whatever thread asked for it (one held to its sandbox's CPU, say), this one may use them all
            Posix.setAffinity(0, CpuSet.engine());
            slot = spawn(turn);
            if (prepare) {
                try {
                    // a tracer for the spec-independent setup only (its spec is the default shape)
                    Tracer preparer = new Tracer(dev.palisade.sandbox.SandboxSpec.builder(List.of(PLACEHOLDER)).build(),
                            uid, gid, PLACEHOLDER, s -> { });
                    slot.prepared = preparer.prepare(slot.pid);
                } catch (RuntimeException e) {
                    Posix.killQuietly(slot.pid, 9);
                    throw e;
                }
            }
        } catch (RuntimeException e) {
            made.completeExceptionally(e);
            return;
        }
        if (Tracer.servePaths()) {
            slot.serving = new StandbyThread();
            slot.asTracer = new StandbyThread();
        }
        made.complete(slot);
        Runnable work;
        try {
            work = slot.job.take();
        } catch (InterruptedException e) {
            return;
        }
        work.run();
    }

    /** On the slot's thread: pipes, posix_spawn, wait for the self-stop, seize. */
    private static Slot spawn(int turn) {
        int[] in = Posix.pipe(), out = Posix.pipe(), err = Posix.pipe();
        OutputStream stdin;
        InputStream stdout, stderr;
        try {
            stdin = new FileOutputStream("/proc/self/fd/" + in[1]);
            stdout = new FileInputStream("/proc/self/fd/" + out[0]);
            stderr = new FileInputStream("/proc/self/fd/" + err[0]);
        } catch (IOException e) {
            throw new SandboxException("cannot open the sandbox's standard streams", e);
        } finally {
            Posix.close(in[1]);
            Posix.close(out[0]);
            Posix.close(err[0]);
        }
        int pid;
        try {
            pid = Posix.spawn("/bin/sh", List.of("sh", "-c", SCRIPT, "sh", PLACEHOLDER),
                    List.of("PATH=/usr/bin:/bin"), in[0], out[1], err[1]);
        } finally {
            Posix.close(in[0]);
            Posix.close(out[1]);
            Posix.close(err[1]);
        }
        Ptrace pt = new Ptrace();
        int w = pt.wait(pid, Ptrace.WUNTRACED | Ptrace.WALL);
        if (w != pid || !Ptrace.stopped(pt.lastStatus())) {
            Posix.killQuietly(pid, 9);
            throw new SandboxException("the sandbox stub did not start (status 0x" + Integer.toHexString(pt.lastStatus()) + ")");
        }
        pt.seize(pid, OPTIONS);
        return new Slot(pid, turn, stdin, stdout, stderr);
    }
}
