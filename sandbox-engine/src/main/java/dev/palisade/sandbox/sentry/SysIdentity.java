package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Identity calls: the pid family in the sandbox's own pid space, and the uid family. The sandbox
 * has one identity and no capability: setting an id to itself succeeds, anything else is EPERM.
 */
final class SysIdentity {

    private SysIdentity() {
    }

    /** Getpid implements Linux syscall getpid(2). */
    static long getpid(SyscallContext c) {
        return c.pid();
    }

    /** Getppid implements Linux syscall getppid(2). */
    static long getppid(SyscallContext c) {
        return c.ppid();
    }

    /** Gettid implements Linux syscall gettid(2). */
    static long gettid(SyscallContext c) {
        return c.tid();
    }

    /** Getpgrp implements Linux syscall getpgrp(2): the program leads its own group. */
    static long getpgrp(SyscallContext c) {
        return c.pid();
    }

    /** Getpgid implements Linux syscall getpgid(2). */
    static long getpgid(SyscallContext c) {
        int pid = (int) c.arg(0);
        return pid == 0 || pid == c.pid() ? c.pid() : Errno.ESRCH.negated();
    }

    /** Getuid implements Linux syscall getuid(2) (and geteuid). */
    static long getuid(SyscallContext c) {
        return c.uid();
    }

    /** Getgid implements Linux syscall getgid(2) (and getegid). */
    static long getgid(SyscallContext c) {
        return c.gid();
    }

    /** Getresuid implements Linux syscall getresuid(2). */
    static long getresuid(SyscallContext c) {
        return writeTriple(c, c.uid());
    }

    /** Getresgid implements Linux syscall getresgid(2). */
    static long getresgid(SyscallContext c) {
        return writeTriple(c, c.gid());
    }

    /** Getgroups implements Linux syscall getgroups(2): no supplementary groups. */
    static long getgroups(SyscallContext c) {
        return (int) c.arg(0) < 0 ? Errno.EINVAL.negated() : 0;
    }

    /** Setgroups implements Linux syscall setgroups(2): needs CAP_SETGID, which the sandbox lacks. */
    static long setgroups(SyscallContext c) {
        return Errno.EPERM.negated();
    }

    /** Setuid implements Linux syscall setuid(2). */
    static long setuid(SyscallContext c) {
        return setIds(c, c.uid(), 1);
    }

    /** Setreuid implements Linux syscall setreuid(2). */
    static long setreuid(SyscallContext c) {
        return setIds(c, c.uid(), 2);
    }

    /** Setresuid implements Linux syscall setresuid(2). */
    static long setresuid(SyscallContext c) {
        return setIds(c, c.uid(), 3);
    }

    /** Setgid implements Linux syscall setgid(2). */
    static long setgid(SyscallContext c) {
        return setIds(c, c.gid(), 1);
    }

    /** Setregid implements Linux syscall setregid(2). */
    static long setregid(SyscallContext c) {
        return setIds(c, c.gid(), 2);
    }

    /** Setresgid implements Linux syscall setresgid(2). */
    static long setresgid(SyscallContext c) {
        return setIds(c, c.gid(), 3);
    }

    private static long setIds(SyscallContext c, int id, int n) {
        for (int i = 0; i < n; i++) {
            int v = (int) c.arg(i);
            if (v != -1 && v != id) {
                return Errno.EPERM.negated();
            }
        }
        return 0;
    }

    private static long writeTriple(SyscallContext c, int id) {
        byte[] b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(id).array();
        for (int i = 0; i < 3; i++) {
            if (!c.write(c.arg(i), b)) {
                return Errno.EFAULT.negated();
            }
        }
        return 0;
    }
}
