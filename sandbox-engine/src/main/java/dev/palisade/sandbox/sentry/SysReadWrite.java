package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.OpenFile;
import dev.palisade.sandbox.sentry.vfs.QueueFile;

import java.nio.ByteBuffer;

/**
 * read(2), write(2) and their positioned and vectored forms. Counts are checked as Linux checks
 * them (the descriptor first, then the range, then cut to MAX_RW_COUNT) and the transfer covers
 * only what the task can access of its buffer.
 */
final class SysReadWrite {

    private SysReadWrite() {
    }

    private static OpenFile readable(SyscallContext c, long fd) throws FsError {
        OpenFile f = c.process().file(fd);
        if (!f.readable()) {
            throw new FsError(Errno.EBADF);
        }
        return f;
    }

    private static OpenFile writable(SyscallContext c, long fd) throws FsError {
        OpenFile f = c.process().file(fd);
        if (!f.writable()) {
            throw new FsError(Errno.EBADF);
        }
        return f;
    }

    /** Read implements Linux syscall read(2). */
    static long read(SyscallContext c) throws FsError {
        OpenFile f = readable(c, c.arg(0));
        int n = SysArgs.rwCount(c.arg(1), c.arg(2));
        return n == 0 ? 0 : f.read(forPipe(f, SysArgs.buffers(c.memory(), c.arg(1), n, true), n));
    }

    /**
     * A pipe read into a buffer accessible only in part: Linux copies a pipe buffer at a time and
     * fails on one it cannot copy whole, so what the pipe holds (up to the count) must fit, else
     * only whole pages move (EFAULT when none).
     */
    private static ByteBuffer[] forPipe(OpenFile f, ByteBuffer[] b, long asked) throws FsError {
        if (!(f instanceof QueueFile q)) {
            return b;
        }
        long needed = Math.min(q.available(), asked);
        return needed == 0 ? b : SysArgs.wholePages(b, needed);
    }

    /** Write implements Linux syscall write(2). */
    static long write(SyscallContext c) throws FsError {
        OpenFile f = writable(c, c.arg(0));
        int n = SysArgs.rwCount(c.arg(1), c.arg(2));
        if (n == 0) {
            return 0;
        }
        ByteBuffer[] b = SysArgs.buffers(c.memory(), c.arg(1), n, false);
        return f.write(f instanceof QueueFile ? SysArgs.wholePages(b, n) : b);
    }

    /** Pread64 implements Linux syscall pread64(2). */
    static long pread64(SyscallContext c) throws FsError {
        if (c.arg(3) < 0) {
            return Errno.EINVAL.negated();   // checked before the descriptor, as ksys_pread64 does
        }
        OpenFile f = readable(c, c.arg(0));
        int n = SysArgs.rwCount(c.arg(1), c.arg(2));
        if (c.arg(3) > Long.MAX_VALUE - n) {
            return Errno.EINVAL.negated();
        }
        return n == 0 ? 0 : f.pread(SysArgs.buffers(c.memory(), c.arg(1), n, true), c.arg(3));
    }

    /** Pwrite64 implements Linux syscall pwrite64(2). */
    static long pwrite64(SyscallContext c) throws FsError {
        if (c.arg(3) < 0) {
            return Errno.EINVAL.negated();   // checked before the descriptor, as ksys_pwrite64 does
        }
        OpenFile f = writable(c, c.arg(0));
        int n = SysArgs.rwCount(c.arg(1), c.arg(2));
        if (c.arg(3) > Long.MAX_VALUE - n) {
            return Errno.EINVAL.negated();
        }
        return n == 0 ? 0 : f.pwrite(SysArgs.buffers(c.memory(), c.arg(1), n, false), c.arg(3));
    }

    /** Readv implements Linux syscall readv(2). */
    static long readv(SyscallContext c) throws FsError {
        OpenFile f = readable(c, c.arg(0));
        SysArgs.Iov v = SysArgs.iovecs(c.memory(), c.arg(1), c.arg(2), true);
        return v.buffers().length == 0 ? 0 : f.read(forPipe(f, v.buffers(), v.asked()));
    }

    /** Writev implements Linux syscall writev(2). */
    static long writev(SyscallContext c) throws FsError {
        OpenFile f = writable(c, c.arg(0));
        SysArgs.Iov v = SysArgs.iovecs(c.memory(), c.arg(1), c.arg(2), false);
        if (v.buffers().length == 0) {
            return 0;
        }
        return f.write(f instanceof QueueFile ? SysArgs.wholePages(v.buffers(), v.asked()) : v.buffers());
    }
}
