package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.nativeinterop.Posix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a sandbox's processes and the engine's threads for it (tracer, path server) run.
 *
 * <p>Every ptrace stop and every served call hands the CPU from the program to an engine thread
 * and back. On one CPU that is a context switch; across two it is a wake-up of the other CPU
 * each way, which costs several times more on a VM (fork+exec of {@code /bin/true} took 1.0 ms
 * on one CPU against 1.6–1.8 ms on two here). So a sandbox allowed several CPUs starts on one of
 * them, its home, with its engine threads, and is spread over all of them as soon as it needs
 * more than one: when its tasks together waited for a CPU for a good share of a check period
 * (two busy processes, or a busy neighbour on the home CPU), or when the program sets an
 * affinity of its own. It never goes back. Meanwhile the program is told its whole set
 * ({@code sched_getaffinity} is served), so {@code nproc} and thread pools size themselves as
 * for the spread sandbox.
 */
final class CpuPlacement {

    /** Engine option (default true): start a sandbox allowed several CPUs on one, spread when needed. */
    static final String PROPERTY = "palisade.ptrace.startOnOneCpu";
    /** How often a running sandbox on its home CPU is checked for waiting tasks; an idle one, less often. */
    static final long CHECK_MILLIS = 10, IDLE_CHECK_MILLIS = 640;
    /**
     * Spread when the tasks' run-queue waits add up to this share of the period, in
     * {@link #CHECKS_IN_A_ROW} checks in a row: two busy processes on one CPU wait about as long
     * as the period; the program waiting for its own tracer, a few percent; a burst of the
     * engine's JIT beside it, one check.
     */
    private static final double WAIT_SHARE = 0.5;
    private static final int CHECKS_IN_A_ROW = 2;
    /** More live tasks than this is a parallel program: spread without counting. */
    private static final int MAX_SAMPLED = 32;

    private final int[] cpus;
    private final int home;
    private final boolean startOnOne;
    private volatile boolean spread, programsOwn;
    /** Engine threads that follow the sandbox's placement (the tracer's, the path server's). */
    private final Set<Integer> engineThreads = ConcurrentHashMap.newKeySet();
    /** The check's own state (only the timer's thread): each task's schedstat at the last check. */
    private Map<Integer, long[]> lastSeen = new HashMap<>();
    private long lastCheck;
    private int waitingChecks;
    private long period = CHECK_MILLIS;

    /**
     * {@code affinityServed}: the Sentry answers the program's affinity calls (path serving on);
     * without it the program would see the one CPU, so the sandbox has all of them from the start.
     */
    CpuPlacement(int[] cpus, boolean affinityServed) {
        this.cpus = cpus.clone();
        int here = Posix.currentCpu();
        this.home = java.util.Arrays.stream(cpus).anyMatch(c -> c == here) ? here : cpus[0];
        this.startOnOne = cpus.length > 1 && affinityServed && Boolean.parseBoolean(System.getProperty(PROPERTY, "true"));
    }

    /** The CPUs the sandbox may use. */
    int[] cpus() {
        return cpus.clone();
    }

    /** Whether the sandbox is held to its home CPU for now (the program is still told all of its CPUs). */
    boolean onHomeCpu() {
        return startOnOne && !spread;
    }

    /**
     * While the tracer sets the sandbox up, every injected call is two ptrace round trips: the
     * calling (tracer) thread, the stub and its init ({@code initPid}, where a prepared stub made it
     * ahead; else 0) share the home CPU, whatever happens afterwards.
     */
    void forSetup(int stubPid, int initPid) {
        int[] one = {home};
        Posix.setAffinity(stubPid, one);
        if (initPid > 0) {
            Posix.setAffinity(initPid, one); // made ahead of time by a prepared stub: it did not inherit this
        }
        Posix.setAffinity(0, one);
        engineThreads.add(Posix.gettid());
    }

    /** Set-up done: a sandbox that does not start on one CPU gets all of them now. */
    void afterSetup(Collection<Integer> tasks) {
        if (!startOnOne) {
            moveAll(tasks);
        }
    }

