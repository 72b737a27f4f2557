package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.abi.Signal;
import dev.palisade.sandbox.abi.SyscallNr;
import dev.palisade.sandbox.nativeinterop.LibC;
import dev.palisade.sandbox.nativeinterop.Posix;
import dev.palisade.sandbox.nativeinterop.Ptrace;
import dev.palisade.sandbox.nativeinterop.Regs;
import dev.palisade.sandbox.sentry.Sentry;

import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The Sentry's ptrace loop for one sandbox. Everything here runs on one dedicated platform
 * thread, the only thread that may issue ptrace requests for these tracees.
 *
 * <p>Start: the thread spawns (posix_spawn, so no JDK thread knows the pid) a stub {@code /bin/sh}
 * that stops itself, seizes it, and lets it run to its fork. There, it makes the stub unshare its
 * namespaces and build the root ({@link Injector}); the fork then creates the workload's first
 * process, pid 1 of the new pid namespace, which mounts its /proc, pivots into the root, drops to
 * the sandbox uid, sets no_new_privs and installs the seccomp filter before the stub's {@code exec}
 * of the workload program. From then on only trapped calls and process events stop.
 */
final class Tracer {


    private final SandboxSpec spec;
    private final int uid, gid;
    /** The program's path inside the sandbox. */
    private final String program;
    private final Consumer<String> trace;
    private final Ptrace pt = new Ptrace();
    private final Regs regs = new Regs();
    /** Init stopped at its exit, every other process of the sandbox gone ({@link #onExitEvent}). */
    private boolean initExiting;
    /** Concurrent: the serving thread translates pids against it ({@link PidSpace}). */
    private final Map<Integer, Task> tasks = new ConcurrentHashMap<>();
    private final AtomicReference<Termination> killReason = new AtomicReference<>();
    private volatile String killMessage;
    private volatile int stubPid, initPid, workloadPid;
    /** What {@link #killAll} may still signal: cleared as soon as a process is reaped, so a pid the kernel reuses is never hit. */
    private volatile int killableStub, killableInit;
    private final long startNanos = System.nanoTime();
    /** Where the sandbox and this thread run ({@link #runOn}). */
    private volatile CpuPlacement placement;
    private volatile Cgroup cgroup;
    private volatile MountSetup mounts;
    /** Counted down once the egress link (if any) is removed, with every refusal it logged read. */
    private final java.util.concurrent.CountDownLatch egressClosed = new java.util.concurrent.CountDownLatch(1);
    private final RunOutcome outcome;
    private final SyscallCalls calls;
    private final byte[] filter;
    private static final byte[] FILTER = SeccompFilter.compile(false), TRACE_ALL_FILTER = SeccompFilter.compile(true);
    private static final byte[] SERVING_FILTER = SeccompFilter.compile(false, true),
            SERVING_TRACE_ALL_FILTER = SeccompFilter.compile(true, true);
    /**
     * Engine option {@code palisade.ptrace.servePaths} (default true): path calls are served by the
     * Sentry through seccomp user notification. Off, they run natively as before, confined by the
     * mount namespace.
     */
    static final String SERVE_PATHS_PROPERTY = "palisade.ptrace.servePaths";
    private final boolean servePaths;
    private PathServer pathServer;
    /** Threads started ahead of time for path serving ({@link #standby}), or null. */
    private StandbyThread servingThread, asTracerThread;
    /** execve and execveat chosen by the Sentry (with path serving on). */
    private final ExecServing execServing;
    private static final boolean TIMING = System.getenv("PALISADE_TIMING") != null;

    private void mark(String what) {
        if (TIMING) {
            System.err.printf("[timing] %-28s %8.3f ms%n", what, (System.nanoTime() - startNanos) / 1e6);
        }
    }

    Tracer(SandboxSpec spec, int uid, int gid, String program, Consumer<String> trace) {
        this.spec = spec;
        this.uid = uid;
        this.gid = gid;
        this.program = program;
        this.trace = spec.trace() ? trace : null;
        this.servePaths = servePaths();
        this.filter = servePaths ? (spec.trace() ? SERVING_TRACE_ALL_FILTER : SERVING_FILTER)
                : (spec.trace() ? TRACE_ALL_FILTER : FILTER);
        this.outcome = new RunOutcome(spec);
        this.calls = new SyscallCalls(this, pt, regs, spec, uid, gid, startNanos, this.trace, tasks, outcome);
        this.execServing = servePaths ? new ExecServing(pt, this) : null;
    }

