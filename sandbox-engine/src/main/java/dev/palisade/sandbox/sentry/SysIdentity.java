package dev.palisade.sandbox.sentry;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Identity calls: the pid family in the sandbox's own pid space, and the uid family. */
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
        return c.arg(0) < 0 ? -22 : 0;
    }

    private static long writeTriple(SyscallContext c, int id) {
        byte[] b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(id).array();
        for (int i = 0; i < 3; i++) {
            if (!c.write(c.arg(i), b)) {
                return -14; // EFAULT
            }
        }
        return 0;
    }
}
