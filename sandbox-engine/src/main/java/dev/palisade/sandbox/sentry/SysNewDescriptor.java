package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.nativeinterop.HostCalls;
import dev.palisade.sandbox.nativeinterop.NativeScratch;
import dev.palisade.sandbox.sentry.vfs.FsError;



/**
 * The calls that make a new descriptor of a kind that names nothing on the host (a pipe, an
 * eventfd, an epoll, inotify or signalfd instance, a timerfd, a memfd), served where the host
 * kernel keeps the process (ptrace): the program's arguments never reach the host kernel.
 *
 * <p>The Sentry checks the flags against the set Linux accepts (narrower where a flag opens kernel
 * code no program needs: huge pages, notification pipes, wake-up alarms), makes the object on the
 * serving thread with flags it chose, and installs a duplicate in the program ({@code ADDFD}).
 * That thread runs at the program's uid and gid without capabilities, so the per-user limits
 * (inotify instances, epoll watches, pipe buffers) count against the program's user and the
 * kernel's permission checks are the program's; the descriptor limit is the program's own, since
 * the program installs the descriptor itself. What such an object does afterwards is the kernel's
 * as for any descriptor: a signalfd reads the signals of the process that reads it, a memfd's and
 * a pipe's pages are charged to the memory cgroup of the task that writes or faults them in, the
 * program. What the kernel charges to the creator stays the engine's, as for a file the Sentry
 * opens: the small objects themselves and an inotify instance's event queue (at most
 * max_queued_events events per instance, max_user_instances instances per user).
 */
final class SysNewDescriptor {
    private static final int NR_PIPE2 = 293, NR_EVENTFD2 = 290, NR_EPOLL_CREATE1 = 291, NR_INOTIFY_INIT1 = 294,
            NR_TIMERFD_CREATE = 283, NR_SIGNALFD4 = 289, NR_MEMFD_CREATE = 319;
    private static final int O_CLOEXEC = 02000000, O_NONBLOCK = 04000, O_DIRECT = 040000, O_NOTIFICATION_PIPE = 0200;
    private static final int EFD_SEMAPHORE = 1;
    private static final int CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_BOOTTIME = 7, CLOCK_REALTIME_ALARM = 8,
            CLOCK_BOOTTIME_ALARM = 9;
    private static final int MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2, MFD_HUGETLB = 4, MFD_NOEXEC_SEAL = 8, MFD_EXEC = 0x10,
            MFD_ALL = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC, MFD_HUGE_SIZES = 0x3f << 26;
    /** NAME_MAX less the "memfd:" prefix: the longest name memfd_create takes. */
    private static final int MFD_NAME_MAX = 249;
    private static final int SIGSET_SIZE = 8, PAGE = 4096;
    /** Scratch areas: the copy's iovecs, two ints or a signal mask, a memfd name. */
    private static final int IOV = 0, DATA = 64, NAME = 128;
    private SysNewDescriptor() {
    }

    /** Pipe implements Linux syscall pipe(2). */
    static long pipe(SyscallContext c) throws FsError {
        return makePipe(c, 0);
    }

    /** Pipe2 implements Linux syscall pipe2(2); O_NOTIFICATION_PIPE (watch queues) as a kernel without them. */
    static long pipe2(SyscallContext c) throws FsError {
        return makePipe(c, (int) c.arg(1));
    }