    /** Threads a pool slot started ahead of time, for path serving (released unused without it). */
    void standby(StandbyThread serving, StandbyThread asTracer) {
        this.servingThread = serving;
        this.asTracerThread = asTracer;
    }

    private void releaseStandby() {
        if (servingThread != null) {
            servingThread.release();
            asTracerThread.release();
        }
    }

    /** The translation between the sandbox's pids and the host's. */
    PidSpace pids() {
        return calls.pids();
    }

    /** The exec hand-over the serving thread answers, or null without path serving. */
    /** The kernel's codes for a call a signal interrupted: restart after a handler with SA_RESTART; restart in any case. */
    private static final long ERESTARTSYS = -512, ERESTARTNOINTR = -513;
    /** Tasks whose served call the Sentry itself ended with ERESTARTSYS (a signal ended its wait, as Linux's would). */
    private final java.util.Set<Integer> interruptedBySentry = ConcurrentHashMap.newKeySet();

    /** From a serving thread: {@code tid}'s served call is answered ERESTARTSYS on purpose ({@link #restartServedCall}). */
    void interruptedBySentry(int tid) {
        interruptedBySentry.add(tid);
    }

    /** From a serving thread: a new served call of {@code tid}; an earlier mark is stale. */
    void servedAgain(int tid) {
        if (!interruptedBySentry.isEmpty()) { // almost always: no boxing, no hashing per served call
            interruptedBySentry.remove(tid);
        }
    }

    /**
     * At a signal-delivery stop: a served call that the signal interrupted while it waited for the
     * Sentry to take it returns ERESTARTSYS, which the kernel makes EINTR before a handler without
     * SA_RESTART. Natively that signal came before the call, which then runs after the handler
     * (dash's pipe, which never says EINTR natively, failed so under a SIGCHLD): so it restarts
     * whatever the handler's flags. A call the Sentry ended with ERESTARTSYS itself keeps Linux's rule.
     */
    private void restartServedCall(Task t) {
        if (!pt.getRegs(t.tid, regs) || regs.rax() != ERESTARTSYS) {
            return;
        }
        int nr = (int) regs.origRax();
        if (nr == ExecServing.MARKER || !ServedPaths.served(nr) || interruptedBySentry.remove(t.tid)) {
            return;
        }
        regs.rax(ERESTARTNOINTR);
        pt.setRegs(t.tid, regs);
    }

    ExecServing execServing() {
        return execServing;
    }

    /** Whether sandboxes started now get their path calls served (the engine option). */
    static boolean servePaths() {
        return Boolean.parseBoolean(System.getProperty(SERVE_PATHS_PROPERTY, "true"));
    }

    int stubPid() {
        return stubPid;
    }

    /** Host pid of the sandbox's first process (pid 1 inside), 0 until it exists. */
    int initPid() {
        return initPid;
    }

    // ------------------------------------------------------------------ start

    /** The sandbox's CPUs: the tracer and its tasks run there, and its /proc views show them. */
    private void placeOn(int[] cpus) {
        runOn(cpus);
        mounts.cpus(cpus);
    }

    /**
     * Takes over a stub that {@link StubPool} spawned, stopped and seized on this same thread:
     * plans the filesystem, puts the stub into the sandbox's cgroup, applies the rlimits, and lets
     * it run to its fork, where the setup happens.
     */
    void adopt(int pid, int[] cpus) {
        stubPid = pid;
        killableStub = pid;
        tasks.put(pid, new Task(pid, Task.Stage.STUB));
        mounts = new MountSetup(spec, uid, gid, RootFs.plan(spec), filter, servePaths);
        mark("planned");
        cgroup = Cgroup.create(spec.limits());
        cgroup.add(pid);
        placeOn(cpus);
        mark("cgroup");
        applyRlimits(pid);
        Posix.kill(pid, Signal.SIGCONT);
    }

    /**
     * A stub whose namespaces and default root are built, ready for any spec that fits: stopped at
     * its fork, or (pivoted) at its next call after the fork, with its init ({@code initPid}, not 0)
     * stopped at its first call after {@link MountSetup#initAhead}.
     */
    record Prepared(int pid, long scratch, Injector atFork, Cgroup cgroup, long tmpfsSize, boolean pivoted, long landlockRuleset,
                    int initPid, Injector initAt) {
    }

