package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.nativeinterop.HostCalls;
import dev.palisade.sandbox.nativeinterop.NativeScratch;
import dev.palisade.sandbox.sentry.vfs.FsError;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;

/**
 * The calls that act on a descriptor the program already holds, served where the host kernel
 * keeps the process (ptrace): file metadata and extended attributes, truncation and
 * preallocation, flushing, advice, {@code flock}, copies between files, an inotify watch's
 * removal, a timerfd's setting, and the socket calls that name no address ({@code listen},
 * {@code shutdown}, the names, the options).
 *
 * <p>The Sentry takes a duplicate of the program's descriptor ({@link HostTask#takeOwnDescriptor},
 * pidfd_getfd: the same open file, so its offset, its {@code flock} and the socket's state are
 * the program's), reads and checks the call's other arguments once, makes the call itself on
 * its duplicate from the serving thread, copies the results into the caller's memory and closes
 * the duplicate. That thread's root is the sandbox's and its identity the program's, without
 * capabilities, so the host checks every call as the program's own: nothing here reaches more
 * than the program could, and the host sees only arguments the Sentry chose or checked. Where
 * a narrower set is all programs use, only that set reaches the host: the extended attribute
 * namespaces an unprivileged program uses ({@link #xattrName}), the {@code fallocate} modes of
 * {@link #FALLOCATE_MODES}, and the socket options of {@link #OPTIONS}.
 *
 * <p>A program that made itself not dumpable refuses its own uid the descriptor and the memory;
 * {@link HostTask#takeOwnDescriptor} and {@link HostTask#copy} then take them for the calling
 * task only, and the call is still made at the program's identity.
 *
 * <p>A call that may wait long (flushing, preallocation, a blocking {@code flock}) is handed to
 * another thread of the Sentry ({@link HostTask#handOff}): the serving thread serves every
 * thread of the sandbox and never waits.
 */
final class SysHeldDescriptor {
    private static final int NR_SHUTDOWN = 48, NR_LISTEN = 50, NR_GETSOCKNAME = 51, NR_GETPEERNAME = 52,
            NR_SETSOCKOPT = 54, NR_GETSOCKOPT = 55, NR_FCNTL = 72, NR_FLOCK = 73, NR_FSYNC = 74, NR_FDATASYNC = 75,
            NR_FCHMOD = 91, NR_FCHOWN = 93, NR_FSTATFS = 138, NR_READAHEAD = 187, NR_FSETXATTR = 190,
            NR_FGETXATTR = 193, NR_FLISTXATTR = 196, NR_FREMOVEXATTR = 199, NR_FADVISE64 = 221,
            NR_INOTIFY_RM_WATCH = 255, NR_SYNC_FILE_RANGE = 277, NR_FALLOCATE = 285, NR_TIMERFD_SETTIME = 286,
            NR_TIMERFD_GETTIME = 287, NR_SYNCFS = 306;
    private static final int F_GETFL = 3, O_ACCMODE = 3, O_RDONLY = 0, O_DIRECTORY = 0200000, O_CLOEXEC = 02000000;
    /** Scratch layout of a call served on the serving thread: the copy's iovecs, a length, a result. */
    private static final int IOV = 0, LEN = 32, ARG = 64, OUT = 128, STATFS_SIZE = 120, ITIMERSPEC = 32;
    /** Bound of a socket option's value the Sentry copies: every listed option's kernel size is below it. */
    private static final int OPT_MAX = 512;

    private SysHeldDescriptor() {
    }

    /** An operation on the Sentry's duplicate of the program's descriptor. */
    @FunctionalInterface
    private interface OnHeld {
        long apply(long fd) throws FsError;
    }

    /**
     * Runs {@code op} on a duplicate of the caller's descriptor {@code fd} and closes it; the
     * take's errno (EBADF: not open) when there is none.
     */
    private static long onHeld(HostTask t, long fd, OnHeld op) throws FsError {
        long held = t.takeOwnDescriptor((int) fd);
        if (held < 0) {
            return held;
        }
        try {
            return op.apply(held);
        } finally {
            HostCalls.close(held);
        }
    }

    /** As {@link #onHeld}, on another thread of the Sentry: for a call that may wait long. */
    private static long handedOff(HostTask t, long fd, LongUnaryOperator op) {
        long held = t.takeOwnDescriptor((int) fd);
        if (held < 0) {
            return held;
        }
        boolean handed = false;
        try {
            long r = t.handOff(() -> {
                try {
                    return op.applyAsLong(held);
                } finally {
                    HostCalls.close(held);
                }
            });
            handed = true;
            return r;
        } finally {
            if (!handed) {
                HostCalls.close(held);
            }
        }
    }

    /** Copies {@code len} bytes of {@code s} at {@code off} to the caller's {@code va}; {@code result}, or EFAULT. */
    private static long copyOut(HostTask t, NativeScratch s, long va, int off, int len, long result) {
        if (len == 0) {
            return result;
        }
        long n = t.copy(true, s.at(IOV), s.at(off), va, len);
        return n == len ? result : Errno.EFAULT.negated();
    }

    /**
     * {@code nr(fd, buffer)} on a duplicate of the caller's first argument, then the {@code size}
     * bytes the host wrote to the caller's {@code va}: the calls that fill a fixed structure.
     */
    private static long filled(SyscallContext c, int nr, long va, int size) throws FsError {
        HostTask t = c.hostTask();
        return onHeld(t, c.arg(0), fd -> {
            NativeScratch s = t.scratch();
            long r = HostCalls.call(nr, fd, s.at(OUT), 0);
            return r < 0 ? r : copyOut(t, s, va, OUT, size, r);
        });
    }

    /**
     * A value and its length back to the caller, as the kernel's move_addr_to_user: {@code len}
     * bytes of {@code s} at {@code OUT} to {@code va}, then {@code full} to the caller's length at
     * {@code lenVa}; 0 or EFAULT.
     */
    private static long copyOutWithLength(HostTask t, NativeScratch s, long va, int len, long lenVa, int full) {
        long out = copyOut(t, s, va, OUT, len, 0);
        if (out < 0) {
            return out;
        }
        s.putLong(LEN, full & 0xffffffffL);
        return copyOut(t, s, lenVa, LEN, 4, 0);
    }

