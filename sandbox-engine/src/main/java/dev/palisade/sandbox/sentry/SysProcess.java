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

    private static final long WNOHANG = 1, WUNTRACED = 2, WCONTINUED = 8, WALL = 0x40000000L, WCLONE = 0x80000000L,
            WNOTHREAD = 0x20000000L;

    /** Wait4 implements Linux syscall wait4(2) where the Sentry keeps the process: no stopped children, no rusage figures. */
    static long wait4(SyscallContext c) {
        long pid = c.arg(0), status = c.arg(1), options = c.arg(2), rusage = c.arg(3);
        if ((options & ~(WNOHANG | WUNTRACED | WCONTINUED | WALL | WCLONE | WNOTHREAD)) != 0 || (int) pid == Integer.MIN_VALUE) {
            return Errno.EINVAL.negated();
        }
        long[] r = c.waitChild((int) pid == 0 ? -1 : (int) pid, (options & WNOHANG) != 0);
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
}