    /**
     * Whether a spec can use a prepared stub: the default root without binds of its own (their
     * mount points would need a root of its own). A host workspace is fine: the prepared stub has
     * not pivoted yet, so it is bound when the stub is adopted.
     */
    static boolean fitsPrepared(SandboxSpec spec) {
        return spec.root() == null && spec.binds().isEmpty();
    }

    /**
     * On a pool thread, before any sandbox asks for it: runs a seized stub to its fork and builds
     * the spec-independent part (namespaces, default root, /dev, /tmp, the pivot into the root
     * as root) there. Everything that depends on a spec (cgroup, rlimits, /workspace, the /proc
     * views, /tmp's size, loopback, uid, filter) happens at adoption.
     */
    Prepared prepare(int pid) {
        stubPid = pid;
        killableStub = pid;
        mounts = new MountSetup(spec, uid, gid, RootFs.plan(spec), filter, servePaths);
        cgroup = Cgroup.fresh();
        cgroup.add(pid); // moving a process costs an RCU grace period: done here, not at start-up
        Posix.kill(pid, Signal.SIGCONT);
        pt.resume(Ptrace.PTRACE_SYSCALL, pid, 0);
        while (true) {
            waitWhilePreparing(pid, Ptrace.WALL, "lost the stub while preparing it", "the stub ended while being prepared");
            int st = pt.lastStatus();
            int sig = Ptrace.stopSig(st);
            if (Ptrace.event(st) == 0 && sig == Injector.SYSCALL_STOP && pt.syscallInfoOp(pid) == Ptrace.SYSCALL_INFO_ENTRY) {
                Injector in = new Injector(pt, pid);
                long nr = in.originalCall();
                if (nr == SyscallNr.CLONE || nr == SyscallNr.FORK || nr == SyscallNr.VFORK) {
                    mounts.shared(in, true);
                    if (mounts.pivoted()) {
                        return forkInitAhead(pid, in);
                    }
                    return new Prepared(pid, mounts.scratch(), in, cgroup, mounts.tmpfsSize(), mounts.pivoted(),
                            mounts.landlockRuleset(), 0, null);
                }
            }
            int deliver = Ptrace.event(st) == 0 && sig != Injector.SYSCALL_STOP && sig != Signal.SIGTRAP && sig != Signal.SIGCONT ? sig : 0;
            pt.resume(Ptrace.PTRACE_SYSCALL, pid, deliver);
        }
    }

    /**
     * The next stop of {@code pid} (-1: any) while a stub is prepared, past interrupted waits; its
     * status is {@code pt.lastStatus()}. A lost or ended process fails the preparation with {@code lost}
     * or {@code ended} and its status.
     */
    private int waitWhilePreparing(int pid, int flags, String lost, String ended) {
        while (true) {
            int w = pt.wait(pid, flags);
            if (w == -4) {
                continue; // EINTR
            }
            if (w < 0) {
                throw new SandboxException(lost);
            }
            if (!Ptrace.stopped(pt.lastStatus())) {
                throw new SandboxException(ended + " (status 0x" + Integer.toHexString(pt.lastStatus()) + ")");
            }
            return w;
        }
    }