    private static long makePipe(SyscallContext c, int flags) throws FsError {
        if ((flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE)) != 0) {
            return Errno.EINVAL.negated();
        }
        if ((flags & O_NOTIFICATION_PIPE) != 0) {
            return Errno.ENOPKG.negated(); // CONFIG_WATCH_QUEUE off: the code of CVE-2022-0995 stays out of reach
        }
        long va = c.arg(0);
        // Linux writes both numbers or gives EFAULT and no descriptor: the array must take them before
        // anything is installed (written back unchanged; the numbers overwrite it anyway)
        byte[] old = c.memory().read(va, 8);
        c.memory().write(va, old);
        HostTask t = c.hostTask();
        NativeScratch s = t.scratch();
        long r = HostCalls.call(NR_PIPE2, s.at(DATA), flags & ~O_NOTIFICATION_PIPE | O_CLOEXEC, 0);
        if (r < 0) {
            return r;
        }
        int rd = s.getInt(DATA), wr = s.getInt(DATA + 4);
        try {
            boolean cloexec = (flags & O_CLOEXEC) != 0;
            long a = t.addDescriptor(rd, cloexec);
            if (a < 0) {
                return a;
            }
            // with one free slot only, the read end stays in the program unnamed (a pipe whose
            // writer is gone); Linux reserves both numbers first, which ADDFD cannot
            long b = t.addDescriptor(wr, cloexec);
            if (b < 0) {
                return b;
            }
            // another thread unmapping the array since the check leaves the two descriptors in the
            // program unnamed, where Linux would have closed them: EFAULT all the same
            s.putLong(DATA, (a & 0xffffffffL) | b << 32);
            return HostCalls.copy(t.hostTid(), true, s.at(IOV), s.at(DATA), va, 8) == 8 ? 0 : Errno.EFAULT.negated();
        } finally {
            HostCalls.close(rd);
            HostCalls.close(wr);
        }
    }

    /** Eventfd implements Linux syscall eventfd(2). */
    static long eventfd(SyscallContext c) {
        return makeEventfd(c, 0);
    }

    /** Eventfd2 implements Linux syscall eventfd2(2). */
    static long eventfd2(SyscallContext c) {
        return makeEventfd(c, (int) c.arg(1));
    }

    private static long makeEventfd(SyscallContext c, int flags) {
        if ((flags & ~(EFD_SEMAPHORE | O_CLOEXEC | O_NONBLOCK)) != 0) {
            return Errno.EINVAL.negated();
        }
        long count = c.arg(0) & 0xffffffffL; // an unsigned int
        return install(c, HostCalls.call(NR_EVENTFD2, count, flags | O_CLOEXEC, 0), flags & O_CLOEXEC);
    }

    /** Epoll_create implements Linux syscall epoll_create(2): the size is a hint that must be positive. */
    static long epollCreate(SyscallContext c) {
        if ((int) c.arg(0) <= 0) {
            return Errno.EINVAL.negated();
        }
        return install(c, HostCalls.call(NR_EPOLL_CREATE1, O_CLOEXEC, 0, 0), 0);
    }

    /** Epoll_create1 implements Linux syscall epoll_create1(2). */
    static long epollCreate1(SyscallContext c) {
        int flags = (int) c.arg(0);
        if ((flags & ~O_CLOEXEC) != 0) {
            return Errno.EINVAL.negated();
        }
        return install(c, HostCalls.call(NR_EPOLL_CREATE1, O_CLOEXEC, 0, 0), flags);
    }

    /** Inotify_init implements Linux syscall inotify_init(2). */
    static long inotifyInit(SyscallContext c) {
        return makeInotify(c, 0);
    }

    /** Inotify_init1 implements Linux syscall inotify_init1(2). */
    static long inotifyInit1(SyscallContext c) {
        return makeInotify(c, (int) c.arg(0));
    }

    private static long makeInotify(SyscallContext c, int flags) {
        if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) != 0) {
            return Errno.EINVAL.negated();
        }
        return install(c, HostCalls.call(NR_INOTIFY_INIT1, flags | O_CLOEXEC, 0, 0), flags & O_CLOEXEC);
    }

    /**
     * Timerfd_create implements Linux syscall timerfd_create(2); the alarm clocks need
     * CAP_WAKE_ALARM, which the program does not have: EPERM, as Linux says then.
     */
    static long timerfdCreate(SyscallContext c) {
        int clock = (int) c.arg(0), flags = (int) c.arg(1);
        boolean known = clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC || clock == CLOCK_BOOTTIME
                || clock == CLOCK_REALTIME_ALARM || clock == CLOCK_BOOTTIME_ALARM;
        if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) != 0 || !known) {
            return Errno.EINVAL.negated();
        }
        if (clock == CLOCK_REALTIME_ALARM || clock == CLOCK_BOOTTIME_ALARM) {
            return Errno.EPERM.negated();
        }
        return install(c, HostCalls.call(NR_TIMERFD_CREATE, clock, flags | O_CLOEXEC, 0), flags & O_CLOEXEC);
    }

    /** Signalfd implements Linux syscall signalfd(2). */
    static long signalfd(SyscallContext c) {
        return makeSignalfd(c, 0);
    }

    /** Signalfd4 implements Linux syscall signalfd4(2). */
    static long signalfd4(SyscallContext c) {
        return makeSignalfd(c, (int) c.arg(3));
    }

    /**
     * A new signalfd (fd -1), or a new mask for the program's signalfd {@code fd}, set on the
     * Sentry's duplicate of it (the same open file). The kernel's wake-up of readers at a new mask
     * is then the serving thread's (its own waiters), so a reader of another thread of the program
     * already blocked on it sees the new mask at its next signal or read.
     */
    private static long makeSignalfd(SyscallContext c, int flags) {
        if (c.arg(2) != SIGSET_SIZE) {
            return Errno.EINVAL.negated();
        }
        long mask = c.memory().readLong(c.arg(1));
        if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) != 0) {
            return Errno.EINVAL.negated();
        }
        HostTask t = c.hostTask();
        NativeScratch s = t.scratch();
        s.putLong(DATA, mask);
        int fd = (int) c.arg(0);
        if (fd == -1) {
            return install(c, HostCalls.call(NR_SIGNALFD4, -1, s.at(DATA), SIGSET_SIZE, flags | O_CLOEXEC), flags & O_CLOEXEC);
        }
        long own = t.takeDescriptor(fd);
        if (own < 0) {
            return own; // EBADF; EPERM for a program that made itself not dumpable
        }
        try {
            long r = HostCalls.call(NR_SIGNALFD4, own, s.at(DATA), SIGSET_SIZE, flags);
            return r < 0 ? r : fd;
        } finally {
            HostCalls.close(own);
        }
    }

    /**
     * Memfd_create implements Linux syscall memfd_create(2). MFD_HUGETLB gives ENOSYS, as a kernel
     * without hugetlbfs: huge pages are reserved outside the sandbox's memory account.
     */
    static long memfdCreate(SyscallContext c) throws FsError {
        int flags = (int) c.arg(1);
        int allowed = (flags & MFD_HUGETLB) != 0 ? MFD_ALL | MFD_HUGE_SIZES : MFD_ALL;
        if ((flags & ~allowed) != 0 || (flags & (MFD_EXEC | MFD_NOEXEC_SEAL)) == (MFD_EXEC | MFD_NOEXEC_SEAL)) {
            return Errno.EINVAL.negated();
        }
        HostTask t = c.hostTask();
        NativeScratch s = t.scratch();
        int len = readName(t, c.arg(0), s);
        if (len > MFD_NAME_MAX) {
            return Errno.EINVAL.negated();
        }
        if ((flags & MFD_HUGETLB) != 0) {
            return Errno.ENOSYS.negated();
        }
        return install(c, HostCalls.call(NR_MEMFD_CREATE, s.at(NAME), flags | MFD_CLOEXEC, 0), flags & MFD_CLOEXEC);
    }

    /**
     * The NUL-terminated name at {@code va} into the scratch's name area, read once and page by
     * page as the kernel's strncpy_from_user does: its length, MFD_NAME_MAX + 1 when it has no
     * NUL within that many bytes; EFAULT where the program cannot read it before its end.
     */
    private static int readName(HostTask t, long va, NativeScratch s) {
        int got = 0;
        while (got <= MFD_NAME_MAX) {
            int chunk = (int) Math.min(MFD_NAME_MAX + 1 - got, PAGE - ((va + got) & (PAGE - 1)));
            long n = HostCalls.copy(t.hostTid(), false, s.at(IOV), s.at(NAME + got), va + got, chunk);
            if (n <= 0) {
                throw new BadAddress(va + got);
            }
            byte[] b = new byte[(int) n];
            s.read(NAME + got, b, 0, (int) n);
            for (int i = 0; i < n; i++) {
                if (b[i] == 0) {
                    return got + i;
                }
            }
            got += (int) n;
        }
        return got;
    }

    /**
     * Installs the Sentry's new descriptor {@code fd} (or passes on its errno) in the program,
     * close-on-exec when {@code cloexec} is not 0, and closes the Sentry's.
     */
    private static long install(SyscallContext c, long fd, int cloexec) {
        if (fd < 0) {
            return fd;
        }
        try {
            return c.hostTask().install((int) fd, cloexec != 0);
        } finally {
            HostCalls.close(fd);
        }
    }
}