    /** Copies {@code len} bytes of the caller's {@code va} into {@code s} at {@code off}; false when not readable. */
    private static boolean copyIn(HostTask t, NativeScratch s, long va, int off, int len) {
        return len == 0 || t.copy(false, s.at(IOV), s.at(off), va, len) == len;
    }

    // ------------------------------------------------------------------ metadata

    /** Fchmod implements Linux syscall fchmod(2). */
    static long fchmod(SyscallContext c) throws FsError {
        long mode = c.arg(1);
        return onHeld(c.hostTask(), c.arg(0), fd -> HostCalls.call(NR_FCHMOD, fd, mode, 0));
    }

    /** Fchown implements Linux syscall fchown(2): the host refuses any owner but the program's own (no capability). */
    static long fchown(SyscallContext c) throws FsError {
        long uid = c.arg(1), gid = c.arg(2);
        return onHeld(c.hostTask(), c.arg(0), fd -> HostCalls.call(NR_FCHOWN, fd, uid, gid));
    }

    /** Fstatfs implements Linux syscall fstatfs(2): the figures of the file system the descriptor is on. */
    static long fstatfs(SyscallContext c) throws FsError {
        return filled(c, NR_FSTATFS, c.arg(1), STATFS_SIZE);
    }

    /** Inotify_rm_watch implements Linux syscall inotify_rm_watch(2) on the program's own instance. */
    static long inotifyRmWatch(SyscallContext c) throws FsError {
        long wd = c.arg(1);
        return onHeld(c.hostTask(), c.arg(0), fd -> HostCalls.call(NR_INOTIFY_RM_WATCH, fd, wd, 0));
    }

    // ------------------------------------------------------------------ size, allocation, advice

    /**
     * Ftruncate implements Linux syscall ftruncate(2), within the program's file-size limit (the
     * serving thread's own limit is the Sentry's): past it EFBIG, as the kernel answers after it
     * raised SIGXFSZ, which the Sentry does not raise.
     */
    static long ftruncate(SyscallContext c) throws FsError {
        HostTask t = c.hostTask();
        long length = c.arg(1);
        if (length < 0) {
            return Errno.EINVAL.negated(); // the kernel's first check, before the descriptor's
        }
        return onHeld(t, c.arg(0), fd -> {
            if (length > t.fileSizeLimit()) {
                long fl = HostCalls.call(NR_FCNTL, fd, F_GETFL, 0);
                return fl >= 0 && (fl & O_ACCMODE) == O_RDONLY ? Errno.EINVAL.negated() : Errno.EFBIG.negated();
            }
            return HostCalls.call(HostCalls.NR_FTRUNCATE, fd, length, 0);
        });
    }

    private static final int FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2, FALLOC_FL_ZERO_RANGE = 0x10;
    /**
     * The fallocate modes programs use: allocate (0, which a database or a download sizes its file
     * with, and with KEEP_SIZE), punch a hole (with KEEP_SIZE, as the kernel requires), zero a range
     * (with or without KEEP_SIZE). Collapse, insert and unshare ranges are EOPNOTSUPP, as on a
     * file system without them.
     */
    static final long[] FALLOCATE_MODES = {0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
            FALLOC_FL_ZERO_RANGE, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE};

    /** Fallocate implements Linux syscall fallocate(2) for {@link #FALLOCATE_MODES}, on another thread (it may write for long). */
    static long fallocate(SyscallContext c) {
        HostTask t = c.hostTask();
        long mode = c.arg(1) & 0xffffffffL, offset = c.arg(2), len = c.arg(3);
        boolean listed = java.util.Arrays.stream(FALLOCATE_MODES).anyMatch(m -> m == mode);
        return checkThenHandOff(t, c.arg(0), fd -> {
            if (offset < 0 || len <= 0) {
                return Errno.EINVAL.negated();
            }
            if (!listed) {
                return Errno.EOPNOTSUPP.negated();
            }
            if ((mode & FALLOC_FL_KEEP_SIZE) == 0 && offset + len > t.fileSizeLimit()) {
                long fl = HostCalls.call(NR_FCNTL, fd, F_GETFL, 0);
                return fl >= 0 && (fl & O_ACCMODE) == O_RDONLY ? Errno.EBADF.negated() : Errno.EFBIG.negated();
            }
            return GO_ON; // checked: the work follows on another thread
        }, fd -> HostCalls.call(NR_FALLOCATE, fd, mode, offset, len));
    }

    /** What a check of {@link #checkThenHandOff} says when the call is to be carried out. */
    private static final long GO_ON = Long.MIN_VALUE + 1;

    /**
     * Checks the call on the duplicate on the serving thread ({@code check} answers, or says
     * {@link #GO_ON}), then hands {@code work} off with the duplicate.
     */
    private static long checkThenHandOff(HostTask t, long fd, LongUnaryOperator check, LongUnaryOperator work) {
        long held = t.takeOwnDescriptor((int) fd);
        if (held < 0) {
            return held;
        }
        boolean handed = false;
        try {
            long r = check.applyAsLong(held);
            if (r != GO_ON) {
                return r;
            }
            r = t.handOff(() -> {
                try {
                    return work.applyAsLong(held);
                } finally {
                    HostCalls.close(held);
                }
            });
            handed = true;
            return r;
        } finally {
            if (!handed) {
                HostCalls.close(held);
            }
        }
    }

    /** Readahead implements Linux syscall readahead(2): the kernel starts the reads and does not wait for them. */
    static long readahead(SyscallContext c) throws FsError {
        long offset = c.arg(1), count = c.arg(2);
        return onHeld(c.hostTask(), c.arg(0), fd -> HostCalls.call(NR_READAHEAD, fd, offset, count));
    }

    /** Fadvise64 implements Linux syscall fadvise64(2); the kernel checks the advice. */
    static long fadvise64(SyscallContext c) throws FsError {
        long offset = c.arg(1), len = c.arg(2), advice = c.arg(3);
        return onHeld(c.hostTask(), c.arg(0), fd -> HostCalls.call(NR_FADVISE64, fd, offset, len, advice));
    }

