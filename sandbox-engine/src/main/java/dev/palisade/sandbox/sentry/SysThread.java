package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.abi.Errno;

import java.nio.charset.StandardCharsets;

/**
 * The task itself where the Sentry keeps it (one thread): exit, futex, thread pointer, prctl,
 * scheduling. Process creation ({@link SysProcess}) is ptrace's.
 */
final class SysThread {
    private static final int FUTEX_WAIT = 0, FUTEX_WAKE = 1;
    private static final int ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003;
    private static final int PR_SET_NAME = 15, PR_GET_NAME = 16, PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39;

    private SysThread() {
    }

    /** Exit implements Linux syscall exit(2) (and exit_group): one thread, so the sandbox ends. */
    static long exit(SyscallContext c) {
        int code = (int) (c.arg(0) & 0xff);
        c.end(Termination.EXITED, code, 0, "exited with code " + code);
        return 0;
    }

    /** Futex implements Linux syscall futex(2) for one thread: a wake wakes nobody, a wait never sleeps. */
    static long futex(SyscallContext c) {
        int cmd = (int) (c.arg(1) & 0x7f);
        return cmd == FUTEX_WAKE ? 0 : Errno.EAGAIN.negated();
    }

    /** Arch_prctl implements Linux syscall arch_prctl(2): ARCH_SET_FS and ARCH_GET_FS. */
    static long archPrctl(SyscallContext c) {
        long addr = c.arg(1);
        switch ((int) c.arg(0)) {
            case ARCH_SET_FS -> {
                if (!SysArgs.userRange(addr, 0)) {
                    return Errno.EPERM.negated();
                }
                c.setFsBase(addr);
                return 0;
            }
            case ARCH_GET_FS -> {
                c.memory().writeLong(addr, c.fsBase());
                return 0;
            }
            default -> {
                return Errno.EINVAL.negated();
            }
        }
    }

    /** Prctl implements Linux syscall prctl(2): the name and no_new_privs (always on). */
    static long prctl(SyscallContext c) {
        return switch ((int) c.arg(0)) {
            case PR_SET_NAME -> {
                // Linux copies at most 15 bytes up to a NUL: a longer name is cut, never read further
                String name = c.memory().readCString(c.arg(1), 16);
                c.process().setComm(name != null ? name
                        : new String(c.memory().read(c.arg(1), 15), StandardCharsets.UTF_8));
                yield 0;
            }
            case PR_GET_NAME -> {
                byte[] name = java.util.Arrays.copyOf(c.process().comm().getBytes(StandardCharsets.UTF_8), 16);   // NUL-padded, as Linux copies TASK_COMM_LEN
                c.memory().write(c.arg(1), name);
                yield 0;
            }
            case PR_SET_NO_NEW_PRIVS -> c.arg(1) == 1 ? 0 : Errno.EINVAL.negated();
            case PR_GET_NO_NEW_PRIVS -> 1;
            default -> Errno.EINVAL.negated();
        };
    }

    /** Set_tid_address implements Linux syscall set_tid_address(2): returns the caller's tid. */
    static long setTidAddress(SyscallContext c) {
        return c.tid();
    }

    /** Set_robust_list implements Linux syscall set_robust_list(2): one thread, nothing to clean up after. */
    static long setRobustList(SyscallContext c) {
        return c.arg(1) == 24 ? 0 : Errno.EINVAL.negated();
    }

    /** Sched_yield implements Linux syscall sched_yield(2). */
    static long schedYield(SyscallContext c) {
        return 0;
    }

    /** Scheduling policies with a static priority (1..99); the others have only 0. Others are EINVAL. */
    private static final int SCHED_OTHER = 0, SCHED_FIFO = 1, SCHED_RR = 2, SCHED_BATCH = 3, SCHED_IDLE = 5,
            SCHED_DEADLINE = 6;

    /** Sched_get_priority_max implements Linux syscall sched_get_priority_max(2). */
    static long schedGetPriorityMax(SyscallContext c) {
        return switch ((int) c.arg(0)) {
            case SCHED_FIFO, SCHED_RR -> 99;
            case SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE -> 0;
            default -> Errno.EINVAL.negated();
        };
    }

    /** Sched_get_priority_min implements Linux syscall sched_get_priority_min(2). */
    static long schedGetPriorityMin(SyscallContext c) {
        return switch ((int) c.arg(0)) {
            case SCHED_FIFO, SCHED_RR -> 1;
            case SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE -> 0;
            default -> Errno.EINVAL.negated();
        };
    }

    /** Sched_getaffinity implements Linux syscall sched_getaffinity(2): one CPU. */
    static long schedGetaffinity(SyscallContext c) {
        long len = c.arg(1);
        if (len < 8 || (len & 7) != 0) {
            return Errno.EINVAL.negated();
        }
        c.memory().writeLong(c.arg(2), 1);
        return 8;
    }
}
