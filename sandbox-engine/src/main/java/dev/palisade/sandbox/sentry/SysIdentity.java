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

    /**
     * Held while a group or session changes or is looked up across processes, as Linux's
     * tasklist_lock: one for every sandbox, since these calls are rare and short.
     */
    private static final Object TASKLIST = new Object();

    /** Getpgrp implements Linux syscall getpgrp(2). */
    static long getpgrp(SyscallContext c) {
        return c.process().pgid;
    }

    /** Getpgid implements Linux syscall getpgid(2): of any process of the sandbox. */
    static long getpgid(SyscallContext c) {
        VirtualProcess p = target(c, (int) c.arg(0));
        return p == null ? Errno.ESRCH.negated() : p.pgid;
    }

    /** Getsid implements Linux syscall getsid(2): of any process of the sandbox. */
    static long getsid(SyscallContext c) {
        VirtualProcess p = target(c, (int) c.arg(0));
        return p == null ? Errno.ESRCH.negated() : p.sid;
    }

    /** The caller's process for pid 0, else the sandbox's process (or thread's process) {@code pid}, or null. */
    private static VirtualProcess target(SyscallContext c, int pid) {
        return pid == 0 ? c.process() : pid < 0 ? null : c.processOf(pid);
    }

    /**
     * Setpgid implements Linux syscall setpgid(2): the caller or one of its children (EACCES once
     * that child has called execve, EPERM in another session) joins a group of the caller's
     * session or makes its own; a session leader cannot move (EPERM).
     */
    static long setpgid(SyscallContext c) {
        int pid = (int) c.arg(0), pgid = (int) c.arg(1);
        if (pid == 0) {
            pid = c.pid();
        }
        if (pgid == 0) {
            pgid = pid;
        }
        if (pgid < 0) {
            return Errno.EINVAL.negated();
        }
        synchronized (TASKLIST) {
            VirtualProcess p = pid > 0 ? c.processOf(pid) : null;
            if (p == null) {
                return Errno.ESRCH.negated();
            }
            int[] pids = c.processIds();
            if (!contains(pids, pid)) {
                return Errno.EINVAL.negated();   // a thread other than its process's first
            }
            VirtualProcess self = c.process();
            if (pid != c.pid()) {
                if (c.parentOf(pid) != c.pid()) {
                    return Errno.ESRCH.negated();
                }
                if (p.sid != self.sid) {
                    return Errno.EPERM.negated();
                }
                if (p.execed) {
                    return Errno.EACCES.negated();
                }
            }
            if (p.sid == pid) {
                return Errno.EPERM.negated();   // a session leader stays in its group
            }
            if (pgid != pid && !groupInSession(c, pids, pgid, self.sid)) {
                return Errno.EPERM.negated();
            }
            p.pgid = pgid;
            return 0;
        }
    }

    /** Setsid implements Linux syscall setsid(2): EPERM for a group leader (or a pid some group is named after). */
    static long setsid(SyscallContext c) {
        int pid = c.pid();
        synchronized (TASKLIST) {
            VirtualProcess self = c.process();
            if (self.sid == pid || groupInSession(c, c.processIds(), pid, -1)) {
                return Errno.EPERM.negated();
            }
            self.sid = pid;
            self.pgid = pid;
            return pid;
        }
    }

    /** Whether some process of {@code pids} is in group {@code pgid} (and session {@code sid}, unless -1). */
    private static boolean groupInSession(SyscallContext c, int[] pids, int pgid, int sid) {
        for (int q : pids) {
            VirtualProcess o = c.processOf(q);
            if (o != null && o.pgid == pgid && (sid == -1 || o.sid == sid)) {
                return true;
            }
        }
        return false;
    }

    private static boolean contains(int[] pids, int pid) {
        for (int q : pids) {
            if (q == pid) {
                return true;
            }
        }
        return false;
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