    // ------------------------------------------------------------------ flushing

    /** Fsync implements Linux syscall fsync(2), on another thread. */
    static long fsync(SyscallContext c) {
        return handedOff(c.hostTask(), c.arg(0), fd -> HostCalls.call(NR_FSYNC, fd, 0, 0));
    }

    /** Fdatasync implements Linux syscall fdatasync(2), on another thread. */
    static long fdatasync(SyscallContext c) {
        return handedOff(c.hostTask(), c.arg(0), fd -> HostCalls.call(NR_FDATASYNC, fd, 0, 0));
    }

    /** Sync_file_range implements Linux syscall sync_file_range(2), on another thread; the kernel checks the flags. */
    static long syncFileRange(SyscallContext c) {
        long offset = c.arg(1), nbytes = c.arg(2), flags = c.arg(3);
        return handedOff(c.hostTask(), c.arg(0), fd -> HostCalls.call(NR_SYNC_FILE_RANGE, fd, offset, nbytes, flags));
    }

    /** Syncfs implements Linux syscall syncfs(2), on another thread. */
    static long syncfs(SyscallContext c) {
        return handedOff(c.hostTask(), c.arg(0), fd -> HostCalls.call(NR_SYNCFS, fd, 0, 0));
    }

    /** The sandbox's own file systems a program can write, as the serving thread sees them (its root is the sandbox's). */
    private static final String[] WRITABLE = {"/", "/workspace", "/tmp"};

