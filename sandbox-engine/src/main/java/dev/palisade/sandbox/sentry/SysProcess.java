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
        return Handler.RUN_NATIVELY;
    }
}
