package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.net.Loopback;

/**
 * What a handler sees of one trapped call: its arguments (from registers, never re-read), the
 * caller's identity in the sandbox, its memory, and — where the Sentry holds the process (KVM)
 * — the virtual process and the task's controls. Platforms implement it; handlers are
 * platform-independent. The methods with a default are those only a Sentry-held process
 * answers; reaching one elsewhere is a Sentry fault.
 */
public interface SyscallContext {

    /** Argument {@code i} (0..5) as the registers held it at the stop. */
    long arg(int i);

    /** The caller's process id in the sandbox's pid space. */
    int pid();

    /** The caller's thread id in the sandbox's pid space. */
    int tid();

    /** The caller's parent in the sandbox's pid space; 0 for the sandbox's first process. */
    int ppid();

    int uid();

    int gid();

    /** Tasks (processes and threads) alive in the sandbox. */
    int taskCount();

    /** The most tasks the sandbox may have; 0 for no limit. */
    int maxTasks();

    /** Memory limit in bytes; 0 for none. */
    long memoryLimit();

    /** Bytes of memory the sandbox uses now; -1 when the platform does not know it at a call. */
    default long memoryUsed() {
        return -1;
    }

    /** Nanoseconds since the sandbox started. */
    long uptimeNanos();

    /** The caller's memory. */
    TaskMemory memory();

    /** Writes {@code data} at {@code address} of the caller; false when the address is not writable. */
    default boolean write(long address, byte[] data) {
        try {
            memory().write(address, data);
            return true;
        } catch (BadAddress e) {
            return false;
        }
    }

    /** Records this call as refused (a security event) and returns the negated errno for rax. */
    long refuse(Errno errno, String detail);

    /** Tasks that will appear because of clone calls let through but not yet reported. */
    default int pendingTasks() {
        return 0;
    }

    /** The virtual process: descriptors, memory map, cwd, signal dispositions. */
    default VirtualProcess process() {
        throw new IllegalStateException("the host kernel keeps this process");
    }

    default Limits limits() {
        throw new IllegalStateException("the host kernel keeps this process");
    }

    /** CPU time the task has used, the Sentry's time on its behalf included. */
    default long cpuNanos() {
        throw new IllegalStateException("the host kernel keeps this process");
    }

    /**
     * CLOCK_REALTIME ({@code realtime}) or CLOCK_MONOTONIC in ns. A platform whose programs also
     * read the time without the Sentry (KVM's vDSO) answers from that same source, so that a
     * program mixing the two never sees its clock go back.
     */
    default long clockNanos(boolean realtime) {
        return realtime ? SysTime.realtimeNanos() : System.nanoTime();
    }

    /** Whether the sandbox is ending (a limit, a kill): blocking handlers return EINTR. */
    default boolean aborted() {
        throw new IllegalStateException("the host kernel keeps this process");
    }

    /**
     * What a call blocked on a file or a child looks at while it waits: a signal for the calling
     * thread or the sandbox's end interrupts it (the call then says ERESTARTSYS or EINTR).
     */
    default dev.palisade.sandbox.sentry.vfs.Interruption interruption() {
        throw new IllegalStateException("the host kernel keeps this process");
    }

    /** Ends the sandbox (exit_group, a fatal signal, a limit); the first reason wins. */
    default void end(Termination t, int exitCode, int signal, String message) {
        throw new IllegalStateException("the host kernel keeps this process");
    }

    /** The task of a call served on the host's files (ptrace's path calls). */
    default HostTask hostTask() {
        throw new IllegalStateException("not a call served on the host's files");
    }

    /** The sandbox's own network. */
    default Loopback loopback() {
        throw new IllegalStateException("the host kernel keeps this process");
    }

    /** The task's FS segment base (thread pointer). */
    default long fsBase() {
        throw new IllegalStateException("the host kernel keeps this process");
    }

    default void setFsBase(long base) {
        throw new IllegalStateException("the host kernel keeps this process");
    }

