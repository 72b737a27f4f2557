package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;

/**
 * Process creation: checked on registers only, then run by the kernel. clone's flags are an
 * argument register, so the check cannot be raced by another thread (clone3 keeps its flags in
 * memory and is therefore denied by the table).
 */
final class SysProcess {

    /** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME. */
    static final long CLONE_NEW_ANY = 0x00020000L | 0x02000000L | 0x04000000L | 0x08000000L
            | 0x10000000L | 0x20000000L | 0x40000000L | 0x00000080L;

    /** CLONE_UNTRACED: a child the tracer would not follow (it would run unrecorded and uncounted). */
    static final long CLONE_UNTRACED = 0x00800000L;

    private SysProcess() {
    }

    /** Clone implements Linux syscall clone(2): no new namespaces, no untraced child, and the process limit. */
    static long clone(SyscallContext c) {
        long flags = c.arg(0);
        if ((flags & CLONE_NEW_ANY) != 0) {
            return c.refuse(Errno.EPERM, "clone flags 0x" + Long.toHexString(flags) + ": new namespaces are not offered");
        }
        if ((flags & CLONE_UNTRACED) != 0) {
            return c.refuse(Errno.EPERM, "clone flags 0x" + Long.toHexString(flags) + ": CLONE_UNTRACED is not offered");
        }
        return checkLimit(c);
    }

    /** Fork implements Linux syscall fork(2) (and vfork): the process limit. */
    static long fork(SyscallContext c) {
        return checkLimit(c);
    }

    private static long checkLimit(SyscallContext c) {
        if (c.maxTasks() > 0 && c.taskCount() + c.pendingTasks() >= c.maxTasks()) {
            return c.refuse(Errno.EAGAIN, "process limit " + c.maxTasks() + " reached");
        }
        return c.forkProcess(c.arg(0));   // ptrace: the kernel forks; KVM: the platform copies the process
    }

    /** The most bytes of argument and environment strings execve takes (Linux: a quarter of the stack limit). */
    private static final int ARG_MAX = 2 << 20;
    private static final int MAX_ARG_STRLEN = 128 << 10;
    private static final int MAX_ARG_STRINGS = 0x7fffffff / 8;

    /** Execve implements Linux syscall execve(2) where the Sentry keeps the process. */
    static long execve(SyscallContext c) throws dev.palisade.sandbox.sentry.vfs.FsError {
        String path = SysArgs.path(c.memory(), c.arg(0));
        int[] budget = {ARG_MAX};
        java.util.List<String> argv = strings(c, c.arg(1), budget);
        java.util.List<String> envp = strings(c, c.arg(2), budget);
        return c.execProgram(path, argv, envp);
    }

    /** A NULL-terminated array of strings (argv, envp): E2BIG past the budget, EFAULT for a bad pointer. */
    private static java.util.List<String> strings(SyscallContext c, long array, int[] budget)
            throws dev.palisade.sandbox.sentry.vfs.FsError {
        java.util.List<String> out = new java.util.ArrayList<>();
        if (array == 0) {
            return out;
        }
        for (long at = array; ; at += 8) {
            if (!SysArgs.userRange(at, 8)) {
                throw new dev.palisade.sandbox.sentry.vfs.FsError(Errno.EFAULT);
            }
            long p = c.memory().readLong(at);
            if (p == 0) {
                return out;
            }
            if (!SysArgs.userRange(p, 1) || out.size() >= MAX_ARG_STRINGS) {
                throw new dev.palisade.sandbox.sentry.vfs.FsError(Errno.EFAULT);
            }
            String s = c.memory().readCString(p, Math.min(MAX_ARG_STRLEN, budget[0]));
            if (s == null) {
                throw new dev.palisade.sandbox.sentry.vfs.FsError(Errno.E2BIG);
            }
            budget[0] -= s.length() + 1 + 8;
            if (budget[0] < 0) {
                throw new dev.palisade.sandbox.sentry.vfs.FsError(Errno.E2BIG);
            }
            out.add(s);
        }
    }

    private static final long WNOHANG = 1, WUNTRACED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000L,
            WALL = 0x40000000L, WCLONE = 0x80000000L, WNOTHREAD = 0x20000000L;
    private static final int P_PIDFD = 3;