    /**
     * In {@link #prepare}, the stub pivoted and stopped at its fork: lets the fork make init (pid 1
     * of the new pid namespace), holds the stub at its next call and init at its first, and makes
     * there what init does for any spec ({@link MountSetup#initAhead}). Neither runs any further
     * until a sandbox adopts them, so the views can be filled and the spec's mounts made then.
     */
    private Prepared forkInitAhead(int pid, Injector atFork) {
        ProcViews.create(java.nio.file.Path.of("/proc/" + pid + "/cwd"));
        atFork.finish(Ptrace.PTRACE_SYSCALL);
        int init = 0;
        Injector stubAt = null, initAt = null;
        while (stubAt == null || initAt == null) {
            int w = waitWhilePreparing(-1, Ptrace.WALL | Ptrace.WNOTHREAD, "lost the stub while preparing its init",
                    "a prepared stub's process ended");
            int st = pt.lastStatus();
            int event = Ptrace.event(st);
            int sig = Ptrace.stopSig(st);
            boolean entry = event == 0 && sig == Injector.SYSCALL_STOP && pt.syscallInfoOp(w) == Ptrace.SYSCALL_INFO_ENTRY;
            if (w == pid) {
                if (event == Ptrace.PTRACE_EVENT_FORK || event == Ptrace.PTRACE_EVENT_VFORK || event == Ptrace.PTRACE_EVENT_CLONE) {
                    init = (int) pt.eventMessage(pid);
                } else if (entry && init > 0) {
                    stubAt = new Injector(pt, pid); // its first call after the fork: held here
                    continue;
                }
            } else if (entry) {
                initAt = new Injector(pt, w); // init's first call (its first stop was its PTRACE_EVENT_STOP)
                continue;
            }
            int deliver = event == 0 && sig != Injector.SYSCALL_STOP && sig != Signal.SIGTRAP && sig != Signal.SIGCONT
                    && sig != Signal.SIGSTOP ? sig : 0;
            pt.resume(Ptrace.PTRACE_SYSCALL, w, deliver);
        }
        if (initAt.tid() != init) {
            throw new SandboxException("a prepared stub made another process than its init");
        }
        stubAt.useScratch(mounts.scratch());
        mounts.initAhead(initAt);
        return new Prepared(pid, mounts.scratch(), stubAt, cgroup, mounts.tmpfsSize(), true, mounts.landlockRuleset(), init, initAt);
    }

    /**
     * Takes over a prepared stub (same thread that prepared it): cgroup, rlimits, the spec's
     * mounts, then its fork goes on; or, with its init made ahead, the stub goes on and init is
     * set up here.
     */
    void adopt(Prepared p, int[] cpus) {
        stubPid = p.pid();
        killableStub = p.pid();
        tasks.put(p.pid(), new Task(p.pid(), Task.Stage.RUNNING));
        Task init = null;
        if (p.initPid() != 0) {
            initPid = p.initPid();
            killableInit = initPid;
            init = new Task(initPid, Task.Stage.SETUP);
            tasks.put(initPid, init);
        }
        mounts = new MountSetup(spec, uid, gid, RootFs.plan(spec), filter, servePaths);
        mounts.preparedEarlier(p.scratch(), p.tmpfsSize(), p.pivoted(), p.landlockRuleset(), init != null);
        mark("planned");
        cgroup = p.cgroup();
        cgroup.configure(spec.limits());
        mark("cgroup");
        placeOn(cpus);
        applyRlimits(p.pid());
        if (init != null) {
            applyRlimits(init.tid);
        }
        mounts.forSpec(p.atFork());
        mark("spec mounts");
        p.atFork().finish(Ptrace.PTRACE_CONT);
        if (init != null) {
            setUpInit(init, p.initAt());
        }
    }

    /** The stub and this tracer thread on the sandbox's home CPU for the set-up ({@link CpuPlacement}). */
    private void runOn(int[] cpus) {
        placement = new CpuPlacement(cpus, servePaths);
        placement.forSetup(stubPid, initPid);
    }

    private void applyRlimits(int pid) {
        var l = spec.limits();
        Posix.prlimit(pid, LibC.RLIMIT_CORE, 0, 0);
        if (l.fileSizeBytes() > 0) {
            Posix.prlimit(pid, LibC.RLIMIT_FSIZE, l.fileSizeBytes(), l.fileSizeBytes());
        }
        if (l.cpuMillis() > 0) {
            long s = (l.cpuMillis() + 999) / 1000;
            Posix.prlimit(pid, LibC.RLIMIT_CPU, s, s + 1);
        }
        if (l.memoryBytes() > 0 && cgroup.missing().contains("memory cgroup")) {
            Posix.prlimit(pid, LibC.RLIMIT_AS, l.memoryBytes(), l.memoryBytes());
        }
        Posix.prlimit(pid, LibC.RLIMIT_NOFILE, 1024, 1024);
        // the Sentry refuses every lock (SysMmap.mlock): the limit says so to getrlimit and ulimit -l
        Posix.prlimit(pid, LibC.RLIMIT_MEMLOCK, 0, 0);
    }

    List<String> missingIsolation() {
        return cgroup == null ? List.of() : cgroup.missing();
    }

    // ------------------------------------------------------------------ the loop