    /** The calling engine thread runs where the sandbox runs, and moves with it. */
    void join() {
        engineThreads.add(Posix.gettid());
        Posix.setAffinity(0, onHomeCpu() ? new int[]{home} : cpus);
    }

    /**
     * A task the tracer just learnt of: after a spread it may still carry the home CPU from a
     * parent moved just after the fork. Once the program chose an affinity itself, a child's is
     * what it inherits, as in Linux.
     */
    void newTask(int tid) {
        if (startOnOne && spread && !programsOwn) {
            Posix.trySetAffinity(tid, cpus);
        }
    }

    /** The program sets an affinity: spread first, and from now on its tasks' affinities are its own. */
    void programSetsAffinity(Collection<Integer> tasks) {
        programsOwn = true;
        spread(tasks);
    }

    /** Spreads the sandbox over all its CPUs (idempotent; any thread). */
    void spread(Collection<Integer> tasks) {
        synchronized (this) {
            if (spread || !startOnOne) {
                return;
            }
            spread = true;
        }
        moveAll(tasks);
    }

    private void moveAll(Collection<Integer> tasks) {
        for (int tid : engineThreads) {
            Posix.trySetAffinity(tid, cpus);
        }
        for (int tid : tasks) {
            Posix.trySetAffinity(tid, cpus); // false for one just gone: nothing to move
        }
    }

    /**
     * From the timer thread: checks whether the tasks waited for a CPU for {@link #WAIT_SHARE} of
     * the time in {@link #CHECKS_IN_A_ROW} checks in a row (run-queue waits from
     * {@code /proc/<tid>/schedstat}; a task born since a check counts from its birth), and spreads
     * the sandbox if so. Returns the milliseconds to the next check, or -1 once spread: the
     * period doubles while the sandbox is idle (up to {@link #IDLE_CHECK_MILLIS}), so an idle
     * service costs a few reads a second, and is back to {@link #CHECK_MILLIS} once it runs.
     */
    long check(Collection<Integer> tasks) {
        if (!onHomeCpu()) {
            return -1;
        }
        if (tasks.size() > MAX_SAMPLED) {
            spread(tasks);
            return -1;
        }
        long now = System.nanoTime();
        Map<Integer, long[]> seen = new HashMap<>();
        long ran = 0, waited = 0;
        for (int tid : tasks) {
            long[] v = schedstat(tid);
            if (v == null) {
                continue;
            }
            long[] before = lastSeen.get(tid);
            if (before != null) {
                ran += v[0] - before[0];
                waited += v[1] - before[1];
            } else if (lastCheck != 0) {
                ran += v[0];
                waited += v[1];
            }
            seen.put(tid, v);
        }
        boolean first = lastCheck == 0;
        long elapsed = now - lastCheck;
        lastSeen = seen;
        lastCheck = now;
        waitingChecks = !first && waited >= elapsed * WAIT_SHARE ? waitingChecks + 1 : 0;
        if (waitingChecks >= CHECKS_IN_A_ROW) {
            spread(tasks);
            return -1;
        }
        boolean idle = !first && ran + waited < elapsed / 20;
        period = idle ? Math.min(IDLE_CHECK_MILLIS, period * 2) : CHECK_MILLIS;
        return period;
    }

    /** Task {@code tid}'s {time on a CPU, time waiting on a run queue} in nanoseconds, or null when it is gone. */
    private static long[] schedstat(int tid) {
        try {
            byte[] b = Files.readAllBytes(Path.of("/proc/" + tid + "/schedstat"));
            long[] v = new long[2];
            int i = 0;
            for (int field = 0; field < 2; field++) {
                for (; i < b.length && b[i] >= '0' && b[i] <= '9'; i++) {
                    v[field] = v[field] * 10 + (b[i] - '0');
                }
                i++; // the space
            }
            return v;
        } catch (IOException e) {
            return null;
        }
    }
}
