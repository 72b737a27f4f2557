package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.abi.SyscallNr;
import dev.palisade.sandbox.nativeinterop.HostCalls;
import dev.palisade.sandbox.nativeinterop.NativeScratch;
import dev.palisade.sandbox.nativeinterop.Ptrace;
import dev.palisade.sandbox.nativeinterop.SeccompListener;
import dev.palisade.sandbox.sentry.ExecChoice;
import dev.palisade.sandbox.sentry.Handler;
import dev.palisade.sandbox.sentry.HostTask;
import dev.palisade.sandbox.sentry.Sentry;
import dev.palisade.sandbox.sentry.SentryFault;
import dev.palisade.sandbox.sentry.SyscallContext;
import dev.palisade.sandbox.sentry.SyscallTable;
import dev.palisade.sandbox.sentry.TaskMemory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Consumer;

/**
 * The mechanism of path serving on ptrace: one thread per sandbox that receives the calls the
 * seccomp filter sent to the Sentry (user notification, no ptrace stop), hands each to
 * {@link Sentry#serve} with this as the call's context, and answers it.
 *
 * <p>The thread makes itself the program's view of the files before it serves anything: its own
 * filesystem context ({@code unshare(CLONE_FS)}), its root the sandbox's root ({@code chroot}
 * through a descriptor of the sandbox's first process's root), and, as root, the program's uid and
 * gid with no supplementary group and so no capability (per thread: raw calls, not glibc's
 * process-wide wrappers). Every host call it makes is thereby checked as the program's own, and
 * it can read and write only the memory of processes the program could. Rootless (no chroot, no
 * change of identity without root), it holds the sandbox's root as a descriptor instead and the
 * Sentry starts every lookup there ({@link HostTask#sandboxRoot}); its uid is the caller's, which
 * is the program's on the host. It runs on the tracer's CPU when the tracer is pinned, and asks
 * the kernel to wake it synchronously there.
 */
final class PathServer implements SyscallContext, HostTask {
    /** Bytes of scratch a served call may use. */
    static final int SCRATCH = 18432;
    /** pidfd_open's flag for a pidfd of one thread (Linux 6.9), whose descriptor table may be its own. */
    private static final int PIDFD_THREAD = 0200;
    private static final int O_PATH_DIR = 010000000 | 0200000 | 02000000;

    private final Tracer tracer;
    private final SyscallCalls calls;
    private final SeccompListener listener;
    private final int rootFd, procFd, uid, gid;
    private final int[] cpus;
    private final Consumer<String> trace;
    private final long startNanos;
    private final NativeScratch scratch = new NativeScratch(SCRATCH);
    /** For the engine's own read of the caller's file size limit, apart from the served call's scratch. */
    private final NativeScratch limitScratch = new NativeScratch(16);
    private final Ptrace pt = new Ptrace();
    private final TraceeMemory memory = new TraceeMemory(pt);
    private int nsTgid = -1, nsTid = -1;
    /**
     * A thread with the tracer's credentials, for what the serving thread may not take of a
     * program that made itself not dumpable: its own descriptors and its memory file, each kept
     * only when the call still waits after it was taken (a task gone meanwhile, its tid reused, lends nothing).
     */
    private final StandbyThread asTracer;
    /** The tasks for {@link #asTracer}; {@link #NO_MORE} ends it. */
    private final LinkedBlockingQueue<Runnable> forTracer = new LinkedBlockingQueue<>();
    private static final Runnable NO_MORE = () -> { };
    /** The calling task's memory file taken with the tracer's credentials for this call, or -1. */
    private long memFile = -1;

    private PathServer(Tracer tracer, SyscallCalls calls, SeccompListener listener, int rootFd, int procFd, int uid, int gid,
            Consumer<String> trace, long startNanos, StandbyThread asTracer) {
        this.tracer = tracer;
        this.calls = calls;
        this.listener = listener;
        this.rootFd = rootFd;
        this.procFd = procFd;
        this.uid = uid;
        this.gid = gid;
        this.trace = trace;
        this.startNanos = startNanos;
        this.cpus = tracer.placement().cpus();
        // started by the tracer's thread (ahead of time): it has the tracer's credentials
        this.asTracer = asTracer;
        asTracer.run("palisade-paths-tracer-" + tracer.initPid(), this::runForTracer);
    }

    /** On {@link #asTracer}: the serving thread's tasks, until it ends. */
    private void runForTracer() {
        tracer.placement().join(); // it too moves with the sandbox
        try {
            for (Runnable r = forTracer.take(); r != NO_MORE; r = forTracer.take()) {
                r.run();
            }
        } catch (InterruptedException e) {
            // ended
        }
    }