    /**
     * Runs until every tracee is gone. The result is handed to {@code onResult} as soon as the
     * sandbox's pid namespace is empty (only the engine's stub left to reap), or its init, the last
     * of it, stops at its exit with a status; then the rest is reaped and the cgroup removed.
     */
    void loop(Runnable onRunning, Consumer<SandboxResult> onResult) {
        boolean announced = false;
        boolean delivered = false;
        while (!tasks.isEmpty()) {
            if (!delivered && initPid != 0 && outcome.initStatus != -1
                    && (initExiting || tasks.size() == 1 && tasks.containsKey(stubPid))) {
                delivered = true;
                onResult.accept(result());
            }
            boolean holding = execServing != null && execServing.holding();
            int tid = pt.wait(-1, Ptrace.WALL | Ptrace.WNOTHREAD | (holding ? Ptrace.WNOHANG : 0));
            if (tid == 0 && holding) {
                // an exec waits for its process's other threads to stop, for a bounded time
                execServing.pastDeadline();
                java.util.concurrent.locks.LockSupport.parkNanos(50_000);
                continue;
            }
            if (tid < 0) {
                if (-tid == 4) {
                    continue;
                }
                break; // ECHILD: nothing left
            }
            int st = pt.lastStatus();
            if (!Ptrace.stopped(st)) {
                gone(tid, st);
                continue;
            }
            int event = Ptrace.event(st);
            int sig = Ptrace.stopSig(st);
            Task t = tasks.get(tid);
            if (t == null) {
                t = new Task(tid, Task.Stage.RUNNING);
                tasks.put(tid, t);
                placement.newTask(tid);
                if (event == Ptrace.PTRACE_EVENT_STOP) {
                    if (initPid == 0 || calls.pendingTasks() > 0) {
                        t.held = true; // its parent's event is still to come: held until we know what it is
                    } else {
                        resume(t, 0); // no clone pending: its parent died before reporting it, it runs as init's orphan
                    }
                    continue;
                }
                // Killed before its first stop, its first report is its exit: it must go on to die, or
                // the namespace's init waits for it for ever (and so would we).
            }
            switch (event) {
                case Ptrace.PTRACE_EVENT_SECCOMP -> onSeccomp(t);
                case Ptrace.PTRACE_EVENT_FORK, Ptrace.PTRACE_EVENT_VFORK, Ptrace.PTRACE_EVENT_CLONE -> onNewTask(t, event);
                case Ptrace.PTRACE_EVENT_EXIT -> onExitEvent(t);
                case Ptrace.PTRACE_EVENT_EXEC -> {
                    mark("exec");
                    if (execServing != null && !execServing.onExecEvent(tid)) {
                        String message = "killed: an exec loaded another file than the Sentry chose"
                                + " (its empty path or its descriptor was changed meanwhile)";
                        calls.record(t, SyscallNr.EXECVEAT, "execveat", 0, "kill", message);
                        outcome.policyKilled(message);
                        killAll(Termination.POLICY_VIOLATION, message);
                    }
                    if (t.stage == Task.Stage.RUNNING && !announced) {
                        announced = true;
                        onRunning.run();
                    }
                    if (trace != null) {
                        trace.accept("[" + calls.nsPid(t) + "] execve -> ok");
                    }
                    resume(t, 0);
                }
                case Ptrace.PTRACE_EVENT_STOP -> {
                    if (t.held) {
                        continue;
                    }
                    if (execServing != null && execServing.onStop(t, sig)) {
                        t.starting = false; // held until the exec is over; a first stop too
                        continue;
                    }
                    if (t.starting) {
                        // a new task's first stop, after its parent's event: it runs, it was not stopped by a signal
                        t.starting = false;
                        resume(t, 0);
                    } else if (isStopSignal(sig)) {
                        // a group-stop (SIGSTOP, SIGTSTP…): the task stays stopped, as natively, until SIGCONT
                        pt.resume(Ptrace.PTRACE_LISTEN, tid, 0);
                    } else {
                        resume(t, 0);
                    }
                }
                case 0 -> {
                    if (sig == Injector.SYSCALL_STOP) {
                        onSyscallStop(t);
                    } else {
                        // a signal for the tracee (SIGTRAP of an int3 included: the tracer's own stops are
                        // syscall stops and events, never a plain SIGTRAP): deliver it
                        if (execServing != null) {
                            execServing.onSignal(t);
                            restartServedCall(t);
                        }
                        pt.resume(mode(t), tid, sig);
                    }
                }
                default -> resume(t, 0);
            }
        }
        if (!announced) {
            onRunning.run();
        }
        if (!delivered) {
            onResult.accept(result());
        }
        cgroup.close();
        mark("cgroup closed");
        releaseStandby();
        mounts.closeEgress();
        egressClosed.countDown();
    }

