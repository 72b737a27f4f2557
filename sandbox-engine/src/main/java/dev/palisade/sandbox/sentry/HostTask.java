package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.nativeinterop.NativeScratch;

/**
 * What a served call sees of its task where the host kernel keeps the process (ptrace):
 * the task's host thread id (for its memory and its {@code /proc} entries, reached only through
 * {@link #hostProc}), the serving thread's scratch memory, the check that the call still waits,
 * the installation of a descriptor as the call's answer, and the other tasks of the sandbox by
 * pid (for the calls that name one). The serving thread's root is the
 * sandbox's root and its identity the program's, so every {@code *at} call it makes resolves as
 * the program's own would, inside the sandbox; rootless, where it cannot chroot, the Sentry starts
 * each lookup from {@link #sandboxRoot} instead.
 */
public interface HostTask {

    /** The calling thread in the host's pid space. */
    int hostTid();

    /** An {@code O_PATH} descriptor of the host's {@code /proc}, held by the Sentry. */
    int hostProc();

    /**
     * Where the serving thread's root is not the sandbox's (rootless: no chroot without root), an
     * {@code O_PATH} descriptor of the sandbox's root, from which the Sentry starts every lookup;
     * -1 where it is (as root).
     */
    int sandboxRoot();

    /**
     * The sandbox's uid or gid ({@code group}) for host id {@code hostId}, which the Sentry's own
     * calls see (stat): the same as root; rootless, as the sandbox's user namespace shows it.
     */
    int idInSandbox(int hostId, boolean group);

    /**
     * The host's uid or gid ({@code group}) for the sandbox's {@code id}, which the Sentry passes
     * on (chown): the same as root; rootless, -1 where the sandbox's user namespace has no mapping for it.
     */
    int idOnHost(int id, boolean group);

    /** The serving thread's scratch memory. */
    NativeScratch scratch();

    /** Whether the call still waits for its answer: what was read from the task's memory since is the task's. */
    boolean stillValid();

    /**
     * Installs a duplicate of the Sentry's descriptor {@code fd} in the task and answers the call
     * with its number; returns {@link Handler#ANSWERED}, or a negated errno when the kernel refused.
     */
    long install(int fd, boolean cloexec);

    /**
     * Installs a duplicate of the Sentry's descriptor {@code fd} in the task without answering the
     * call (which the handler then answers with its result): the number in the task, or a negated
     * errno when the kernel refused (EMFILE at the task's limit).
     */
    long addDescriptor(int fd, boolean cloexec);

    /**
     * A duplicate of the calling thread's descriptor {@code fd}, the same open file (pidfd_getfd),
     * which the Sentry closes after use; or a negated errno ({@code EBADF}: no such descriptor).
     */
    long takeDescriptor(int fd);

    /**
     * As {@link #takeDescriptor}, and for a program that made itself not dumpable (which lends
     * the program's identity nothing) taken with the tracer's credentials: only the calling
     * task's own descriptor, kept only when the call still waits afterwards.
     */
    long takeOwnDescriptor(int fd);

    /**
     * Copies {@code len} bytes between the Sentry's {@code local} and the calling task's
     * {@code remote} (as {@link dev.palisade.sandbox.nativeinterop.HostCalls#copy}, {@code iov}
     * its 32 bytes), on the serving thread during the call; for a program that made itself not
     * dumpable through its memory file opened with the tracer's credentials. The count moved, or -errno.
     */
    long copy(boolean toTask, long iov, long local, long remote, long len);

    /**
     * Carries out {@code work} on another thread of the Sentry, which has this thread's root and
     * identity and a working directory of its own, and answers the call with its result (a value
     * or a negated errno) when it ends: for a call that waits as long as a peer makes it (a
     * blocking connect to a full backlog), so that the other calls are still served meanwhile.
     * Returns {@link Handler#ANSWERED}.
     */
    long handOff(java.util.function.LongSupplier work);

    /**
     * Whether this call still waits for its answer, asked from another thread while it is handed
     * off ({@link #handOff}): false once the caller was killed.
     */
    java.util.function.BooleanSupplier waitingCheck();

    /** The calling task's soft RLIMIT_FSIZE in bytes (Long.MAX_VALUE for none): the Sentry's own writes keep to it. */
    long fileSizeLimit();

    /** The calling task's process id in the sandbox's pid space. */
    int nsTgid();

    /** The calling task's thread id in the sandbox's pid space. */
    int nsTid();

    /**
     * The host tid of the sandbox's task {@code pid} (a process or a thread of the sandbox's pid
     * space; 0: the caller), or -1 when the sandbox has no such task: never a task outside it.
     */
    int hostTidOf(int pid);

    /** The host tids of the sandbox's live tasks, threads included. */
    int[] sandboxTasks();

    /**
     * Host task {@code hostTid}'s {tid, tgid, pgid, sid} in the sandbox's pid space (0 for a
     * group or session whose leader has no pid there, as Linux answers), then its host {tid, pgid};
     * null when it is gone.
     */
    int[] nsStatus(int hostTid);

    /** Host task {@code hostTid}'s {@code /proc} status as the host writes it; null when it is gone. */
    String hostStatus(int hostTid);

    /** The CPUs the sandbox runs on, as the host numbers them. */
    int[] sandboxCpus();

    /**
     * Whether the platform holds the sandbox to one of its CPUs for now (a placement the program
     * is not told of: its affinity is still all of {@link #sandboxCpus}).
     */
    boolean onOneCpuForNow();

    /** Lets the sandbox run on all its CPUs from now on (before the program sets an affinity of its own). */
    void spreadOverSandboxCpus();

    /** The CPU the calling thread last ran on, as the host numbers it; -1 when it is gone. */
    int lastCpu();
}