    /**
     * On the tracer's thread, while the sandbox's first process ({@code initPid}) is stopped in
     * its setup: takes that process's listener descriptor {@code remoteFd} and its root, and
     * starts serving on {@code serving}, with {@code asTracer} for what needs the tracer's
     * credentials (both started ahead of time by the tracer's thread). The caller then closes the
     * listener in that process.
     */
    static PathServer start(Tracer tracer, SyscallCalls calls, int initPid, long remoteFd, int uid, int gid,
            Consumer<String> trace, long startNanos, StandbyThread serving, StandbyThread asTracer) {
        NativeScratch s = new NativeScratch(256);
        long listenerFd = duplicateOf(initPid, remoteFd, 0);
        if (listenerFd < 0) {
            throw new SandboxException("path serving: cannot take the seccomp listener from the sandbox's init: errno "
                    + -listenerFd);
        }
        long root = open(s, "/proc/" + initPid + "/root");
        long proc = open(s, "/proc");
        if (root < 0 || proc < 0) {
            HostCalls.close(listenerFd);
            HostCalls.close(root);
            HostCalls.close(proc);
            throw new SandboxException("path serving: cannot open the sandbox's root or /proc");
        }
        PathServer server = new PathServer(tracer, calls, new SeccompListener((int) listenerFd), (int) root, (int) proc,
                uid, gid, trace, startNanos, asTracer);
        serving.run("palisade-paths-" + initPid, server::run);
        return server;
    }

    /**
     * Classes the serving thread may need, loaded before it leaves the host's root: after its
     * chroot, a class file on the host (a class directory, a jar opened later) is out of its reach.
     */
    private static final String[] PRELOADED = {"dev.palisade.sandbox.sentry.SysPath", "dev.palisade.sandbox.sentry.ExecChoice", "dev.palisade.sandbox.sentry.BadAddress",
            "dev.palisade.sandbox.sentry.vfs.FsError", "dev.palisade.sandbox.sentry.SentryFault",
            "dev.palisade.sandbox.sentry.OutOfTaskMemory", "dev.palisade.sandbox.sentry.TaskStopped",
            "dev.palisade.sandbox.abi.Errno", "dev.palisade.sandbox.abi.OpenFlags", "dev.palisade.sandbox.sentry.SysUnixSocket",
            "dev.palisade.sandbox.sentry.SysProcessControl",
            "dev.palisade.sandbox.sentry.SysNewDescriptor", "dev.palisade.sandbox.sentry.SysTime", "dev.palisade.sandbox.sentry.SysInfo",
            "dev.palisade.sandbox.sentry.SysArgs",
            "dev.palisade.sandbox.sentry.SysHeldDescriptor",
            "dev.palisade.sandbox.platform.ptrace.PathServer"};

    private static void preload() {
        ClassLoader loader = PathServer.class.getClassLoader();
        try {
            for (String name : PRELOADED) {
                Class<?> k = Class.forName(name, true, loader);
                for (Class<?> nested : k.getDeclaredClasses()) {
                    Class.forName(nested.getName(), true, loader);
                }
            }
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("path serving: " + e.getMessage(), e);
        }
    }

    private static long open(NativeScratch s, String path) {
        byte[] b = path.getBytes(StandardCharsets.US_ASCII);
        s.write(0, b, 0, b.length);
        s.putByte(b.length, (byte) 0);
        return HostCalls.call(HostCalls.NR_OPENAT, -100, s.at(0), O_PATH_DIR, 0);
    }

    private void run() {
        try {
            preload();
            if (!becomeProgramView()) {
                return;
            }
            // where the program runs, and moved with it: a wake-up stays near
            tracer.placement().join();
            boolean sync = listener.syncWakeUp();
            if (trace != null) {
                trace.accept(sync ? "path serving: synchronous wake-ups, on the caller's CPU"
                        : "path serving: no synchronous wake-ups (Linux 6.6 has them): each call may cross CPUs");
            }
            while (listener.receive()) {
                serveOne();
            }
        } finally {
            listener.close();
            HostCalls.close(procFd);
            if (Rootless.ACTIVE) {
                HostCalls.close(rootFd);
            }
            HostCalls.close(memFile);
            forTracer.add(NO_MORE);
        }
    }