    /** Waits (boundedly) until the sandbox's egress link is removed: then every refusal is recorded. */
    void awaitEgressClosed() throws InterruptedException {
        egressClosed.await(5, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** The sandbox's egress link, once set up (policy EGRESS), else {@code null}. */
    dev.palisade.sandbox.egress.EgressLink egress() {
        MountSetup m = mounts;
        return m == null ? null : m.egress();
    }

    private static boolean isStopSignal(int sig) {
        return sig == Signal.SIGSTOP || sig == Signal.SIGTSTP || sig == Signal.SIGTTIN || sig == Signal.SIGTTOU;
    }

    private int mode(Task t) {
        if (execServing != null && execServing.active(t.tid)) {
            return Ptrace.PTRACE_SYSCALL; // a signal met during a served exec: its syscall stops are still to come
        }
        return t.stage == Task.Stage.RUNNING ? Ptrace.PTRACE_CONT : Ptrace.PTRACE_SYSCALL;
    }

    private void resume(Task t, int sig) {
        pt.resume(mode(t), t.tid, sig);
    }

    /** The tasks the tracer knows (for an exec, the threads of its process). */
    java.util.Collection<Task> tasks() {
        return tasks.values();
    }

    /** Lets a thread an exec held go on as it was: back in its group-stop, or running. */
    void release(int tid, int stopSig) {
        Task t = tasks.get(tid);
        if (t == null) {
            return;
        }
        if (isStopSignal(stopSig)) {
            pt.resume(Ptrace.PTRACE_LISTEN, tid, 0);
        } else {
            resume(t, 0);
        }
    }

    private void gone(int tid, int st) {
        Task t = tasks.remove(tid);
        calls.pids().forget(tid);
        if (execServing != null) {
            execServing.gone(tid);
        }
        if (tid == killableInit) {
            killableInit = 0;
        }
        if (tid == killableStub) {
            killableStub = 0;
        }
        if (tid == stubPid) {
            outcome.stubCpuNanos = pt.lastRusageCpuNanos();
            outcome.stubStatus = st;
            outcome.stubMaxRss = pt.lastRusageMaxRssBytes();
        }
        if (tid == initPid) {
            outcome.initStatus = st;
        }
        if (tid == workloadPid) {
            outcome.workloadStatus = st;
        }
        if (Ptrace.signaled(st)) {
            int s = Ptrace.termSig(st);
            if (s == Signal.SIGXCPU || s == Signal.SIGXFSZ) {
                outcome.limitSignals.merge(s, 1, Integer::sum);
            }
        }
        if (t != null && t.pendingClone) {
            // killed between its clone and the clone's report: the report never comes, so its
            // child, held for it, would stay stopped, and the clone would stay counted for good
            calls.cloneReported(t);
            if (calls.pendingTasks() == 0) {
                releaseHeld();
            }
        }
        if (t != null && t.tid == t.tgid) {
            // orphans are reparented to the sandbox's init
            for (Task o : tasks.values()) {
                if (o.parentTgid == t.tgid) {
                    o.parentTgid = initPid;
                }
            }
        }
    }

    /** Lets every held task run: no clone is left whose report could still tell what they are. */
    private void releaseHeld() {
        for (Task h : tasks.values()) {
            if (h.held) {
                h.held = false;
                resume(h, 0);
            }
        }
    }

    private void onNewTask(Task parent, int event) {
        long message = pt.eventMessage(parent.tid);
        if (message <= 0) {
            // killed in its fork stop: its death is reported next, and gone() then uncounts the clone
            // and lets its child (held, if it stopped already) run
            return;
        }
        int child = (int) message;
        calls.cloneReported(parent);
        Task c = tasks.get(child);
        boolean wasHeld = c != null && c.held;
        if (c == null) {
            c = new Task(child, Task.Stage.RUNNING);
            tasks.put(child, c);
            placement.newTask(child);
        }
        c.held = false;
        long flags = 0;
        if (event == Ptrace.PTRACE_EVENT_CLONE && pt.getRegs(parent.tid, regs) && regs.origRax() == SyscallNr.CLONE) {
            flags = regs.arg(0);
        }
        if ((flags & 0x10000) != 0) { // CLONE_THREAD
            c.tgid = parent.tgid;
            c.parentTgid = parent.parentTgid;
        } else {
            c.tgid = child;
            c.parentTgid = (flags & 0x8000) != 0 ? parent.parentTgid : parent.tgid; // CLONE_PARENT
        }
        if (parent.tid == initPid && workloadPid == 0 && c.tgid == child) {
            workloadPid = child;
            c.stage = Task.Stage.EXEC; // its execve gets the real program, arguments and environment
        }
        if (parent.stage == Task.Stage.STUB || parent.tid == stubPid) {
            c.stage = Task.Stage.SETUP;
            c.parentTgid = 0;
            initPid = child;
            killableInit = child;
        }
        if (trace != null && parent.stage == Task.Stage.RUNNING && parent.tid != stubPid) {
            trace.accept("[" + calls.nsPid(parent) + "] " + (event == Ptrace.PTRACE_EVENT_CLONE ? "clone" : "fork") + " -> new task");
        }
        resume(parent, 0);
        c.starting = !wasHeld;
        if (execServing != null && execServing.adopt(c, wasHeld)) {
            return; // a thread of a process whose exec holds its threads: held too
        }
        if (wasHeld) {
            resume(c, 0);
        }
    }

    private void onExitEvent(Task t) {
        if (t.tid == initPid) {
            outcome.diskFull = RunOutcome.fullFilesystem(t.tid);
        }
        long status = pt.eventMessage(t.tid);
        int st = (int) status;
        if (t.tid == initPid && status != -1 && Ptrace.exited(st) && !ended() && tasks.size() == 2 && tasks.containsKey(stubPid)) {
            // the sandbox's last process exits (it runs no more code of its own): the result need
            // not wait for the kernel to tear it and its pid namespace down, nor for its reaping
            outcome.initStatus = st;
            initExiting = true;
        }
        if (status != -1 && Ptrace.signaled(st) && Ptrace.termSig(st) == Signal.SIGSYS && t.stage == Task.Stage.RUNNING) {
            // the filter killed it: a 32-bit (int 0x80) or x32 call. The registers still show the call.
            long nr = pt.getRegs(t.tid, regs) ? regs.origRax() : -1;
            String what = (nr & 0x40000000L) != 0 ? "x32 ABI call " + (nr & ~0x40000000L) : "32-bit (int 0x80) call " + nr;
            calls.record(t, (int) nr, what, 0, "kill", "killed by the seccomp filter: " + what);
            String message = "killed: " + what + " (only the x86-64 ABI is allowed)";
            outcome.policyKilled(message);
            if (trace != null) {
                trace.accept("[" + calls.nsPid(t) + "] " + what + " -> kill");
            }
            killAll(Termination.POLICY_VIOLATION, message);
        }
        pt.resume(Ptrace.PTRACE_CONT, t.tid, 0);
    }

    // ------------------------------------------------------------------ setup stops

    private void onSyscallStop(Task t) {
        if (execServing != null && execServing.active(t.tid)) {
            execServing.onSyscallStop(t);
            return;
        }
        int op = pt.syscallInfoOp(t.tid);
        if (op != Ptrace.SYSCALL_INFO_ENTRY) {
            resume(t, 0);
            return;
        }
        if (t.stage == Task.Stage.STUB) {
            Injector in = new Injector(pt, t.tid);
            long nr = in.originalCall();
            if (nr == SyscallNr.CLONE || nr == SyscallNr.FORK || nr == SyscallNr.VFORK) {
                mark("stub at fork");
                mounts.stub(in);
                mark("stub set up");
                t.stage = Task.Stage.RUNNING; // the stub itself runs on, unfiltered, outside the pid namespace
                in.finish(Ptrace.PTRACE_CONT);
            } else {
                resume(t, 0);
            }
        } else if (t.stage == Task.Stage.EXEC) {
            if (pt.getRegs(t.tid, regs) && regs.origRax() == SyscallNr.EXECVE) {
                ExecRewrite.rewrite(pt, regs, t.tid, mounts.scratch(), spec, program);
                t.stage = Task.Stage.RUNNING;
            }
            resume(t, 0);
        } else if (t.stage == Task.Stage.SETUP) {
            setUpInit(t, new Injector(pt, t.tid));
        } else {
            resume(t, 0);
        }
    }

    /** Sets init up at its first call (or where a prepared stub's init was held): identity, Landlock, the filter. */
    private void setUpInit(Task t, Injector in) {
        mark("init first call");
        long listener = mounts.init(in);
        placement.afterSetup(tasks.keySet());
        if (listener >= 0) {
            if (servingThread == null) {
                standby(new StandbyThread(), new StandbyThread());
            }
            pathServer = PathServer.start(this, calls, t.tid, listener, uid, gid, trace, startNanos,
                    servingThread, asTracerThread);
            in.call(SyscallNr.CLOSE, listener);
        }
        mark("init set up");
        t.stage = Task.Stage.RUNNING;
        in.finish(Ptrace.PTRACE_CONT);
    }

    // ------------------------------------------------------------------ trapped calls

    private void onSeccomp(Task t) {
        if (!pt.getRegs(t.tid, regs)) {
            return; // killed meanwhile
        }
        if (t.stage == Task.Stage.EXEC && regs.origRax() == SyscallNr.EXECVE) {
            // (only with --trace does the workload's execve stop here)
            ExecRewrite.rewrite(pt, regs, t.tid, mounts.scratch(), spec, program);
            t.stage = Task.Stage.RUNNING;
        }
        if (execServing != null && !ended() && execServing.onSeccomp(t, regs)) {
            return;
        }
        if (ended()) {
            Ptrace.kill(t.tid, Signal.SIGKILL); // ending: no more calls are served (where no cgroup could kill it)
        } else {
            calls.serve(t);
        }
        resume(t, 0);
    }

    // ------------------------------------------------------------------ ending

    /** Ends every process of the sandbox; the first reason given wins. Safe from any thread. */
    void killAll(Termination reason, String message) {
        if (killReason.compareAndSet(null, reason)) {
            killMessage = message;
        }
        int init = killableInit;
        if (init > 0) {
            Ptrace.kill(init, Signal.SIGKILL); // pid 1 of the namespace: the kernel kills the rest
        }
        int stub = killableStub;
        if (stub > 0) {
            Ptrace.kill(stub, Signal.SIGKILL);
        }
        // Every process at once, too: a killed init stops at its exit event, and until the tracer
        // resumes it the rest of the namespace lives on. The tracer's wait4 hands out the newest
        // tracees' stops first, so a crowd of them trapping again and again (a fork bomb refused)
        // could keep init's turn from ever coming.
        Cgroup c = cgroup;
        if (c != null) {
            c.killAll();
        }
    }

    boolean ended() {
        return killReason.get() != null;
    }

    CpuPlacement placement() {
        return placement;
    }

    /** From the timer: spreads a sandbox on its home CPU whose tasks wait for it; the next check's delay, -1 when spread. */
    long checkPlacement() {
        long next = placement.check(tasks.keySet());
        if (next < 0) {
            mark("spread over its CPUs");
        }
        return next;
    }

    /** The program set an affinity of its own: every CPU of the sandbox is its to choose from. */
    void spreadNow() {
        placement.programSetsAffinity(tasks.keySet());
    }

    long cpuNanosNow() {
        return cgroup == null ? -1 : cgroup.cpuNanos();
    }

    private SandboxResult result() {
        mark("all gone");
        return outcome.build(killReason.get(), killMessage, cgroup, initPid, System.nanoTime() - startNanos, calls);
    }

    /** Cleans up after a failure in the loop or the setup. */
    void abort() {
        killAll(Termination.ENGINE_ERROR, "engine error");
        releaseStandby();
        // reap what is left so no zombie of ours remains
        for (int i = 0; i < 1000 && !tasks.isEmpty(); i++) {
            int tid = pt.wait(-1, Ptrace.WALL | Ptrace.WNOTHREAD);
            if (tid < 0) {
                break;
            }
            if (!Ptrace.stopped(pt.lastStatus())) {
                tasks.remove(tid);
            } else {
                pt.resume(Ptrace.PTRACE_CONT, tid, 0);
            }
        }
        if (mounts != null) {
            mounts.closeEgress();
        }
        egressClosed.countDown();
        if (cgroup != null) {
            cgroup.close();
        }
    }
}