    /**
     * The task's general registers as it will resume after this call, in {@code struct kvm_regs}
     * order (rax rbx rcx rdx rsi rdi rsp rbp r8–r15 rip rflags): rip is the return address.
     */
    default long[] userRegisters() {
        throw new IllegalStateException("the host kernel keeps this process");
    }

    /** Resumes the task with {@code regs} (as {@link #userRegisters()}) instead of returning from the call. */
    default void resumeWith(long[] regs) {
        throw new IllegalStateException("the host kernel keeps this process");
    }

    /** The task's FPU/SSE/AVX state as an XSAVE image (standard format). */
    default byte[] fpuState() {
        throw new IllegalStateException("the host kernel keeps this process");
    }

    /** Loads an XSAVE image into the task; false when it is invalid. */
    default boolean restoreFpuState(byte[] image) {
        throw new IllegalStateException("the host kernel keeps this process");
    }

    /**
     * Creates a child process that is a copy of the caller (fork, clone without CLONE_VM):
     * returns the child's pid, a negated errno, or {@link Handler#RUN_NATIVELY} where the host
     * kernel forks (ptrace).
     */
    default long forkProcess(long cloneFlags) {
        return Handler.RUN_NATIVELY;
    }

    /**
     * Replaces the caller's program (execve) with {@code path} resolved in the sandbox; returns
     * only when it cannot (a negated errno). Only where the Sentry keeps the process.
     */
    default long execProgram(String path, java.util.List<String> argv, java.util.List<String> envp) {
        throw new IllegalStateException("the host kernel keeps this process");
    }

    /** waitid's idtypes, which {@link #waitChild} takes. */
    int P_ALL = 0, P_PID = 1, P_PGID = 2;

    /**
     * Waits for a child matching {@code idtype} and {@code id} (as waitid: P_ALL any, P_PID that
     * pid, P_PGID any in that group) to end: {pid, wait status}, {0, 0} with WNOHANG and none
     * ended, or {negated errno}. {@code reap} false (WNOWAIT) leaves the child waitable.
     */
    default long[] waitChild(int idtype, int id, boolean noHang, boolean reap) {
        throw new IllegalStateException("the host kernel keeps this process");
    }

    /** The pids of the sandbox's live processes (not threads), for the process group and session calls. */
    default int[] processIds() {
        return new int[0];
    }

    /**
     * Whether a process of the sandbox that ended and was not yet waited for (a zombie, which
     * kill still reaches) is {@code pid} (&gt; 0), is in group {@code pgid} (&gt; 0), or exists at all (pid -1).
     */
    default boolean zombie(int pid, int pgid) {
        return false;
    }

    /** The parent of live process {@code pid} in the sandbox's pid space (0 for the first one). */
    default int parentOf(int pid) {
        return 0;
    }

    /** Whether the Sentry keeps the caller's threads ({@link #thread()}); where not (ptrace), the host kernel does. */
    default boolean keepsThreads() {
        return false;
    }

    /** The calling thread where the Sentry keeps it (KVM): mask, tid, tid address. */
    default VirtualThread thread() {
        throw new IllegalStateException("the host kernel keeps this thread");
    }

    /** Another thread of the caller's process by tid, or null (ESRCH). */
    default VirtualThread threadOf(int tid) {
        return null;
    }

    /** Another live process of the sandbox by pid, for kill(2); null when there is none (ESRCH). */
    default VirtualProcess processOf(int pid) {
        return null;
    }

    /** Ends another process of the sandbox by a signal no program can catch or ignore (SIGKILL). */
    default void killProcess(int pid, int sig) {
    }

    /** A signal for the whole process was made pending: wake a thread that does not block it to take it. */
    default void processSignalled(int sig) {
    }

    /** Ends the calling thread only (exit(2)); the process ends with its last thread. */
    default void exitThread(int code) {
        end(Termination.EXITED, code, 0, "exited with code " + code);
    }
}