    /**
     * The thread's root, identity and working directory become the program's view; false (sandbox
     * ended) when not possible. Rootless, the thread may neither chroot nor change its identity
     * (the caller's uid is already the program's on the host): it keeps the sandbox's root as a
     * descriptor, from which the Sentry starts every lookup ({@link #sandboxRoot}).
     */
    private boolean becomeProgramView() {
        NativeScratch s = scratch;
        s.putByte(0, (byte) '.');
        s.putByte(1, (byte) 0);
        long r = HostCalls.call(HostCalls.NR_UNSHARE, HostCalls.CLONE_FS, 0, 0);
        if (Rootless.ACTIVE) {
            if (r == 0) {
                // no lookup starts from the working directory here (SysPath.lookup); the sandbox's root, not the engine's, all the same
                r = HostCalls.call(HostCalls.NR_FCHDIR, rootFd, 0, 0);
            }
            if (r != 0) {
                tracer.killAll(Termination.ENGINE_ERROR, "path serving: cannot take a filesystem context of its own (errno " + -r + ")");
                return false;
            }
            return true;
        }
        if (r == 0) {
            r = HostCalls.call(HostCalls.NR_FCHDIR, rootFd, 0, 0);
        }
        if (r == 0) {
            r = HostCalls.call(HostCalls.NR_CHROOT, s.at(0), 0, 0);
        }
        HostCalls.close(rootFd);
        // always: the calls it serves for the program (prlimit64, setpriority, sched_setattr…) rely
        // on having no more privilege than the program
        if (r == 0) {
            r = HostCalls.call(HostCalls.NR_SETGROUPS, 0, 0, 0);
            if (r == 0) {
                r = HostCalls.call(HostCalls.NR_SETRESGID, gid, gid, gid);
            }
            if (r == 0) {
                r = HostCalls.call(HostCalls.NR_SETRESUID, uid, uid, uid);
            }
        }
        if (r != 0) {
            tracer.killAll(Termination.ENGINE_ERROR, "path serving: cannot take the program's view of its files (errno " + -r + ")");
            return false;
        }
        return true;
    }

    private void serveOne() {
        nsTgid = -1;
        nsTid = -1;
        HostCalls.close(memFile);
        memFile = -1;
        int nr = listener.nr();
        tracer.servedAgain(listener.tid());
        memory.of(listener.tid());
        ExecServing exec = nr == ExecServing.MARKER ? tracer.execServing() : null;
        ExecChoice choice = exec == null ? null : exec.plan(listener.tid());
        String name = SyscallTable.nameOf(choice != null ? choice.nr : nr);
        calls.count(name);
        long result;
        try {
            // the tracer's hand-over of an execve or execveat; a program's own tuxcall is ENOSYS below
            result = choice != null ? Sentry.serveExec(choice, this) : Sentry.serve(nr, this);
        } catch (SentryFault e) {
            tracer.killAll(Termination.ENGINE_ERROR, e.getMessage());
            result = Errno.EIO.negated();
        } catch (RuntimeException e) {
            // the sandbox is ending (OutOfTaskMemory, TaskStopped): the task is gone or going
            result = Errno.EINTR.negated();
        } catch (Error e) {
            tracer.killAll(Termination.ENGINE_ERROR, "Sentry fault in " + name + ": " + e);
            result = Errno.EIO.negated();
        }
        if (trace != null) {
            String outcome = result == Handler.ANSWERED ? "-> answered by the Sentry (a descriptor installed, or handed off)"
                    : result == Handler.RUN_NATIVELY ? "-> checked, kernel runs it"
                    : "= " + (result < 0 && result > -4096 ? "-" + Errno.nameOf((int) -result) : Long.toString(result));
            trace.accept("[" + tid() + "] " + name + "(0x" + Long.toHexString(listener.arg(0)) + ", 0x"
                    + Long.toHexString(listener.arg(1)) + ", 0x" + Long.toHexString(listener.arg(2)) + ") " + outcome + " (served)");
        }
        if (result == Handler.ANSWERED) {
            return;
        }
        if (result == Handler.RUN_NATIVELY) {
            listener.continueCall();
            return;
        }
        if (result == Errno.ERESTARTSYS.negated()) {
            tracer.interruptedBySentry(listener.tid());
        }
        if (result < 0 && result > -4096) {
            listener.answer(0, (int) result);
        } else {
            listener.answer(result, 0);
        }
    }

    // ------------------------------------------------------------------ HostTask

    @Override
    public int hostTid() {
        return listener.tid();
    }

    @Override
    public int hostProc() {
        return procFd;
    }

    @Override
    public int sandboxRoot() {
        return Rootless.ACTIVE ? rootFd : -1;
    }

