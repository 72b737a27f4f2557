package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.abi.Errno;

import java.nio.charset.StandardCharsets;

/**
 * The task itself where the Sentry keeps it: exit (a thread or the whole process), futex,
 * thread pointer, tid address, robust list, prctl, scheduling. Process and thread creation
 * ({@link SysProcess}) go through the platform.
 */
final class SysThread {
    private static final int FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4,
            FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10, FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;
    private static final int ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003;
    private static final int PR_SET_NAME = 15, PR_GET_NAME = 16, PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39;

    private SysThread() {
    }

    /** Exit_group implements Linux syscall exit_group(2): every thread of the process ends. */
    static long exitGroup(SyscallContext c) {
        int code = (int) (c.arg(0) & 0xff);
        // as Linux's exit of each thread: a robust mutex in memory another process shares is marked and a waiter woken
        c.process().futexes.releaseRobustList(c, c.thread());
        c.end(Termination.EXITED, code, 0, "exited with code " + code);
        return 0;
    }

    /**
     * Exit implements Linux syscall exit(2): the calling thread ends, after marking the robust
     * mutexes it holds as their owner dead and writing 0 to its tid address and waking one
     * waiter there (how pthread_join learns of it); the last thread's exit ends the process.
     */
    static long exit(SyscallContext c) {
        c.process().futexes.releaseRobustList(c, c.thread());
        long at = c.thread().clearChildTid;
        if (at != 0) {
            try {
                c.memory().writeInt(at, 0);
            } catch (BadAddress ignored) {
                // as Linux: an unwritable tid address is skipped
            }
            c.process().futexes.wake(at, 1, -1);
        }
        c.exitThread((int) (c.arg(0) & 0xff));
        return 0;
    }