    /**
     * Wait4 implements Linux syscall wait4(2) where the Sentry keeps the process: a child, any
     * (-1), one of the caller's group (0) or of group -pid; no stopped children, no rusage figures.
     */
    static long wait4(SyscallContext c) {
        long status = c.arg(1), options = c.arg(2), rusage = c.arg(3);
        int pid = (int) c.arg(0);   // a pid_t
        if ((options & ~(WNOHANG | WUNTRACED | WCONTINUED | WALL | WCLONE | WNOTHREAD)) != 0) {
            return Errno.EINVAL.negated();
        }
        if (pid == Integer.MIN_VALUE) {
            return Errno.ESRCH.negated();   // as Linux: -INT_MIN names no group
        }
        long[] r = pid == -1 ? c.waitChild(SyscallContext.P_ALL, 0, (options & WNOHANG) != 0, true)
                : pid > 0 ? c.waitChild(SyscallContext.P_PID, pid, (options & WNOHANG) != 0, true)
                : c.waitChild(SyscallContext.P_PGID, pid == 0 ? c.process().pgid : -pid, (options & WNOHANG) != 0, true);
        if (r[0] <= 0) {
            return r[0];
        }
        if (status != 0) {
            c.memory().writeInt(status, (int) r[1]);
        }
        if (rusage != 0) {
            c.memory().write(rusage, new byte[144]);
        }
        return r[0];
    }

    /**
     * Waitid implements Linux syscall waitid(2) where the Sentry keeps the process: P_ALL, P_PID,
     * P_PGID (0: the caller's group); WEXITED with WNOHANG and WNOWAIT (no process is ever stopped
     * or continued here); the siginfo's si_code, si_pid, si_uid and si_status, zero when WNOHANG
     * finds none. No pidfd exists on this platform, so P_PIDFD is EBADF.
     */
    static long waitid(SyscallContext c) {
        int idtype = (int) c.arg(0), id = (int) c.arg(1);
        long infop = c.arg(2), options = c.arg(3), rusage = c.arg(4);
        if ((options & ~(WNOHANG | WNOWAIT | WEXITED | WUNTRACED | WCONTINUED | WNOTHREAD | WCLONE | WALL)) != 0
                || (options & (WEXITED | WUNTRACED | WCONTINUED)) == 0) {
            return Errno.EINVAL.negated();
        }
        int which;
        switch (idtype) {
            case SyscallContext.P_ALL -> which = SyscallContext.P_ALL;
            case SyscallContext.P_PID -> {
                if (id <= 0) {
                    return Errno.EINVAL.negated();
                }
                which = SyscallContext.P_PID;
            }
            case SyscallContext.P_PGID -> {
                if (id < 0) {
                    return Errno.EINVAL.negated();
                }
                which = SyscallContext.P_PGID;
                id = id == 0 ? c.process().pgid : id;
            }
            case P_PIDFD -> {
                return id < 0 ? Errno.EINVAL.negated() : Errno.EBADF.negated();
            }
            default -> {
                return Errno.EINVAL.negated();
            }
        }
        long[] r = (options & WEXITED) == 0 ? new long[] {(options & WNOHANG) != 0 ? 0 : Errno.ECHILD.negated()}
                : c.waitChild(which, id, (options & WNOHANG) != 0, (options & WNOWAIT) == 0);
        long err = r[0] < 0 ? r[0] : 0;
        if (r[0] > 0 && rusage != 0 && !c.write(rusage, new byte[144])) {
            return Errno.EFAULT.negated();
        }
        if (infop == 0) {
            return err;
        }
        // as Linux: the fields are written even for ECHILD or WNOHANG with none ended (as zero), after the reap
        java.nio.ByteBuffer info = java.nio.ByteBuffer.allocate(28).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (r[0] > 0) {
            int status = (int) r[1];
            info.putInt(0, dev.palisade.sandbox.abi.Signal.SIGCHLD).putInt(8, SignalFrame.childCode(status))
                    .putInt(16, (int) r[0]).putInt(20, c.uid()).putInt(24, SignalFrame.childStatus(status));
        }
        byte[] b = info.array();
        if (!SysArgs.userRange(infop, 128) || !c.write(infop, java.util.Arrays.copyOfRange(b, 0, 12))
                || !c.write(infop + 16, java.util.Arrays.copyOfRange(b, 16, 28))) {
            return Errno.EFAULT.negated();
        }
        return err;
    }

    private static final long PER_LINUX = 0, PERSONALITY_QUERY = 0xffffffffL;

    /**
     * Personality implements Linux syscall personality(2) for a sandbox whose persona is always
     * PER_LINUX: the query and setting PER_LINUX answer it; any other persona (READ_IMPLIES_EXEC
     * would make every readable mapping executable) is refused and recorded.
     */
    static long personality(SyscallContext c) {
        long persona = c.arg(0) & 0xffffffffL; // the kernel takes an unsigned int
        if (persona == PERSONALITY_QUERY || persona == PER_LINUX) {
            return PER_LINUX;
        }
        return c.refuse(Errno.EPERM, "personality 0x" + Long.toHexString(persona) + " is not PER_LINUX");
    }
}