    @Override
    public int idInSandbox(int hostId, boolean group) {
        return Rootless.ACTIVE ? Rootless.inSandbox(hostId, group) : hostId;
    }

    @Override
    public int idOnHost(int id, boolean group) {
        return Rootless.ACTIVE ? Rootless.onHost(id, group) : id;
    }

    @Override
    public NativeScratch scratch() {
        return scratch;
    }

    @Override
    public boolean stillValid() {
        return listener.stillValid();
    }

    @Override
    public long install(int fd, boolean cloexec) {
        int r = listener.installAndAnswer(fd, cloexec);
        return r < 0 ? r : Handler.ANSWERED;
    }

    @Override
    public long addDescriptor(int fd, boolean cloexec) {
        return listener.addFd(fd, cloexec);
    }

    @Override
    public long takeDescriptor(int fd) {
        long r = duplicateOf(listener.tid(), fd, PIDFD_THREAD);
        // a kernel before 6.9 has no thread pidfds: the thread-group leader's table then
        return r == Errno.EINVAL.negated() ? duplicateOf(listener.tid(), fd, 0) : r;
    }

    @Override
    public long takeOwnDescriptor(int fd) {
        long r = takeDescriptor(fd);
        if (r != Errno.EPERM.negated()) {
            return r;
        }
        int tid = listener.tid();
        long id = listener.id();
        return onTracersThread(() -> {
            long pidfd = HostCalls.call(SyscallNr.PIDFD_OPEN, tid, PIDFD_THREAD, 0);
            pidfd = pidfd == Errno.EINVAL.negated() ? HostCalls.call(SyscallNr.PIDFD_OPEN, tid, 0, 0) : pidfd;
            if (pidfd < 0) {
                return pidfd;
            }
            try {
                // the pidfd names the task that still waits: the call's own, whose descriptor it takes
                return listener.stillValid(id) ? HostCalls.call(SyscallNr.PIDFD_GETFD, pidfd, fd, 0) : Errno.ESRCH.negated();
            } finally {
                HostCalls.close(pidfd);
            }
        });
    }

    @Override
    public long copy(boolean toTask, long iov, long local, long remote, long len) {
        long r = HostCalls.copy(listener.tid(), toTask, iov, local, remote, len);
        if (r != Errno.EPERM.negated()) {
            return r;
        }
        if (memFile < 0) {
            byte[] name = (listener.tid() + "/mem").getBytes(StandardCharsets.US_ASCII);
            long id = listener.id();
            memFile = onTracersThread(() -> {
                try (NativeScratch s = new NativeScratch(name.length + 1)) {
                    s.write(0, name, 0, name.length);
                    s.putByte(name.length, (byte) 0);
                    long fd = HostCalls.call(HostCalls.NR_OPENAT, procFd, s.at(0), 2 | 02000000, 0); // O_RDWR | O_CLOEXEC
                    if (fd >= 0 && !listener.stillValid(id)) {
                        HostCalls.close(fd); // opened after the task was gone: perhaps another process's
                        return Errno.ESRCH.negated();
                    }
                    return fd;
                }
            });
            if (memFile < 0) {
                long e = memFile;
                memFile = -1;
                return e;
            }
        }
        return HostCalls.call(toTask ? NR_PWRITE64 : NR_PREAD64, memFile, local, len, remote);
    }

    private static final int NR_PREAD64 = 17, NR_PWRITE64 = 18;

    private long onTracersThread(java.util.concurrent.Callable<Long> work) {
        try {
            FutureTask<Long> task = new FutureTask<>(work);
            forTracer.add(task);
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Errno.EINTR.negated();
        } catch (ExecutionException e) {
            return Errno.EPERM.negated();
        }
    }

    /** A duplicate of descriptor {@code fd} of task {@code tid} (pidfd_getfd: the same open file), or -errno. */
    private static long duplicateOf(int tid, long fd, int pidfdFlags) {
        long pidfd = HostCalls.call(SyscallNr.PIDFD_OPEN, tid, pidfdFlags, 0);
        if (pidfd < 0) {
            return pidfd;
        }
        try {
            return HostCalls.call(SyscallNr.PIDFD_GETFD, pidfd, fd, 0);
        } finally {
            HostCalls.close(pidfd);
        }
    }

    /** Threads waiting for a handed-off call; a new one is started when none is. */
    private final SynchronousQueue<Waiting> idleWaiters = new SynchronousQueue<>();

