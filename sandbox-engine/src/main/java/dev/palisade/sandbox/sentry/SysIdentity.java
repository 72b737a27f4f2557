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

    /** Setfsuid implements Linux syscall setfsuid(2): the previous fsuid, which only the sandbox uid can be. */
    static long setfsuid(SyscallContext c) {
        return c.uid();
    }

    /** Setfsgid implements Linux syscall setfsgid(2). */
    static long setfsgid(SyscallContext c) {
        return c.gid();
    }

    /** Capability header versions: 1 (one 32-bit set each), 2 and 3 (two). */
    private static final int CAP_V1 = 0x19980330, CAP_V2 = 0x20071026, CAP_V3 = 0x20080522;
    /** Bytes of one {@code __user_cap_data_struct}: effective, permitted, inheritable. */
    private static final int CAP_DATA = 12;

    /**
     * Capget implements Linux syscall capget(2): every process of the sandbox has no capability,
     * so the sets are zero. An unknown version is answered with the preferred one in the header
     * (and EINVAL unless only the version was asked), as Linux does.
     */
    static long capget(SyscallContext c) {
        int structs = capVersion(c);
        if (structs < 0) {
            return c.arg(1) == 0 ? 0 : Errno.EINVAL.negated();
        }
        if (c.arg(1) == 0) {
            return 0;
        }
        if (c.memory().readInt(c.arg(0) + 4) < 0) {
            return Errno.EINVAL.negated();
        }
        c.memory().write(c.arg(1), new byte[CAP_DATA * structs]);
        return 0;
    }

    /** Capset implements Linux syscall capset(2): only to no capability at all, of the caller itself. */
    static long capset(SyscallContext c) {
        int structs = capVersion(c);
        if (structs < 0) {
            return Errno.EINVAL.negated();
        }
        int pid = c.memory().readInt(c.arg(0) + 4);
        if (pid != 0 && pid != c.tid()) {
            return Errno.EPERM.negated();
        }
        for (byte b : c.memory().read(c.arg(1), CAP_DATA * structs)) {
            if (b != 0) {
                return Errno.EPERM.negated();   // a capability it does not hold
            }
        }
        return 0;
    }

    /** The data structs a header's version takes; -1 for an unknown version, after writing the preferred one. */
    private static int capVersion(SyscallContext c) {
        int version = c.memory().readInt(c.arg(0));
        if (version == CAP_V1) {
            return 1;
        }
        if (version == CAP_V2 || version == CAP_V3) {
            return 2;
        }
        c.memory().writeInt(c.arg(0), CAP_V3);
        return -1;
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