    /**
     * Sync implements Linux syscall sync(2) for the sandbox only: its writable file systems are
     * flushed (syncfs on each), not the host's. It cannot fail, as natively.
     */
    static long sync(SyscallContext c) {
        return c.hostTask().handOff(() -> {
            try (NativeScratch s = new NativeScratch(64)) {
                for (String dir : WRITABLE) {
                    byte[] b = dir.getBytes(StandardCharsets.US_ASCII);
                    s.write(0, b, 0, b.length);
                    s.putByte(b.length, (byte) 0);
                    long fd = HostCalls.call(HostCalls.NR_OPENAT, -100, s.at(0), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
                    if (fd >= 0) {
                        HostCalls.call(NR_SYNCFS, fd, 0, 0);
                        HostCalls.close(fd);
                    }
                }
            }
            return 0;
        });
    }

    // ------------------------------------------------------------------ copies between files

    private static final int NR_COPY_FILE_RANGE = 326;
    private static final int NR_LSEEK = 8, SEEK_CUR = 1;
    /** Whether an offset and a length wrap past 2^64, which the kernel refuses (EOVERFLOW); an unknown offset does not. */
    private static boolean wraps(long pos, long len) {
        return pos >= 0 && Long.compareUnsigned(pos + len, pos) < 0;
    }

    /** The most copy_file_range moves per call (a short count, which programs loop on): the hand-off thread's work stays bounded. */
    static final long COPY_MAX = 16L << 20;

    /**
     * Copy_file_range implements Linux syscall copy_file_range(2) between the program's two
     * files, on another thread: the offsets read from its memory first and written back after,
     * or the open files' own offsets when it names none; at most {@link #COPY_MAX} bytes a call,
     * and not past the program's file-size limit (EFBIG at it, without the kernel's SIGXFSZ).
     * Only regular files take part (the kernel's EINVAL otherwise), so it never waits on a peer.
     */
    static long copyFileRange(SyscallContext c) {
        HostTask t = c.hostTask();
        long offInVa = c.arg(1), offOutVa = c.arg(3), flags = c.arg(5) & 0xffffffffL;
        long asked = c.arg(4), len = Long.compareUnsigned(asked, COPY_MAX) > 0 ? COPY_MAX : asked;
        int tid = t.hostTid();
        long in = t.takeOwnDescriptor((int) c.arg(0));
        if (in < 0) {
            return in;
        }
        long out = t.takeOwnDescriptor((int) c.arg(2));
        NativeScratch s = new NativeScratch(IOV + 56); // iovecs, the two offsets, a probe
        boolean handed = false;
        try {
            if (out < 0) {
                return out;
            }
            int posIn = IOV + 32, posOut = IOV + 40;
            if (offInVa != 0 && !copyIn(t, s, offInVa, posIn, 8) || offOutVa != 0 && !copyIn(t, s, offOutVa, posOut, 8)) {
                return Errno.EFAULT.negated();
            }
            if (len != asked && (wraps(offInVa != 0 ? s.getLong(posIn) : HostCalls.call(NR_LSEEK, in, 0, SEEK_CUR), asked)
                    || wraps(offOutVa != 0 ? s.getLong(posOut) : HostCalls.call(NR_LSEEK, out, 0, SEEK_CUR), asked))) {
                return Errno.EOVERFLOW.negated(); // the kernel's check of the length asked, before it is bounded here
            }
            // the program's file-size limit, as the kernel keeps to it (the serving threads' own is the Sentry's)
            long limit = t.fileSizeLimit(), at = offOutVa != 0 ? s.getLong(posOut) : HostCalls.call(NR_LSEEK, out, 0, SEEK_CUR);
            if (limit != Long.MAX_VALUE && at >= 0 && len > 0 && at >= limit) {
                return Errno.EFBIG.negated();
            }
            long count = limit != Long.MAX_VALUE && at >= 0 ? Math.min(len, limit - at) : len;
            // the hand-off thread writes the offsets back at the program's identity; a program that
            // made itself not dumpable refuses that, so its copy, bounded, is made on the serving thread
            boolean lendsMemory = offInVa == 0 && offOutVa == 0
                    || HostCalls.copy(tid, false, s.at(IOV), s.at(IOV + 48), offInVa != 0 ? offInVa : offOutVa, 8) != Errno.EPERM.negated();
            LongSupplier copy = () -> {
                long n = HostCalls.call(NR_COPY_FILE_RANGE, in, offInVa == 0 ? 0 : s.at(posIn), out,
                        offOutVa == 0 ? 0 : s.at(posOut), count, flags);
                if (n > 0 && (offInVa != 0 && writeBack(t, lendsMemory, tid, s, posIn, offInVa) != 8
                        || offOutVa != 0 && writeBack(t, lendsMemory, tid, s, posOut, offOutVa) != 8)) {
                    return Errno.EFAULT.negated();
                }
                return n;
            };
            if (!lendsMemory) {
                return copy.getAsLong();
            }
            long r = t.handOff(() -> {
                try {
                    return copy.getAsLong();
                } finally {
                    HostCalls.close(in);
                    HostCalls.close(out);
                    s.close();
                }
            });
            handed = true;
            return r;
        } finally {
            if (!handed) {
                HostCalls.close(in);
                HostCalls.close(out);
                s.close();
            }
        }
    }

    /** Writes 8 bytes of {@code s} at {@code off} to the caller's {@code va}: from any thread, or through the serving thread's copy. */
    private static long writeBack(HostTask t, boolean anyThread, int tid, NativeScratch s, int off, long va) {
        return anyThread ? HostCalls.copy(tid, true, s.at(IOV), s.at(off), va, 8) : t.copy(true, s.at(IOV), s.at(off), va, 8);
    }

    // ------------------------------------------------------------------ flock

    private static final int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
    /** Between two attempts of a waiting flock: from the first to the longest pause (ns). */
    private static final long FIRST_PAUSE = 500_000, LONGEST_PAUSE = 20_000_000;

    /**
     * Flock implements Linux syscall flock(2) on the program's open file (the lock is that open
     * file's, as natively). A lock that would wait is taken on another thread by attempts without
     * waiting, between which that thread looks whether the caller still waits and whether a
     * signal for it is pending ({@link SignalsPending}): then the call ends as the kernel's wait
     * does, with ERESTARTSYS, which the caller's kernel makes EINTR before a handler without
     * SA_RESTART and a restart otherwise. (The caller's own wait for the Sentry is killable only.)
     */
    static long flock(SyscallContext c) throws FsError {
        HostTask t = c.hostTask();
        long op = c.arg(1) & 0xffffffffL;
        long kind = op & ~LOCK_NB;
        if (kind != LOCK_SH && kind != LOCK_EX && kind != LOCK_UN) {
            return onHeld(t, c.arg(0), fd -> Errno.EINVAL.negated()); // EBADF first, as the kernel
        }
        if ((op & LOCK_NB) != 0 || kind == LOCK_UN) {
            return onHeld(t, c.arg(0), fd -> HostCalls.call(NR_FLOCK, fd, op, 0));
        }
        return checkThenHandOff(t, c.arg(0), fd -> {
            long r = HostCalls.call(NR_FLOCK, fd, op | LOCK_NB, 0);
            return r == Errno.EAGAIN.negated() ? GO_ON : r;
        }, waitForLock(t, op));
    }

    private static LongUnaryOperator waitForLock(HostTask t, long op) {
        Waiting w = new Waiting(t);
        return fd -> w.until(() -> HostCalls.call(NR_FLOCK, fd, op | LOCK_NB, 0), pause -> {
            java.util.concurrent.locks.LockSupport.parkNanos(pause);
            return true;
        });
    }

    /** What pauses between two attempts: waits at most {@code nanos}; false when waiting failed. */
    @FunctionalInterface
    interface Pause {
        boolean pause(long nanos);
    }

    /**
     * A call that waits, carried out on another thread by attempts that do not wait: made on the
     * serving thread (which knows the call), used on the hand-off thread.
     */
    static final class Waiting {
        private final BooleanSupplier waiting;
        private final SignalsPending signals;

        Waiting(HostTask t) {
            this.waiting = t.waitingCheck();
            this.signals = new SignalsPending(t, t.hostTid());
        }

        /**
         * Makes {@code attempt} until it says other than EAGAIN, pausing between attempts (longer
         * each time, up to {@link #LONGEST_PAUSE}); ends with ERESTARTSYS when a signal for the
         * caller is pending, as the kernel's own wait would.
         */
        long until(LongSupplier attempt, Pause between) {
            long pause = FIRST_PAUSE;
            while (true) {
                long r = attempt.getAsLong();
                if (r != Errno.EAGAIN.negated()) {
                    return r;
                }
                if (!waiting.getAsBoolean()) {
                    return Errno.EINTR.negated(); // the caller was killed: nobody takes this answer
                }
                if (signals.interrupting()) {
                    return Errno.ERESTARTSYS.negated();
                }
                if (!between.pause(pause)) {
                    return Errno.EINTR.negated();
                }
                pause = Math.min(LONGEST_PAUSE, pause * 2);
            }
        }
    }

    // ------------------------------------------------------------------ tee

    /** poll(2) for one descriptor, at most {@code nanos} (rounded up to a millisecond; 0: no wait). */
    private static long pollOne(NativeScratch s, long fd, short events, long nanos) {
        s.putLong(0, fd & 0xffffffffL | (long) events << 32);
        return HostCalls.call(NR_POLL, s.at(0), 1, nanos == 0 ? 0 : Math.max(1, nanos / 1_000_000));
    }

    private static final int NR_TEE = 276, NR_POLL = 7, SPLICE_F_NONBLOCK = 2;
    private static final short POLLIN = 1, POLLOUT = 4;

    /**
     * Tee implements Linux syscall tee(2) between the program's two pipes (the kernel refuses
     * anything else). A tee that would wait (an empty input or a full output, without
     * SPLICE_F_NONBLOCK) is made on another thread by attempts with SPLICE_F_NONBLOCK, waiting
     * between them in poll for both pipes, and ends with ERESTARTSYS on a signal for the caller,
     * as the kernel's wait for a pipe does.
     */
    static long tee(SyscallContext c) {
        HostTask t = c.hostTask();
        long len = c.arg(2), flags = c.arg(3) & 0xffffffffL;
        long in = t.takeOwnDescriptor((int) c.arg(0));
        if (in < 0) {
            return in;
        }
        long out = t.takeOwnDescriptor((int) c.arg(1));
        boolean handed = false;
        try {
            if (out < 0) {
                return out;
            }
            long r = HostCalls.call(NR_TEE, in, out, len, flags | SPLICE_F_NONBLOCK);
            if (r != Errno.EAGAIN.negated() || (flags & SPLICE_F_NONBLOCK) != 0) {
                return r;
            }
            Waiting w = new Waiting(t);
            r = t.handOff(() -> {
                try (NativeScratch fds = new NativeScratch(16)) {
                    boolean[] readyBefore = {false};
                    return w.until(() -> HostCalls.call(NR_TEE, in, out, len, flags | SPLICE_F_NONBLOCK), pause -> {
                        if (readyBefore[0]) {
                            // ready by poll, yet the tee could not go on: no busy loop on that
                            java.util.concurrent.locks.LockSupport.parkNanos(pause);
                        }
                        // as the kernel: first for something to read, then for room to write it
                        long ready = pollOne(fds, in, POLLIN, 0);
                        ready = ready > 0 ? pollOne(fds, out, POLLOUT, pause) : pollOne(fds, in, POLLIN, pause);
                        readyBefore[0] = ready > 0;
                        return ready >= 0;
                    });
                } finally {
                    HostCalls.close(in);
                    HostCalls.close(out);
                }
            });
            handed = true;
            return r;
        } finally {
            if (!handed) {
                HostCalls.close(in);
                HostCalls.close(out);
            }
        }
    }

    /**
     * Whether a signal would interrupt the caller's wait, read from its host {@code /proc} status:
     * one pending for the thread itself and not blocked, or pending for its process while it is
     * the process's main thread (the kernel wakes that thread first for a process-wide signal;
     * another thread of the process would take it, and natively this wait goes on). Ignored
     * signals never interrupt.
     */
    private static final class SignalsPending {
        private final HostTask task;
        private final int tid;

        SignalsPending(HostTask task, int tid) {
            this.task = task;
            this.tid = tid;
        }

        boolean interrupting() {
            String status = task.hostStatus(tid);
            if (status == null) {
                return false;
            }
            long own = field(status, "SigPnd:", 16), shared = field(status, "ShdPnd:", 16);
            long blocked = field(status, "SigBlk:", 16), ignored = field(status, "SigIgn:", 16);
            boolean main = field(status, "Tgid:", 10) == tid;
            long deliverable = (own | (main ? shared : 0)) & ~blocked & ~ignored;
            return deliverable != 0;
        }

        private static long field(String status, String key, int radix) {
            int at = status.indexOf("\n" + key);
            if (at < 0) {
                return 0;
            }
            int from = at + key.length() + 1, end = status.indexOf('\n', from);
            return Long.parseUnsignedLong(status.substring(from, end < 0 ? status.length() : end).trim(), radix);
        }
    }

    // ------------------------------------------------------------------ timerfd

    /** Timerfd_settime implements Linux syscall timerfd_settime(2): the new setting read once, the old one copied back. */
    static long timerfdSettime(SyscallContext c) throws FsError {
        HostTask t = c.hostTask();
        NativeScratch s = t.scratch();
        long flags = c.arg(1), newVa = c.arg(2), oldVa = c.arg(3);
        if (!copyIn(t, s, newVa, ARG, ITIMERSPEC)) {
            return Errno.EFAULT.negated(); // the kernel reads the new setting before anything else
        }
        long held = t.takeOwnDescriptor((int) c.arg(0));
        try {
            // no descriptor: the kernel's checks of the flags and the setting, in its order, then EBADF
            long r = HostCalls.call(NR_TIMERFD_SETTIME, held < 0 ? -1 : held, flags, s.at(ARG), oldVa == 0 ? 0 : s.at(OUT));
            if (r < 0 || oldVa == 0) {
                return r;
            }
            return copyOut(t, s, oldVa, OUT, ITIMERSPEC, r);
        } finally {
            HostCalls.close(held);
        }
    }

    /** Timerfd_gettime implements Linux syscall timerfd_gettime(2). */
    static long timerfdGettime(SyscallContext c) throws FsError {
        return filled(c, NR_TIMERFD_GETTIME, c.arg(1), ITIMERSPEC);
    }

    // ------------------------------------------------------------------ sockets

    /** Listen implements Linux syscall listen(2); the host bounds the backlog (somaxconn). */
    static long listen(SyscallContext c) throws FsError {
        long backlog = c.arg(1);
        return onHeld(c.hostTask(), c.arg(0), fd -> HostCalls.call(NR_LISTEN, fd, backlog, 0));
    }

    /** Shutdown implements Linux syscall shutdown(2). */
    static long shutdown(SyscallContext c) throws FsError {
        long how = c.arg(1);
        return onHeld(c.hostTask(), c.arg(0), fd -> HostCalls.call(NR_SHUTDOWN, fd, how, 0));
    }

    /** Getsockname implements Linux syscall getsockname(2). */
    static long getsockname(SyscallContext c) throws FsError {
        return name(c, NR_GETSOCKNAME);
    }

    /** Getpeername implements Linux syscall getpeername(2). */
    static long getpeername(SyscallContext c) throws FsError {
        return name(c, NR_GETPEERNAME);
    }

    /** sizeof(struct sockaddr_storage): no socket's name is longer. */
    private static final int SOCKADDR_MAX = 128;

    /**
     * A socket's own or its peer's address into a buffer of the Sentry's, then as the kernel's
     * move_addr_to_user: as many bytes as the caller's length allows, and the full length.
     */
    private static long name(SyscallContext c, int nr) throws FsError {
        HostTask t = c.hostTask();
        long addrVa = c.arg(1), lenVa = c.arg(2);
        return onHeld(t, c.arg(0), fd -> {
            NativeScratch s = t.scratch();
            s.putLong(LEN, SOCKADDR_MAX);
            long r = HostCalls.call(nr, fd, s.at(OUT), s.at(LEN));
            if (r < 0) {
                return r;
            }
            int full = s.getInt(LEN);
            if (!copyIn(t, s, lenVa, ARG, 4)) {
                return Errno.EFAULT.negated();
            }
            int given = s.getInt(ARG);
            if (given < 0) {
                return Errno.EINVAL.negated();
            }
            return copyOutWithLength(t, s, addrVa, Math.min(given, full), lenVa, full);
        });
    }

    private static final int GET = 1, SET = 2, BOTH = GET | SET;
    private static final int SO_PEERCRED = 17;

    /**
     * The socket options served, by (level, option), and whether they may be read, set or both:
     * those python3, the JVM, Go's net package, curl, nginx and glibc's resolver set or read. Any
     * other is ENOPROTOOPT, as a kernel without the option says.
     */
    static final Map<Long, Integer> OPTIONS = Map.ofEntries(
            // SOL_SOCKET: SO_REUSEADDR, SO_TYPE, SO_ERROR, SO_BROADCAST, SO_SNDBUF, SO_RCVBUF, SO_KEEPALIVE,
            // SO_OOBINLINE, SO_PRIORITY, SO_LINGER, SO_REUSEPORT, SO_PASSCRED, SO_PEERCRED, SO_RCVLOWAT,
            // SO_SNDLOWAT, SO_RCVTIMEO, SO_SNDTIMEO, SO_TIMESTAMP, SO_ACCEPTCONN, SO_TIMESTAMPNS,
            // SO_PROTOCOL, SO_DOMAIN
            opt(SysSocket.SOL_SOCKET, 2, BOTH), opt(SysSocket.SOL_SOCKET, 3, GET), opt(SysSocket.SOL_SOCKET, 4, GET),
            opt(SysSocket.SOL_SOCKET, 6, BOTH), opt(SysSocket.SOL_SOCKET, 7, BOTH), opt(SysSocket.SOL_SOCKET, 8, BOTH),
            opt(SysSocket.SOL_SOCKET, 9, BOTH), opt(SysSocket.SOL_SOCKET, 10, BOTH), opt(SysSocket.SOL_SOCKET, 12, BOTH),
            opt(SysSocket.SOL_SOCKET, 13, BOTH), opt(SysSocket.SOL_SOCKET, 15, BOTH), opt(SysSocket.SOL_SOCKET, 16, BOTH),
            opt(SysSocket.SOL_SOCKET, SO_PEERCRED, GET), opt(SysSocket.SOL_SOCKET, 18, BOTH),
            opt(SysSocket.SOL_SOCKET, 19, BOTH), opt(SysSocket.SOL_SOCKET, SysSocket.SO_RCVTIMEO, BOTH),
            opt(SysSocket.SOL_SOCKET, SysSocket.SO_SNDTIMEO, BOTH), opt(SysSocket.SOL_SOCKET, 29, BOTH),
            opt(SysSocket.SOL_SOCKET, 30, GET), opt(SysSocket.SOL_SOCKET, 35, BOTH), opt(SysSocket.SOL_SOCKET, 38, GET),
            opt(SysSocket.SOL_SOCKET, 39, GET),
            // IPPROTO_TCP: TCP_NODELAY, TCP_MAXSEG, TCP_CORK, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT,
            // TCP_DEFER_ACCEPT, TCP_INFO, TCP_QUICKACK, TCP_CONGESTION, TCP_USER_TIMEOUT, TCP_FASTOPEN,
            // TCP_NOTSENT_LOWAT
            opt(SysSocket.IPPROTO_TCP, 1, BOTH), opt(SysSocket.IPPROTO_TCP, 2, GET), opt(SysSocket.IPPROTO_TCP, 3, BOTH),
            opt(SysSocket.IPPROTO_TCP, 4, BOTH), opt(SysSocket.IPPROTO_TCP, 5, BOTH), opt(SysSocket.IPPROTO_TCP, 6, BOTH),
            opt(SysSocket.IPPROTO_TCP, 9, BOTH), opt(SysSocket.IPPROTO_TCP, 11, GET), opt(SysSocket.IPPROTO_TCP, 12, BOTH),
            opt(SysSocket.IPPROTO_TCP, 13, GET), opt(SysSocket.IPPROTO_TCP, 18, BOTH), opt(SysSocket.IPPROTO_TCP, 23, BOTH),
            opt(SysSocket.IPPROTO_TCP, 25, BOTH),
            // IPPROTO_IP: IP_TOS, IP_TTL, IP_PKTINFO, IP_MTU_DISCOVER, IP_RECVERR, IP_MTU, IP_BIND_ADDRESS_NO_PORT,
            // IP_MULTICAST_TTL, IP_MULTICAST_LOOP, IP_MULTICAST_ALL
            opt(SysSocket.IPPROTO_IP, 1, BOTH), opt(SysSocket.IPPROTO_IP, 2, BOTH), opt(SysSocket.IPPROTO_IP, 8, BOTH),
            opt(SysSocket.IPPROTO_IP, 10, BOTH), opt(SysSocket.IPPROTO_IP, 11, BOTH), opt(SysSocket.IPPROTO_IP, 14, GET),
            opt(SysSocket.IPPROTO_IP, 24, BOTH), opt(SysSocket.IPPROTO_IP, 33, BOTH), opt(SysSocket.IPPROTO_IP, 34, BOTH),
            opt(SysSocket.IPPROTO_IP, 49, BOTH),
            // IPPROTO_IPV6: IPV6_UNICAST_HOPS, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_LOOP, IPV6_MTU_DISCOVER,
            // IPV6_RECVERR, IPV6_V6ONLY, IPV6_MULTICAST_ALL, IPV6_RECVPKTINFO, IPV6_TCLASS
            opt(SysSocket.IPPROTO_IPV6, 16, BOTH), opt(SysSocket.IPPROTO_IPV6, 18, BOTH), opt(SysSocket.IPPROTO_IPV6, 19, BOTH),
            opt(SysSocket.IPPROTO_IPV6, 23, BOTH), opt(SysSocket.IPPROTO_IPV6, 25, BOTH), opt(SysSocket.IPPROTO_IPV6, 26, BOTH),
            opt(SysSocket.IPPROTO_IPV6, 29, BOTH), opt(SysSocket.IPPROTO_IPV6, 49, BOTH), opt(SysSocket.IPPROTO_IPV6, 67, BOTH));

    private static Map.Entry<Long, Integer> opt(int level, int name, int ways) {
        return Map.entry(key(level, name), ways);
    }

    private static long key(long level, long name) {
        return (level & 0xffffffffL) << 32 | (name & 0xffffffffL);
    }

    private static boolean listed(long level, long name, int way) {
        Integer ways = OPTIONS.get(key(level, name));
        return ways != null && (ways & way) != 0;
    }

    /** Setsockopt implements Linux syscall setsockopt(2) for {@link #OPTIONS}: the value read once, at most {@link #OPT_MAX} bytes. */
    static long setsockopt(SyscallContext c) throws FsError {
        HostTask t = c.hostTask();
        long level = c.arg(1), name = c.arg(2), valVa = c.arg(3);
        int optlen = (int) c.arg(4);
        if (optlen < 0) {
            return Errno.EINVAL.negated(); // the kernel's first check
        }
        return onHeld(t, c.arg(0), fd -> {
            NativeScratch s = t.scratch();
            long sock = isSocket(fd, s);
            if (sock < 0) {
                return sock;
            }
            if (!listed(level, name, SET)) {
                return Errno.ENOPROTOOPT.negated();
            }
            // no listed option reads more than this; the kernel's own checks of the length see it unchanged below
            int len = Math.min(optlen, OPT_MAX);
            if (!copyIn(t, s, valVa, OUT, len)) {
                // the kernel's order: a length it refuses is EINVAL before it reads the value
                return HostCalls.call(NR_SETSOCKOPT, fd, level, name, 0, len);
            }
            return HostCalls.call(NR_SETSOCKOPT, fd, level, name, s.at(OUT), len);
        });
    }

    /** Getsockopt implements Linux syscall getsockopt(2) for {@link #OPTIONS}; SO_PEERCRED's pid is the sandbox's. */
    static long getsockopt(SyscallContext c) throws FsError {
        HostTask t = c.hostTask();
        long level = c.arg(1), name = c.arg(2), valVa = c.arg(3), lenVa = c.arg(4);
        return onHeld(t, c.arg(0), fd -> {
            NativeScratch s = t.scratch();
            long sock = isSocket(fd, s);
            if (sock < 0) {
                return sock;
            }
            if (!copyIn(t, s, lenVa, ARG, 4)) {
                return Errno.EFAULT.negated();
            }
            int given = s.getInt(ARG);
            if (!listed(level, name, GET)) {
                return Errno.ENOPROTOOPT.negated();
            }
            s.putLong(LEN, Math.min(given, OPT_MAX) & 0xffffffffL);
            long r = HostCalls.call(NR_GETSOCKOPT, fd, level, name, s.at(OUT), s.at(LEN));
            if (r < 0) {
                return r;
            }
            int got = Math.max(0, Math.min(s.getInt(LEN), OPT_MAX));
            if (level == SysSocket.SOL_SOCKET && name == SO_PEERCRED && got >= 4) {
                s.putLong(ARG, sandboxPid(t, s.getInt(OUT)) & 0xffffffffL);
                s.write(OUT, bytesOf(s, ARG, 4), 0, 4);
            }
            return copyOutWithLength(t, s, valVa, got, lenVa, got);
        });
    }

    private static byte[] bytesOf(NativeScratch s, int off, int len) {
        byte[] b = new byte[len];
        s.read(off, b, 0, len);
        return b;
    }

    /** 0 when {@code fd} is a socket, else the kernel's ENOTSOCK. */
    private static long isSocket(long fd, NativeScratch s) {
        s.putLong(LEN, 4);
        long r = HostCalls.call(NR_GETSOCKOPT, fd, SysSocket.SOL_SOCKET, 3 /* SO_TYPE */, s.at(ARG), s.at(LEN));
        return r < 0 ? r : 0;
    }

    /**
     * A peer's pid as the program would see it: in the sandbox's pid space (the last of its
     * host status's NSpid), or 0 as the kernel says for a process outside the reader's pid space.
     */
    private static int sandboxPid(HostTask t, int hostPid) {
        if (hostPid <= 0) {
            return hostPid;
        }
        String status = t.hostStatus(hostPid);
        if (status == null) {
            return 0;
        }
        int at = status.indexOf("\nNSpid:");
        if (at < 0) {
            return 0;
        }
        int end = status.indexOf('\n', at + 1);
        String[] f = status.substring(at + 7, end < 0 ? status.length() : end).trim().split("\\s+");
        // the sandbox's pid space is one level below the Sentry's: a peer there has two pids
        return f.length >= 2 ? Integer.parseInt(f[f.length - 1]) : 0;
    }

    // ------------------------------------------------------------------ extended attributes

    /** XATTR_NAME_MAX, XATTR_SIZE_MAX and XATTR_LIST_MAX of the kernel. */
    private static final int XATTR_NAME_MAX = 255, XATTR_SIZE_MAX = 65536, XATTR_LIST_MAX = 65536;
    private static final int XATTR_CREATE = 1, XATTR_REPLACE = 2;

    /** The attribute names an unprivileged program reads beyond {@code user.*}: file capabilities (getcap) and POSIX ACLs. */
    private static final Set<String> READABLE = Set.of("security.capability",
            "system.posix_acl_access", "system.posix_acl_default");
    /** What it sets and removes beyond {@code user.*}: POSIX ACLs (setfacl, cp -p). */
    private static final Set<String> WRITABLE_ATTRS = Set.of("system.posix_acl_access",
            "system.posix_acl_default");

    /**
     * The errno for an attribute name a program may not name, or 0 when it may: reading,
     * {@code user.*} and {@link #READABLE}, others of a known namespace are ENODATA (absent, as
     * where no security module labels files; trusted.* is that natively without a capability);
     * setting or removing, {@code user.*} and {@link #WRITABLE_ATTRS}, trusted.* and security.*
     * EPERM as without a capability. A name of no namespace, or system.* of no handler: EOPNOTSUPP.
     */
    static int xattrName(String name, boolean change) {
        if (name.startsWith("user.")) {
            return 0;
        }
        if (change ? WRITABLE_ATTRS.contains(name) : READABLE.contains(name)) {
            return 0;
        }
        if (name.startsWith("trusted.") || name.startsWith("security.")) {
            return change ? Errno.EPERM.value() : Errno.ENODATA.value();
        }
        return Errno.EOPNOTSUPP.value();
    }

    /**
     * The attribute name at {@code va}, read once as the kernel does (at most XATTR_NAME_MAX bytes
     * and its NUL; empty or longer: ERANGE), into {@code s} at {@code off}; or a negated errno.
     */
    private static Object readName(HostTask t, NativeScratch s, long va, int off) {
        byte[] b = new byte[XATTR_NAME_MAX + 1];
        int got = 0;
        while (got < b.length) {
            int chunk = (int) Math.min(b.length - got, 4096 - ((va + got) & 4095));
            if (t.copy(false, s.at(IOV), s.at(off + got), va + got, chunk) != chunk) {
                return Errno.EFAULT.negated();
            }
            s.read(off + got, b, got, chunk);
            for (int i = got; i < got + chunk; i++) {
                if (b[i] == 0) {
                    return i == 0 ? (Object) Errno.ERANGE.negated() : new String(b, 0, i, StandardCharsets.ISO_8859_1);
                }
            }
            got += chunk;
        }
        return Errno.ERANGE.negated();
    }

    /** Fgetxattr implements Linux syscall fgetxattr(2) for the namespaces of {@link #xattrName}; at most 64 KiB. */
    static long fgetxattr(SyscallContext c) throws FsError {
        HostTask t = c.hostTask();
        long nameVa = c.arg(1), valueVa = c.arg(2);
        int size = (int) Math.min(c.arg(3) & 0xffffffffL, XATTR_SIZE_MAX); // the kernel bounds a larger buffer so
        return onHeld(t, c.arg(0), fd -> {
            try (NativeScratch s = new NativeScratch(IOV + 32 + XATTR_NAME_MAX + 1 + size)) {
                int nameAt = 32, valueAt = nameAt + XATTR_NAME_MAX + 1;
                Object name = readName(t, s, nameVa, nameAt);
                if (name instanceof Long err) {
                    return err;
                }
                int refused = xattrName((String) name, false);
                if (refused != 0) {
                    return -refused;
                }
                long r = HostCalls.call(NR_FGETXATTR, fd, s.at(nameAt), size == 0 ? 0 : s.at(valueAt), size);
                return r <= 0 || size == 0 ? r : copyOut(t, s, valueVa, valueAt, (int) r, r);
            }
        });
    }

    /** Fsetxattr implements Linux syscall fsetxattr(2) for the namespaces of {@link #xattrName}; values of 64 KiB at most (E2BIG). */
    static long fsetxattr(SyscallContext c) throws FsError {
        HostTask t = c.hostTask();
        long nameVa = c.arg(1), valueVa = c.arg(2), size = c.arg(3), flags = c.arg(4) & 0xffffffffL;
        return onHeld(t, c.arg(0), fd -> {
            if ((flags & ~(long) (XATTR_CREATE | XATTR_REPLACE)) != 0) {
                return Errno.EINVAL.negated();
            }
            try (NativeScratch s = new NativeScratch(IOV + 32 + XATTR_NAME_MAX + 1)) {
                Object name = readName(t, s, nameVa, 32);
                if (name instanceof Long err) {
                    return err;
                }
                if (Long.compareUnsigned(size, XATTR_SIZE_MAX) > 0) {
                    return Errno.E2BIG.negated();
                }
                try (NativeScratch v = new NativeScratch(IOV + 32 + (int) Math.max(1, size))) {
                    if (!copyIn(t, v, valueVa, 32, (int) size)) {
                        return Errno.EFAULT.negated();
                    }
                    int refused = xattrName((String) name, true);
                    if (refused != 0) {
                        return -refused;
                    }
                    return HostCalls.call(NR_FSETXATTR, fd, s.at(32), v.at(32), size, flags);
                }
            }
        });
    }

    /** Fremovexattr implements Linux syscall fremovexattr(2) for the namespaces of {@link #xattrName}. */
    static long fremovexattr(SyscallContext c) throws FsError {
        HostTask t = c.hostTask();
        long nameVa = c.arg(1);
        return onHeld(t, c.arg(0), fd -> {
            try (NativeScratch s = new NativeScratch(IOV + 32 + XATTR_NAME_MAX + 1)) {
                Object name = readName(t, s, nameVa, 32);
                if (name instanceof Long err) {
                    return err;
                }
                int refused = xattrName((String) name, true);
                return refused != 0 ? -refused : HostCalls.call(NR_FREMOVEXATTR, fd, s.at(32), 0);
            }
        });
    }

    /**
     * Flistxattr implements Linux syscall flistxattr(2): the names a program may read
     * ({@link #xattrName}), so that a copy of a file's attributes asks only for those.
     */
    static long flistxattr(SyscallContext c) throws FsError {
        HostTask t = c.hostTask();
        long listVa = c.arg(1);
        long size = Math.min(c.arg(2) & 0xffffffffL, XATTR_LIST_MAX);
        return onHeld(t, c.arg(0), fd -> {
            try (NativeScratch s = new NativeScratch(IOV + 32 + XATTR_LIST_MAX)) {
                long n = HostCalls.call(NR_FLISTXATTR, fd, s.at(32), XATTR_LIST_MAX);
                if (n < 0) {
                    return n;
                }
                byte[] all = new byte[(int) n];
                s.read(32, all, 0, (int) n);
                java.io.ByteArrayOutputStream kept = new java.io.ByteArrayOutputStream();
                for (int from = 0; from < n; ) {
                    int end = from;
                    while (end < n && all[end] != 0) {
                        end++;
                    }
                    String name = new String(all, from, end - from, StandardCharsets.ISO_8859_1);
                    if (end > from && xattrName(name, false) == 0) {
                        kept.write(all, from, Math.min(end + 1, (int) n) - from);
                    }
                    from = end + 1;
                }
                byte[] list = kept.toByteArray();
                if (size == 0) {
                    return list.length;
                }
                if (list.length > size) {
                    return Errno.ERANGE.negated();
                }
                s.write(32, list, 0, list.length);
                return copyOut(t, s, listVa, 32, list.length, list.length);
            }
        });
    }
}