    @Override
    public long handOff(LongSupplier work) {
        Waiting call = new Waiting(listener, listener.id(), work, tracer, listener.tid());
        if (!idleWaiters.offer(call)) {
            // started from this thread, it has this thread's root and identity (clone copies both)
            Thread w = new Thread(new Waiter(idleWaiters, call), "palisade-paths-wait-" + tracer.initPid());
            w.setDaemon(true);
            w.start();
        }
        return Handler.ANSWERED;
    }

    @Override
    public java.util.function.BooleanSupplier waitingCheck() {
        long id = listener.id();
        return () -> listener.stillValid(id);
    }

    /** A handed-off call: carried out, then answered by its id. */
    private record Waiting(SeccompListener listener, long id, LongSupplier work, Tracer tracer, int tid) {
        void run() {
            long r;
            try {
                r = work.getAsLong();
            } catch (RuntimeException e) {
                r = Errno.EIO.negated(); // never leave the caller waiting for an answer that does not come
            }
            if (r == Errno.ERESTARTSYS.negated()) {
                tracer.interruptedBySentry(tid);
            }
            if (r < 0 && r > -4096) {
                listener.answerFrom(id, 0, (int) r);
            } else {
                listener.answerFrom(id, r, 0);
            }
        }
    }

    /**
     * A thread for calls that wait on a peer: a working directory of its own first (the calls
     * change it for a relative path), then the calls handed to it, until none came for a while.
     */
    private record Waiter(SynchronousQueue<Waiting> queue, Waiting first) implements Runnable {
        @Override
        public void run() {
            if (HostCalls.call(HostCalls.NR_UNSHARE, HostCalls.CLONE_FS, 0, 0) != 0) {
                first.listener().answerFrom(first.id(), 0, (int) Errno.EAGAIN.negated());
                return;
            }
            try {
                for (Waiting w = first; w != null; w = queue.poll(30, TimeUnit.SECONDS)) {
                    w.run();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public long fileSizeLimit() {
        long r = HostCalls.call(HostCalls.NR_PRLIMIT64, listener.tid(), 1, 0, limitScratch.at(0)); // RLIMIT_FSIZE
        long soft = r < 0 ? -1 : limitScratch.getLong(0);
        return soft < 0 ? Long.MAX_VALUE : soft;
    }

    @Override
    public int nsTgid() {
        if (nsTgid < 0) {
            readNsIds();
        }
        return nsTgid;
    }

    @Override
    public int nsTid() {
        if (nsTid < 0) {
            readNsIds();
        }
        return nsTid;
    }

    /** The calling task's ids in the sandbox's pid space. */
    private void readNsIds() {
        int[] ids = calls.pids().ids(procFd, listener.tid());
        nsTid = ids[0];
        nsTgid = ids[1];
    }

    @Override
    public int hostTidOf(int pid) {
        return pid == 0 ? listener.tid() : calls.pids().hostTid(procFd, pid);
    }

    @Override
    public int[] sandboxTasks() {
        return calls.pids().hostTids();
    }

    @Override
    public int[] nsStatus(int hostTid) {
        return calls.pids().status(procFd, hostTid);
    }

    @Override
    public String hostStatus(int hostTid) {
        byte[] b = calls.pids().read(procFd, hostTid, "status");
        return b == null ? null : new String(b, StandardCharsets.ISO_8859_1);
    }

    @Override
    public int lastCpu() {
        return calls.pids().lastCpu(procFd, listener.tid());
    }

    @Override
    public int[] sandboxCpus() {
        return cpus.clone();
    }

    @Override
    public boolean onOneCpuForNow() {
        return tracer.placement().onHomeCpu();
    }

    @Override
    public void spreadOverSandboxCpus() {
        tracer.spreadNow();
    }

    // ------------------------------------------------------------------ SyscallContext

    @Override
    public HostTask hostTask() {
        return this;
    }

    @Override
    public long arg(int i) {
        return listener.arg(i);
    }

    @Override
    public int pid() {
        return nsTgid();
    }

    @Override
    public int tid() {
        return nsTid();
    }

    @Override
    public int ppid() {
        throw new IllegalStateException("a served path call does not ask for its parent");
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
        return calls.taskCount();
    }

    @Override
    public int maxTasks() {
        return calls.maxTasks();
    }

    @Override
    public long memoryLimit() {
        return calls.memoryLimit();
    }

    @Override
    public long uptimeNanos() {
        return System.nanoTime() - startNanos;
    }

    @Override
    public TaskMemory memory() {
        return memory;
    }

    /** Served calls are answered with their errno; none is a refusal of policy to record. */
    @Override
    public long refuse(Errno errno, String detail) {
        return errno.negated();
    }
}
