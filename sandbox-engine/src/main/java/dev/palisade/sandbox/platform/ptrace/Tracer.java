package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.DeniedCall;
import dev.palisade.sandbox.NetworkPolicy;
import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.abi.Signal;
import dev.palisade.sandbox.abi.SyscallNr;
import dev.palisade.sandbox.nativeinterop.LibC;
import dev.palisade.sandbox.nativeinterop.Posix;
import dev.palisade.sandbox.nativeinterop.Ptrace;
import dev.palisade.sandbox.nativeinterop.Regs;
import dev.palisade.sandbox.sentry.Handler;
import dev.palisade.sandbox.sentry.Sentry;
import dev.palisade.sandbox.sentry.SentryFault;
import dev.palisade.sandbox.sentry.TaskMemory;
import dev.palisade.sandbox.sentry.Syscall;
import dev.palisade.sandbox.sentry.SyscallContext;
import dev.palisade.sandbox.sentry.SyscallTable;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
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
final class Tracer implements SyscallContext {

    private static final int MAX_DENIED_RECORDED = 1000;
    /** Refusals by the process limit after which the sandbox is ended as a fork bomb. */
    static final int PROCESS_LIMIT_STRIKES = 200;

    private final SandboxSpec spec;
    private final int uid, gid;
    /** The program's path inside the sandbox. */
    private final String program;
    private final Consumer<String> trace;
    private final Ptrace pt = new Ptrace();
    private final Regs regs = new Regs();
    private final TraceeMemory memory = new TraceeMemory(pt);
    private final Map<Integer, Task> tasks = new HashMap<>();
    private final Map<String, Long> counts = new HashMap<>();
    private final List<DeniedCall> denied = new ArrayList<>();
    private long deniedDropped;
    private final AtomicReference<Termination> killReason = new AtomicReference<>();
    private volatile String killMessage;
    private volatile int stubPid, initPid, workloadPid;
    /** What {@link #killAll} may still signal: cleared as soon as a process is reaped, so a pid the kernel reuses is never hit. */
    private volatile int killableStub, killableInit;
    private final long startNanos = System.nanoTime();
    private Cgroup cgroup;
    private RootFs fs;
    private long scratch;
    private int pendingClones;
    /** Size the stub gave /tmp (a prepared stub: the default's; init resizes it to the spec's). */
    private long stubTmpfsSize;
    private int limitStrikes;
    /** The stub's mount namespace was made ahead of time: host mounts made since are not in it. */
    private boolean preparedEarlier;
    /** The writable filesystem found full when the sandbox's init exited ("/workspace" or "/tmp"), or null. */
    private String diskFull;
    private boolean policyKilled;
    private String policyMessage;
    private int initStatus = -1;
    private int stubStatus = -1;
    private int workloadStatus = -1;
    private long stubCpuNanos, stubMaxRss;
    private final Map<Integer, Integer> limitSignals = new HashMap<>();
    // the current trapped call (SyscallContext)
    private Task cur;
    private final byte[] filter;
    private static final byte[] FILTER = SeccompFilter.compile(false), TRACE_ALL_FILTER = SeccompFilter.compile(true);
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
        this.filter = spec.trace() ? TRACE_ALL_FILTER : FILTER;
    }

    int stubPid() {
        return stubPid;
    }

    /** Host pid of the sandbox's first process (pid 1 inside), 0 until it exists. */
    int initPid() {
        return initPid;
    }

    // ------------------------------------------------------------------ start

    /**
     * Takes over a stub that {@link StubPool} spawned, stopped and seized on this same thread:
     * plans the filesystem, puts the stub into the sandbox's cgroup, applies the rlimits, and lets
     * it run to its fork, where the setup happens.
     */
    void adopt(int pid) {
        stubPid = pid;
        killableStub = pid;
        tasks.put(pid, new Task(pid, Task.Stage.STUB));
        fs = RootFs.plan(spec);
        mark("planned");
        cgroup = Cgroup.create(spec.limits().memoryBytes(), spec.limits().maxProcesses());
        cgroup.add(pid);
        mark("cgroup");
        applyRlimits(pid);
        Posix.kill(pid, Signal.SIGCONT);
    }

    /** A stub whose namespaces and default root are built, stopped at its fork, ready for any spec that fits. */
    record Prepared(int pid, long scratch, Injector atFork, Cgroup cgroup, long tmpfsSize) {
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
     * the spec-independent part (namespaces, default root, /dev, /tmp) there. Everything that
     * depends on a spec (cgroup, rlimits, /workspace, the pivot into the root, /tmp's size,
     * loopback, uid, filter) happens at adoption.
     */
    Prepared prepare(int pid) {
        stubPid = pid;
        killableStub = pid;
        fs = RootFs.plan(spec);
        cgroup = Cgroup.fresh();
        cgroup.add(pid); // moving a process costs an RCU grace period: done here, not at start-up
        Posix.kill(pid, Signal.SIGCONT);
        pt.resume(Ptrace.PTRACE_SYSCALL, pid, 0);
        while (true) {
            int w = pt.wait(pid, Ptrace.WALL);
            if (w < 0) {
                if (-w == 4) {
                    continue;
                }
                throw new SandboxException("lost the stub while preparing it");
            }
            int st = pt.lastStatus();
            if (!Ptrace.stopped(st)) {
                throw new SandboxException("the stub ended while being prepared (status 0x" + Integer.toHexString(st) + ")");
            }
            int sig = Ptrace.stopSig(st);
            if (Ptrace.event(st) == 0 && sig == Injector.SYSCALL_STOP && pt.syscallInfoOp(pid) == Ptrace.SYSCALL_INFO_ENTRY) {
                Injector in = new Injector(pt, pid);
                long nr = in.originalCall();
                if (nr == SyscallNr.CLONE || nr == SyscallNr.FORK || nr == SyscallNr.VFORK) {
                    setupShared(in);
                    return new Prepared(pid, scratch, in, cgroup, stubTmpfsSize);
                }
            }
            int deliver = Ptrace.event(st) == 0 && sig != Injector.SYSCALL_STOP && sig != Signal.SIGTRAP && sig != Signal.SIGCONT ? sig : 0;
            pt.resume(Ptrace.PTRACE_SYSCALL, pid, deliver);
        }
    }

    /** Takes over a prepared stub (same thread that prepared it): cgroup, rlimits, the spec's mounts, then its fork goes on. */
    void adopt(Prepared p) {
        preparedEarlier = true;
        stubPid = p.pid();
        killableStub = p.pid();
        scratch = p.scratch();
        stubTmpfsSize = p.tmpfsSize();
        tasks.put(p.pid(), new Task(p.pid(), Task.Stage.RUNNING));
        fs = RootFs.plan(spec);
        mark("planned");
        cgroup = p.cgroup();
        cgroup.configure(spec.limits().memoryBytes(), spec.limits().maxProcesses());
        mark("cgroup");
        applyRlimits(p.pid());
        setupForSpec(p.atFork());
        mark("spec mounts");
        p.atFork().finish(Ptrace.PTRACE_CONT);
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
    }

    List<String> missingIsolation() {
        return cgroup == null ? List.of() : cgroup.missing();
    }

    // ------------------------------------------------------------------ the loop

    /**
     * Runs until every tracee is gone. The result is handed to {@code onResult} as soon as the
     * sandbox's pid namespace is empty (only the engine's stub left to reap), then the stub is reaped
     * and the cgroup removed.
     */
    void loop(Runnable onRunning, Consumer<SandboxResult> onResult) {
        boolean announced = false;
        boolean delivered = false;
        while (!tasks.isEmpty()) {
            if (!delivered && initPid != 0 && initStatus != -1 && tasks.size() == 1 && tasks.containsKey(stubPid)) {
                delivered = true;
                onResult.accept(result());
            }
            int tid = pt.wait(-1, Ptrace.WALL | Ptrace.WNOTHREAD);
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
            Task t = tasks.get(tid);
            if (t == null) {
                // a new task whose parent's event we have not seen yet: hold it until we know it
                t = new Task(tid, Task.Stage.RUNNING);
                t.held = true;
                tasks.put(tid, t);
                continue;
            }
            int event = Ptrace.event(st);
            int sig = Ptrace.stopSig(st);
            switch (event) {
                case Ptrace.PTRACE_EVENT_SECCOMP -> onSeccomp(t);
                case Ptrace.PTRACE_EVENT_FORK, Ptrace.PTRACE_EVENT_VFORK, Ptrace.PTRACE_EVENT_CLONE -> onNewTask(t, event);
                case Ptrace.PTRACE_EVENT_EXIT -> onExitEvent(t);
                case Ptrace.PTRACE_EVENT_EXEC -> {
                    mark("exec");
                    if (t.stage == Task.Stage.RUNNING && !announced) {
                        announced = true;
                        onRunning.run();
                    }
                    if (trace != null) {
                        trace.accept("[" + nsPid(t) + "] execve -> ok");
                    }
                    resume(t, 0);
                }
                case Ptrace.PTRACE_EVENT_STOP -> {
                    if (t.held) {
                        continue;
                    }
                    resume(t, 0);
                }
                case 0 -> {
                    if (sig == Injector.SYSCALL_STOP) {
                        onSyscallStop(t);
                    } else {
                        // a signal for the tracee: deliver it
                        pt.resume(mode(t), tid, sig == Signal.SIGTRAP ? 0 : sig);
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
    }

    private int mode(Task t) {
        return t.stage == Task.Stage.RUNNING ? Ptrace.PTRACE_CONT : Ptrace.PTRACE_SYSCALL;
    }

    private void resume(Task t, int sig) {
        pt.resume(mode(t), t.tid, sig);
    }

    private void gone(int tid, int st) {
        Task t = tasks.remove(tid);
        if (tid == killableInit) {
            killableInit = 0;
        }
        if (tid == killableStub) {
            killableStub = 0;
        }
        if (tid == stubPid) {
            stubCpuNanos = pt.lastRusageCpuNanos();
            stubStatus = st;
            stubMaxRss = pt.lastRusageMaxRssBytes();
        }
        if (tid == initPid) {
            initStatus = st;
        }
        if (tid == workloadPid) {
            workloadStatus = st;
        }
        if (Ptrace.signaled(st)) {
            int s = Ptrace.termSig(st);
            if (s == Signal.SIGXCPU || s == Signal.SIGXFSZ) {
                limitSignals.merge(s, 1, Integer::sum);
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

    private void onNewTask(Task parent, int event) {
        int child = (int) pt.eventMessage(parent.tid);
        parent.pendingClone = false;
        if (pendingClones > 0) {
            pendingClones--;
        }
        Task c = tasks.get(child);
        boolean wasHeld = c != null && c.held;
        if (c == null) {
            c = new Task(child, Task.Stage.RUNNING);
            tasks.put(child, c);
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
            trace.accept("[" + nsPid(parent) + "] " + (event == Ptrace.PTRACE_EVENT_CLONE ? "clone" : "fork") + " -> new task");
        }
        resume(parent, 0);
        if (wasHeld) {
            resume(c, 0);
        }
    }

    private void onExitEvent(Task t) {
        if (t.tid == initPid) {
            diskFull = fullFilesystem(t.tid);
        }
        long status = pt.eventMessage(t.tid);
        int st = (int) status;
        if (Ptrace.signaled(st) && Ptrace.termSig(st) == Signal.SIGSYS && t.stage == Task.Stage.RUNNING) {
            // the filter killed it: a 32-bit (int 0x80) or x32 call. The registers still show the call.
            long nr = pt.getRegs(t.tid, regs) ? regs.origRax() : -1;
            String what = (nr & 0x40000000L) != 0 ? "x32 ABI call " + (nr & ~0x40000000L) : "32-bit (int 0x80) call " + nr;
            record(t, (int) nr, what, 0, "kill", "killed by the seccomp filter: " + what);
            policyKilled = true;
            policyMessage = "killed: " + what + " (only the x86-64 ABI is allowed)";
            if (trace != null) {
                trace.accept("[" + nsPid(t) + "] " + what + " -> kill");
            }
            killAll(Termination.POLICY_VIOLATION, policyMessage);
        }
        pt.resume(Ptrace.PTRACE_CONT, t.tid, 0);
    }

    /**
     * Which of the sandbox's writable filesystems is full, seen through its init's root while the
     * init is stopped at its exit (its mount namespace still exists); null when none is.
     */
    private static String fullFilesystem(int init) {
        for (String dir : List.of("/workspace", "/tmp")) {
            try {
                if (Posix.statvfs("/proc/" + init + "/root" + dir).full()) {
                    return dir;
                }
            } catch (RuntimeException e) {
                // not visible: nothing to say about it
            }
        }
        return null;
    }

    private String diskMessage() {
        return spec.limits().diskLimitMessage(diskFull);
    }

    // ------------------------------------------------------------------ setup stops

    private void onSyscallStop(Task t) {
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
                setupStub(in);
                mark("stub set up");
                t.stage = Task.Stage.RUNNING; // the stub itself runs on, unfiltered, outside the pid namespace
                in.finish(Ptrace.PTRACE_CONT);
            } else {
                resume(t, 0);
            }
        } else if (t.stage == Task.Stage.EXEC) {
            if (pt.getRegs(t.tid, regs) && regs.origRax() == SyscallNr.EXECVE) {
                rewriteExec(t);
                t.stage = Task.Stage.RUNNING;
            }
            resume(t, 0);
        } else if (t.stage == Task.Stage.SETUP) {
            Injector in = new Injector(pt, t.tid);
            mark("init first call");
            setupInit(in);
            mark("init set up");
            t.stage = Task.Stage.RUNNING;
            in.finish(Ptrace.PTRACE_CONT);
        } else {
            resume(t, 0);
        }
    }

    private static final long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REMOUNT = 32,
            MS_BIND = 4096, MS_REC = 16384, MS_PRIVATE = 1 << 18;

    private void mount(Injector in, String what, String source, String target, String type, long flags, String data) {
        in.reset();
        in.check(what + " (" + target + ")", SyscallNr.MOUNT, in.str(source), in.str(target), in.str(type), flags, in.str(data));
    }

    private void bind(Injector in, String source, String target, boolean readOnly) {
        mount(in, "bind " + source, source, target, null, MS_BIND | MS_REC, null);
        mount(in, "remount", null, target, null, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | (readOnly ? MS_RDONLY : 0), null);
    }

    /** In the stub, at its fork: namespaces and every mount but /proc. */
    private void setupStub(Injector in) {
        setupShared(in);
        setupForSpec(in);
    }

    private static final long CLONE_NEWUSER = 0x10000000L;

    /**
     * The part of the stub's setup no spec changes (done ahead of time in a prepared stub):
     * namespaces (a user namespace first when rootless), the root with the host's userland and its
     * masks, /dev, /tmp (at the default size; init resizes it), the hostname.
     */
    private void setupShared(Injector in) {
        scratch = in.mapScratch();
        if (Rootless.ACTIVE) {
            in.check("unshare(user)", SyscallNr.UNSHARE, CLONE_NEWUSER);
            // entering a user namespace made the stub non-dumpable, which would lock the tracer out of its memory
            in.check("dumpable", SyscallNr.PRCTL, 4, 1, 0, 0, 0);
            Rootless.mapCallerToRoot(in.tid());
        }
        // the stub is in the sandbox's cgroup already: the cgroup namespace is rooted there
        long ns = 0x00020000L | 0x04000000L | 0x08000000L | 0x40000000L | 0x20000000L | 0x02000000L;
        in.check("unshare(mount, uts, ipc, net, pid, cgroup)", SyscallNr.UNSHARE, ns);
        mount(in, "make mounts private", null, "/", null, MS_REC | MS_PRIVATE, null);
        String r = fs.stage;
        if (fs.useSkeleton) {
            mount(in, "root skeleton", RootFs.SKEL.toString(), r, null, MS_BIND, null);
        } else if (fs.hostRoot == null) {
            mount(in, "root", "tmpfs", r, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=64k");
            fs.populateRoot(in.tid());
        } else {
            mount(in, "root image", fs.hostRoot.toString(), r, null, MS_BIND | MS_REC, null);
        }
        for (RootFs.Bind b : fs.binds) {
            bind(in, b.source(), b.target(), b.readOnly());
        }
        for (int i = 0; i < fs.masks.size(); i++) {
            String src = fs.maskIsDir.get(i) ? RootFs.EMPTY_DIR.toString() : RootFs.EMPTY_FILE.toString();
            mount(in, "mask", src, fs.masks.get(i), null, MS_BIND, null);
        }
        mount(in, "/dev", RootFs.DEV.toString(), r + "/dev", null, MS_BIND, null);
        mount(in, "/dev read-only", null, r + "/dev", null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, null);
        if (Rootless.ACTIVE) {
            // no mknod without root: the host's own device nodes, bound one by one
            for (String d : RootFs.DEVICES) {
                mount(in, "device", "/dev/" + d, r + "/dev/" + d, null, MS_BIND, null);
            }
        }
        stubTmpfsSize = spec.limits().diskBound();
        mount(in, "/tmp", "tmpfs", r + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
                "mode=1777,size=" + stubTmpfsSize + ",nr_inodes=" + spec.limits().diskInodes());
        in.reset();
        in.check("sethostname", SyscallNr.SETHOSTNAME, in.str("sandbox"), 7);
    }

    /**
     * The spec's part of the stub's setup: its binds, /workspace (a tmpfs of the disk bound, or
     * the host workspace), the read-only root, and (as root) the pivot into it. Rootless, the
     * sandbox's init pivots instead, after mounting its /proc: the kernel lets a user namespace
     * mount a proc only while a full one is visible in its mount namespace.
     */
    private void setupForSpec(Injector in) {
        String r = fs.stage;
        for (RootFs.Bind b : fs.specBinds) {
            bind(in, b.source(), b.target(), b.readOnly());
        }
        if (spec.workspace() == null) {
            mount(in, "/workspace", "tmpfs", r + "/workspace", "tmpfs", MS_NOSUID | MS_NODEV,
                    "mode=755,size=" + spec.limits().diskBound() + ",nr_inodes=" + spec.limits().diskInodes()
                            + ",uid=" + uid + ",gid=" + gid);
        } else if (preparedEarlier && !Rootless.ACTIVE) {
            attachHostMount(in, spec.workspace().toAbsolutePath().toString(), r + "/workspace");
        } else {
            bind(in, spec.workspace().toAbsolutePath().toString(), r + "/workspace", false);
        }
        mount(in, "read-only root", null, r, null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, null);
        if (!Rootless.ACTIVE) {
            pivotInto(in, r);
        }
    }


    /**
     * Makes the host's {@code source} (its files and any filesystem mounted there, such as a
     * {@link dev.palisade.sandbox.BoundedWorkspace}) appear writable at {@code target} in a stub
     * whose mount namespace was made before: a bind would only see what was mounted then. The
     * engine clones the host's mount (open_tree), the stub takes the descriptor from the engine
     * (pidfd_getfd) and attaches it in its own namespace (move_mount).
     */
    private static void attachHostMount(Injector in, String source, String target) {
        int tree = Posix.openTreeClone(source);
        try {
            long pidfd = in.check("pidfd_open(engine)", SyscallNr.PIDFD_OPEN, Posix.getpid(), 0);
            long fd = in.check("pidfd_getfd(workspace)", SyscallNr.PIDFD_GETFD, pidfd, tree, 0);
            in.call(SyscallNr.CLOSE, pidfd);
            in.reset();
            in.check("move_mount(workspace)", SyscallNr.MOVE_MOUNT, fd, in.str(""), -100, in.str(target), 4); // MOVE_MOUNT_F_EMPTY_PATH
            in.call(SyscallNr.CLOSE, fd);
            in.reset();
            in.check("remount workspace", SyscallNr.MOUNT, 0, in.str(target), 0, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV, 0);
        } finally {
            Posix.close(tree);
        }
    }

    /** Into the root for good: the caller's (and so every later process's) root is the sandbox's. */
    private static void pivotInto(Injector in, String root) {
        in.reset();
        in.check("chdir to the root", SyscallNr.CHDIR, in.str(root));
        in.reset();
        in.check("pivot_root", SyscallNr.PIVOT_ROOT, in.str("."), in.str("."));
        in.reset();
        in.check("detach the host root", SyscallNr.UMOUNT2, in.str("."), 2);
    }

    /** In the workload's first process (pid 1 inside), before anything of the workload runs. */
    private void setupInit(Injector in) {
        in.useScratch(scratch);
        // /proc must be mounted from inside the pid namespace
        if (Rootless.ACTIVE) {
            mount(in, "/proc", "proc", fs.stage + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
            pivotInto(in, fs.stage);
        } else {
            mount(in, "/proc", "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
        }
        long size = spec.limits().diskBound();
        if (size != stubTmpfsSize) {
            mount(in, "resize /tmp", null, "/tmp", null, MS_REMOUNT | MS_NOSUID | MS_NODEV,
                    "size=" + size + ",nr_inodes=" + spec.limits().diskInodes());
        }
        if (spec.network() == NetworkPolicy.LOOPBACK) {
            long fd = in.check("socket", SyscallNr.SOCKET, 2, 2 | 0x80000, 0);
            byte[] ifr = new byte[40];
            ifr[0] = 'l';
            ifr[1] = 'o';
            ifr[16] = 1 | 0x40; // IFF_UP | IFF_RUNNING
            in.reset();
            in.check("bring loopback up", SyscallNr.IOCTL, fd, 0x8914, in.bytes(ifr));
            in.call(SyscallNr.CLOSE, fd);
        }
        in.reset();
        if (in.call(SyscallNr.CHDIR, in.str(spec.workdir())) < 0) {
            in.reset();
            in.check("chdir /", SyscallNr.CHDIR, in.str("/"));
        }
        if (Rootless.ACTIVE) {
            // root of its user namespace: no capability left, and none regained by any exec (NOROOT, locked)
            in.check("securebits", SyscallNr.PRCTL, 28, 0x2f, 0, 0, 0);
            in.reset();
            byte[] header = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0x20080522).putInt(0).array();
            in.check("drop capabilities", SyscallNr.CAPSET, in.bytes(header), in.bytes(new byte[24]));
        } else {
            in.check("setgroups", SyscallNr.SETGROUPS, 0, 0);
            in.check("setresgid", SyscallNr.SETRESGID, gid, gid, gid);
            in.check("setresuid", SyscallNr.SETRESUID, uid, uid, uid);
        }
        in.check("no_new_privs", SyscallNr.PRCTL, 38, 1, 0, 0, 0);
        in.reset();
        long prog = in.bytes(filter);
        byte[] fprog = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putShort(0, (short) (filter.length / 8)).putLong(8, prog).array();
        in.check("install the seccomp filter", SyscallNr.SECCOMP, 1, 0, in.bytes(fprog));
    }

    /** The program's path, argv and envp go to the upper half of the scratch mapping: at most this many bytes. */
    private static final int EXEC_AREA = 512 << 10;

    /**
     * What the workload's execve gets, NUL-terminated: argv, then envp (the spec's environment, a
     * default PATH unless it sets one), then the program's path. Refused with a clear error when it
     * does not fit the area it is written to (checked before a sandbox starts).
     */
    static byte[][] execStrings(SandboxSpec spec, String program) {
        List<String> all = new ArrayList<>(spec.command());
        spec.environment().forEach((k, v) -> all.add(k + "=" + v));
        if (!spec.environment().containsKey("PATH")) {
            all.add("PATH=/usr/local/bin:/usr/bin:/bin");
        }
        all.add(program);
        byte[][] encoded = new byte[all.size()][];
        long size = (all.size() + 1) * 8L; // the argv and envp pointer arrays, each ending in NULL
        for (int i = 0; i < all.size(); i++) {
            encoded[i] = (all.get(i) + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            size += encoded[i].length;
        }
        if (size > EXEC_AREA) {
            throw new SandboxException("the command and environment take " + size + " bytes; at most " + EXEC_AREA
                    + " are allowed");
        }
        return encoded;
    }

    /**
     * The workload's execve: the stub only knows a placeholder, so its path, argv and envp are
     * replaced here by the spec's, written into the scratch mapping (shared with the sandbox's
     * init, which is blocked in vfork meanwhile). Nothing else runs in that memory. The buffer is
     * exactly what is written: one of the whole area per run was a humongous object for G1, which
     * then collected and marked concurrently several times a second under load.
     */
    private void rewriteExec(Task t) {
        byte[][] strings = execStrings(spec, program);
        int argc = spec.command().size(), envc = strings.length - 1 - argc;
        int pointers = (argc + 1 + envc + 1) * 8;
        int size = pointers;
        for (byte[] z : strings) {
            size += z.length;
        }
        long base = scratch + EXEC_AREA;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        long[] addr = new long[strings.length];
        long at = base + pointers;
        b.position(pointers);
        for (int i = 0; i < strings.length; i++) {
            addr[i] = at;
            b.put(strings[i]);
            at += strings[i].length;
        }
        int k = 0;
        for (int i = 0; i < argc; i++) {
            b.putLong(k++ * 8, addr[i]);
        }
        b.putLong(k++ * 8, 0);
        for (int i = 0; i < envc; i++) {
            b.putLong(k++ * 8, addr[argc + i]);
        }
        b.putLong(k * 8, 0);
        if (!pt.writeMemory(t.tid, base, b.array())) {
            throw new SandboxException("cannot write the program's arguments into the sandbox");
        }
        regs.arg(0, addr[strings.length - 1]);
        regs.arg(1, base);
        regs.arg(2, base + (argc + 1) * 8L);
        pt.setRegs(t.tid, regs);
    }

    // ------------------------------------------------------------------ trapped calls

    private void onSeccomp(Task t) {
        if (!pt.getRegs(t.tid, regs)) {
            return; // killed meanwhile
        }
        if (t.pendingClone) {
            t.pendingClone = false;
            pendingClones = Math.max(0, pendingClones - 1);
        }
        long nr = regs.origRax();
        if (t.stage == Task.Stage.EXEC && nr == SyscallNr.EXECVE) {
            rewriteExec(t); // (only with --trace does the workload's execve stop here)
            t.stage = Task.Stage.RUNNING;
        }
        Syscall s = SyscallTable.get(nr);
        String name = s == null ? "unknown_" + nr : s.name();
        counts.merge(name, 1L, Long::sum);
        cur = t;
        memory.of(t.tid);
        long result;
        try {
            result = Sentry.call(Sentry.Platform.PTRACE, nr, this);
        } catch (SentryFault e) {
            record(t, (int) nr, name, 0, "fault", e.getCause().toString());
            killAll(Termination.ENGINE_ERROR, e.getMessage());
            result = Errno.EIO.negated();
        }
        String decision = Sentry.decision(Sentry.Platform.PTRACE, nr, result);
        if (result == Sentry.KILL) {
            record(t, (int) nr, name, 0, "kill", s.note());
            result = Handler.RUN_NATIVELY;
            killAll(Termination.POLICY_VIOLATION, "killed for calling " + name);
            policyKilled = true;
            policyMessage = "killed for calling " + name + ": " + s.note();
        } else if (result == Handler.RUN_NATIVELY && (nr == SyscallNr.CLONE || nr == SyscallNr.FORK || nr == SyscallNr.VFORK)) {
            t.pendingClone = true;
            pendingClones++;
        }
        if (trace != null) {
            trace.accept("[" + nsPid(t) + "] " + name + "(0x" + Long.toHexString(regs.arg(0)) + ", 0x"
                    + Long.toHexString(regs.arg(1)) + ", 0x" + Long.toHexString(regs.arg(2)) + ") "
                    + (result == Handler.RUN_NATIVELY ? "-> " + decision + " (kernel runs it)"
                    : "= " + (result < 0 && result > -4096 ? "-" + Errno.nameOf((int) -result) : Long.toString(result))
                    + " (" + decision + ")"));
        }
        if (result != Handler.RUN_NATIVELY) {
            regs.origRax(-1);
            regs.rax(result);
            pt.setRegs(t.tid, regs);
        }
        resume(t, 0);
    }

    private void record(Task t, int nr, String name, int errno, String action, String detail) {
        if (denied.size() < MAX_DENIED_RECORDED) {
            denied.add(new DeniedCall(nsPid(t), nr, name, errno, action, detail));
        } else {
            deniedDropped++;
        }
    }

    @Override
    public long refuse(Errno errno, String detail) {
        long nr = regs.origRax();
        String args = "(0x" + Long.toHexString(regs.arg(0)) + ", 0x" + Long.toHexString(regs.arg(1)) + ", 0x"
                + Long.toHexString(regs.arg(2)) + ")";
        record(cur, (int) nr, SyscallTable.nameOf(nr), errno.value(), "deny", detail + " " + args);
        if (errno == Errno.EAGAIN && detail.startsWith("process limit") && ++limitStrikes >= PROCESS_LIMIT_STRIKES) {
            killAll(Termination.PROCESS_LIMIT, "process limit of " + spec.limits().maxProcesses()
                    + " reached " + limitStrikes + " times: ended as a fork bomb");
        }
        return errno.negated();
    }

    // ------------------------------------------------------------------ SyscallContext

    @Override
    public long arg(int i) {
        return regs.arg(i);
    }

    @Override
    public int pid() {
        return nsTgid(cur);
    }

    @Override
    public int tid() {
        return nsPid(cur);
    }

    @Override
    public int ppid() {
        if (cur.tgid == initPid) {
            return 0; // the parent is outside the sandbox
        }
        Task p = tasks.get(cur.parentTgid);
        return p == null ? 1 : nsTgid(p); // a parent gone means reparented to the sandbox's init
    }

    @Override
    public int uid() {
        return uid;
    }

    @Override
    public int gid() {
        return gid;
    }

    @Override
    public int taskCount() {
        return tasks.size() - (tasks.containsKey(stubPid) ? 1 : 0);
    }

    @Override
    public int pendingTasks() {
        return pendingClones;
    }

    @Override
    public int maxTasks() {
        return spec.limits().maxProcesses();
    }

    @Override
    public long memoryLimit() {
        return spec.limits().memoryBytes();
    }

    @Override
    public long uptimeNanos() {
        return System.nanoTime() - startNanos;
    }

    @Override
    public TaskMemory memory() {
        return memory;
    }

    /** The task's thread id in the sandbox's pid namespace (from /proc, cached). */
    private int nsPid(Task t) {
        if (t == null) {
            return 0;
        }
        if (t.nsTid < 0) {
            readNs(t);
        }
        return t.nsTid;
    }

    private int nsTgid(Task t) {
        if (t.nsTgid < 0) {
            readNs(t);
        }
        return t.nsTgid;
    }

    private static void readNs(Task t) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + t.tid + "/status"))) {
                if (line.startsWith("NSpid:")) {
                    String[] f = line.trim().split("\\s+");
                    t.nsTid = Integer.parseInt(f[f.length - 1]);
                } else if (line.startsWith("NStgid:")) {
                    String[] f = line.trim().split("\\s+");
                    t.nsTgid = Integer.parseInt(f[f.length - 1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            t.nsTid = t.nsTid < 0 ? 0 : t.nsTid;
            t.nsTgid = t.nsTgid < 0 ? 0 : t.nsTgid;
        }
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
    }

    boolean ended() {
        return killReason.get() != null;
    }

    long cpuNanosNow() {
        return cgroup == null ? -1 : cgroup.cpuNanos();
    }

    private SandboxResult result() {
        mark("all gone");
        long wall = System.nanoTime() - startNanos;
        long cpuNs = cgroup.cpuNanos();
        if (cpuNs < 0) {
            cpuNs = stubCpuNanos;
        }
        long peak = cgroup.peakMemory();
        if (peak < 0) {
            peak = stubMaxRss;
        }
        long ooms = cgroup.oomKills();
        Termination term;
        int code = -1, signal = 0;
        String msg;
        Termination reason = killReason.get();
        int st = workloadStatus != -1 ? workloadStatus : initStatus;
        if (reason != null && reason != Termination.POLICY_VIOLATION) {
            term = reason;
            signal = Signal.SIGKILL;
            msg = killMessage;
        } else if (policyKilled) {
            term = Termination.POLICY_VIOLATION;
            signal = Signal.SIGSYS;
            msg = policyMessage;
        } else if (st == -1 && initPid == 0 && stubStatus != -1 && Ptrace.exited(stubStatus)) {
            // the stub found no program to run: nothing of the workload ever started
            term = Termination.EXITED;
            code = Ptrace.exitStatus(stubStatus);
            msg = "exited with code " + code + (code == 127 ? " (program not found)" : "");
        } else if (st == -1) {
            term = Termination.ENGINE_ERROR;
            msg = "the sandbox's first process was never seen to end";
        } else if (Ptrace.signaled(st)) {
            signal = Ptrace.termSig(st);
            if (signal == Signal.SIGXCPU) {
                term = Termination.CPU_LIMIT;
                msg = "CPU limit of " + spec.limits().cpuMillis() + " ms reached";
            } else if (signal == Signal.SIGXFSZ) {
                term = Termination.FILE_SIZE_LIMIT;
                msg = "file size limit of " + spec.limits().fileSizeBytes() + " bytes reached";
            } else if (signal == Signal.SIGKILL && ooms > 0) {
                term = Termination.MEMORY_LIMIT;
                msg = "memory limit of " + spec.limits().memoryBytes() + " bytes reached";
            } else if (diskFull != null) {
                term = Termination.DISK_LIMIT;
                msg = diskMessage() + "; ended by signal " + signal;
            } else {
                term = Termination.SIGNALED;
                msg = "ended by signal " + signal;
            }
        } else {
            code = Ptrace.exitStatus(st);
            term = Termination.EXITED;
            msg = "exited with code " + code;
            if (code != 0 && ooms > 0) {
                term = Termination.MEMORY_LIMIT;
                signal = Signal.SIGKILL;
                msg = "memory limit of " + spec.limits().memoryBytes() + " bytes reached (a process was killed; exit code " + code + ")";
            } else if (code != 0 && limitSignals.containsKey(Signal.SIGXFSZ)) {
                term = Termination.FILE_SIZE_LIMIT;
                signal = Signal.SIGXFSZ;
                msg = "file size limit of " + spec.limits().fileSizeBytes() + " bytes reached (exit code " + code + ")";
            } else if (code != 0 && limitSignals.containsKey(Signal.SIGXCPU)) {
                term = Termination.CPU_LIMIT;
                signal = Signal.SIGXCPU;
                msg = "CPU limit of " + spec.limits().cpuMillis() + " ms reached (exit code " + code + ")";
            } else if (code != 0 && diskFull != null) {
                term = Termination.DISK_LIMIT;
                msg = diskMessage() + "; exit code " + code;
            } else if (diskFull != null) {
                msg += "; " + diskMessage();
            }
        }
        return new SandboxResult(term, term == Termination.EXITED ? code : (term == Termination.SIGNALED ? -1 : code),
                signal, msg, "ptrace", cpuNs, wall, peak, counts, denied, deniedDropped);
    }

    /** Cleans up after a failure in the loop or the setup. */
    void abort() {
        killAll(Termination.ENGINE_ERROR, "engine error");
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
        if (cgroup != null) {
            cgroup.close();
        }
    }
}
