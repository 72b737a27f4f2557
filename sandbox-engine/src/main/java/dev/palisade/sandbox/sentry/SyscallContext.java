package dev.palisade.sandbox.sentry;

/**
 * What a handler sees of one trapped call: its arguments (from registers, never re-read), the
 * caller's identity in the sandbox, and a way to write results into the caller's memory.
 * Platforms implement it; handlers are platform-independent.
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

    /** Nanoseconds since the sandbox started. */
    long uptimeNanos();

    /** Writes {@code data} at {@code address} of the caller; false when the address is not writable. */
    boolean write(long address, byte[] data);

    /** Records this call as refused (a security event) and returns the negated errno for rax. */
    long refuse(dev.palisade.sandbox.abi.Errno errno, String detail);

    /** Tasks that will appear because of clone calls let through but not yet reported. */
    default int pendingTasks() {
        return 0;
    }
}