    /**
     * Futex implements Linux syscall futex(2): WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAIT_BITSET and
     * WAKE_BITSET, private or shared, with timeouts; the queues are the process's
     * ({@link Futexes}). The priority-inheritance and WAKE_OP operations are ENOSYS.
     */
    static long futex(SyscallContext c) {
        long uaddr = c.arg(0), val = c.arg(2), timeout = c.arg(3), uaddr2 = c.arg(4), val3 = c.arg(5);
        int op = (int) c.arg(1);
        int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
        boolean realtime = (op & FUTEX_CLOCK_REALTIME) != 0;
        boolean shared = (op & FUTEX_PRIVATE_FLAG) == 0;
        if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT) {
            // FUTEX_WAIT's timeout is read first; the clock check then refuses it below
            return Errno.ENOSYS.negated();
        }
        Futexes f = c.process().futexes;
        switch (cmd) {
            case FUTEX_WAIT, FUTEX_WAIT_BITSET -> {
                int bitset = cmd == FUTEX_WAIT ? -1 : (int) val3;
                if (bitset == 0) {
                    return Errno.EINVAL.negated();
                }
                long deadline = Long.MAX_VALUE;
                if (timeout != 0) {
                    long sec = c.memory().readLong(timeout), nsec = c.memory().readLong(timeout + 8);
                    if (sec < 0 || nsec < 0 || nsec >= 1_000_000_000L) {
                        return Errno.EINVAL.negated();
                    }
                    deadline = deadline(cmd == FUTEX_WAIT, realtime, sec, nsec);
                }
                if (realtime && cmd == FUTEX_WAIT) {
                    return Errno.ENOSYS.negated();
                }
                if ((uaddr & 3) != 0) {
                    return Errno.EINVAL.negated();
                }
                if (shared) {
                    sharedKey(c, uaddr);
                    long key = c.process().mem.sharedFutexKey(uaddr);
                    if (key >= 0) {   // memory other processes map: their queues, by the word's place in it
                        return c.process().mem.sharedFutexes().await(c, c.thread(), uaddr, key, (int) val, bitset, deadline);
                    }
                }
                return f.await(c, c.thread(), uaddr, (int) val, bitset, deadline);
            }
            case FUTEX_WAKE, FUTEX_WAKE_BITSET -> {
                int bitset = cmd == FUTEX_WAKE ? -1 : (int) val3;
                if (bitset == 0 || (uaddr & 3) != 0) {
                    return Errno.EINVAL.negated();
                }
                if (!SysArgs.userRange(uaddr, 4)) {
                    return Errno.EFAULT.negated();
                }
                if (shared) {
                    sharedKey(c, uaddr);
                    long key = c.process().mem.sharedFutexKey(uaddr);
                    if (key >= 0) {
                        return c.process().mem.sharedFutexes().wake(key, (int) val, bitset);
                    }
                }
                return f.wake(uaddr, (int) val, bitset);
            }
            case FUTEX_REQUEUE, FUTEX_CMP_REQUEUE -> {
                int wake = (int) val, requeue = (int) timeout;   // val2 travels in the timeout argument
                if (wake < 0 || requeue < 0) {
                    return Errno.EINVAL.negated();
                }
                if ((uaddr & 3) != 0 || (uaddr2 & 3) != 0) {
                    return Errno.EINVAL.negated();
                }
                if (!SysArgs.userRange(uaddr, 4) || !SysArgs.userRange(uaddr2, 4)) {
                    return Errno.EFAULT.negated();
                }
                if (shared) {
                    sharedKey(c, uaddr);
                    sharedKey(c, uaddr2);
                    long key = c.process().mem.sharedFutexKey(uaddr), key2 = c.process().mem.sharedFutexKey(uaddr2);
                    if (key >= 0 && key2 >= 0) {
                        return c.process().mem.sharedFutexes().requeue(c, uaddr, key, key2, wake, requeue, cmd == FUTEX_CMP_REQUEUE, (int) val3);
                    }
                }
                return f.requeue(c, uaddr, uaddr2, wake, requeue, cmd == FUTEX_CMP_REQUEUE, (int) val3);
            }
            default -> {
                return Errno.ENOSYS.negated();
            }
        }
    }

    /**
     * The checks Linux's key of a shared futex makes: the page must be there, and — when the
     * memory is private anonymous or a private copy of a file — writable ("a read-only anonymous
     * page will never change"): else EFAULT. Shared memory may be read-only in this process and
     * written by another. A private futex's key is just the address.
     */
    private static void sharedKey(SyscallContext c, long uaddr) {
        int prot = c.process().mem.protOf(uaddr);
        if (prot < 0 || (prot & AddressSpace.PROT_READ) == 0
                || ((prot & AddressSpace.PROT_WRITE) == 0 && !c.process().mem.isShared(uaddr))) {
            throw new BadAddress(uaddr);
        }
    }

    /**
     * The deadline on {@link System#nanoTime}'s scale of a futex timeout: relative for
     * FUTEX_WAIT, absolute on CLOCK_MONOTONIC (the Sentry's is nanoTime) or CLOCK_REALTIME for
     * FUTEX_WAIT_BITSET. Saturates instead of overflowing.
     */
    private static long deadline(boolean relative, boolean realtime, long sec, long nsec) {
        long now = System.nanoTime();
        long ns = sec > Long.MAX_VALUE / 1_000_000_000L - 1 ? Long.MAX_VALUE : sec * 1_000_000_000L + nsec;
        if (relative) {
            return ns > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + ns;
        }
        if (realtime) {
            java.time.Instant t = java.time.Instant.now();
            long wallNow = t.getEpochSecond() * 1_000_000_000L + t.getNano();
            long left = ns - wallNow;
            return left > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + left;
        }
        return ns;
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

    /** Set_tid_address implements Linux syscall set_tid_address(2): where the thread's exit clears and wakes; its tid. */
    static long setTidAddress(SyscallContext c) {
        c.thread().clearChildTid = c.arg(0);
        return c.tid();
    }

    /** Set_robust_list implements Linux syscall set_robust_list(2): the list is walked at the thread's exit. */
    static long setRobustList(SyscallContext c) {
        if (c.arg(1) != 24) {
            return Errno.EINVAL.negated();
        }
        c.thread().robustList = c.arg(0);
        return 0;
    }

    /**
     * Get_robust_list implements Linux syscall get_robust_list(2): a thread of the caller's
     * process (0: itself). Where the host kernel keeps the threads and their lists (ptrace), it is
     * refused as a kernel whose futexes have no robust lists answers (ENOSYS): only debuggers and
     * checkpointers ask, and they take that answer as "not supported".
     */
    static long getRobustList(SyscallContext c) {
        if (!c.keepsThreads()) {
            return c.refuse(Errno.ENOSYS, "robust lists are the host kernel's on this platform");
        }
        long pid = c.arg(0);
        VirtualThread t = pid == 0 || pid == c.tid() ? c.thread() : pid == (int) pid ? c.threadOf((int) pid) : null;
        if (t == null) {
            return Errno.ESRCH.negated();
        }
        c.memory().writeLong(c.arg(1), t.robustList);
        c.memory().writeLong(c.arg(2), 24);
        return 0;
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

    /** Getcpu implements Linux syscall getcpu(2): CPU 0 (the first the sandbox shows in sched_getaffinity), node 0. */
    static long getcpu(SyscallContext c) {
        if (c.arg(0) != 0) {
            c.memory().writeInt(c.arg(0), 0);
        }
        if (c.arg(1) != 0) {
            c.memory().writeInt(c.arg(1), 0);
        }
        return 0;
    }

    /**
     * Sched_getaffinity implements Linux syscall sched_getaffinity(2): the CPUs the program's
     * threads (vCPUs on host threads) can run on — the engine's, and no more whole CPUs than a
     * CPU rate allows (as a runtime reads a cgroup's quota), at most 64.
     */
    static long schedGetaffinity(SyscallContext c) {
        long len = c.arg(1);
        if (len < 8 || (len & 7) != 0) {
            return Errno.EINVAL.negated();
        }
        int cpus = Math.min(64, Runtime.getRuntime().availableProcessors());
        long milli = c.limits().cpuMillicores();
        if (milli > 0) {
            cpus = (int) Math.max(1, Math.min(cpus, (milli + 999) / 1000));
        }
        c.memory().writeLong(c.arg(2), cpus == 64 ? -1L : (1L << cpus) - 1);
        return 8;
    }
}
