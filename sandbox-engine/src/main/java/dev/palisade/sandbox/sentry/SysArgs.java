package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.abi.OpenFlags;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.VirtualFs;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Argument checks shared by handlers, as Linux makes them: user ranges ({@code access_ok}),
 * read/write counts, iovec arrays, paths. Each bounds what follows by the task's own memory.
 */
final class SysArgs {
    /** Highest user address + 1 on x86-64 with 4-level paging, less the guard page ({@code TASK_SIZE_MAX}). */
    static final long TASK_SIZE_MAX = (1L << 47) - AddressSpace.PAGE;
    /** The most one read or write moves ({@code MAX_RW_COUNT}). */
    static final long MAX_RW_COUNT = 0x7ffff000L;
    /** {@code UIO_MAXIOV}. */
    static final int MAX_IOV = 1024;
    /** {@code PATH_MAX}. */
    static final int PATH_MAX = 4096;

    private SysArgs() {
    }

    /** Linux's {@code access_ok}: [va, va+len) lies in the user half (len unsigned). */
    static boolean userRange(long va, long len) {
        return Long.compareUnsigned(len, TASK_SIZE_MAX) <= 0 && Long.compareUnsigned(va, TASK_SIZE_MAX - len) <= 0;
    }

    /** A read or write count: EFAULT outside the user half, then cut to {@link #MAX_RW_COUNT}. */
    static int rwCount(long buf, long count) throws FsError {
        if (!userRange(buf, count)) {
            throw new FsError(Errno.EFAULT);
        }
        return (int) Math.min(count, MAX_RW_COUNT);
    }

    /** The accessible part of a non-empty buffer; EFAULT when not even its first byte is. */
    static ByteBuffer[] buffers(TaskMemory mem, long buf, int n, boolean intoTask) throws FsError {
        ByteBuffer[] b = mem.accessible(buf, n, intoTask);
        if (b.length == 0) {
            throw new FsError(Errno.EFAULT);
        }
        return b;
    }

    /**
     * The buffers of an iovec array as {@code import_iovec} takes them: at most {@link #MAX_IOV}
     * entries, no negative length, the total cut to {@link #MAX_RW_COUNT}; the transfer stops at
     * the first byte the task cannot access. Empty when there is nothing to move.
     */
    static Iov iovecs(TaskMemory mem, long iov, long cnt, boolean intoTask) throws FsError {
        if (cnt < 0 || cnt > MAX_IOV) {
            throw new FsError(Errno.EINVAL);
        }
        if (cnt == 0) {
            return new Iov(new ByteBuffer[0], 0);
        }
        if (!userRange(iov, 16 * cnt)) {
            throw new FsError(Errno.EFAULT);
        }
        byte[] raw = mem.read(iov, (int) (16 * cnt));
        ByteBuffer v = ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long[] base = new long[(int) cnt];
        long[] len = new long[(int) cnt];
        long total = 0;
        for (int i = 0; i < cnt; i++) {   // every length first (copying the array), then every range
            base[i] = v.getLong(16 * i);
            len[i] = v.getLong(16 * i + 8);
            if (len[i] < 0) {
                throw new FsError(Errno.EINVAL);
            }
        }
        for (int i = 0; i < cnt; i++) {
            // one iovec is cut to what the call may move before its range check, several after theirs, as Linux does
            if (cnt == 1) {
                len[i] = Math.min(len[i], MAX_RW_COUNT);
            }
            if (!userRange(base[i], len[i])) {
                throw new FsError(Errno.EFAULT);
            }
            len[i] = Math.min(len[i], MAX_RW_COUNT - total);
            total += len[i];
        }
        List<ByteBuffer> out = new ArrayList<>();
        for (int i = 0; i < cnt; i++) {
            if (len[i] == 0) {
                continue;
            }
            ByteBuffer[] b = mem.accessible(base[i], (int) len[i], intoTask);
            long got = 0;
            for (ByteBuffer x : b) {
                out.add(x);
                got += x.remaining();
            }
            if (got < len[i]) {
                if (out.isEmpty()) {
                    throw new FsError(Errno.EFAULT);
                }
                break;
            }
        }
        return new Iov(out.toArray(new ByteBuffer[0]), total);
    }

    /** The buffers an iovec array reaches, and the bytes it asked to move (after the MAX_RW_COUNT cut). */
    record Iov(ByteBuffer[] buffers, long asked) {
    }

    /**
     * What a pipe takes of a write whose buffer is accessible only in part: Linux copies into the
     * pipe a page at a time and drops a page it could not fill, so the write moves the whole pages
     * of the accessible part (EFAULT when that is none).
     */
    static ByteBuffer[] wholePages(ByteBuffer[] b, long asked) throws FsError {
        long total = 0;
        for (ByteBuffer x : b) {
            total += x.remaining();
        }
        if (total >= asked) {
            return b;
        }
        long keep = total & ~(AddressSpace.PAGE - 1);
        if (keep == 0) {
            throw new FsError(Errno.EFAULT);
        }
        List<ByteBuffer> out = new ArrayList<>();
        for (ByteBuffer x : b) {
            if (keep == 0) {
                break;
            }
            int take = (int) Math.min(x.remaining(), keep);
            out.add(x.slice(x.position(), take));
            keep -= take;
        }
        return out.toArray(new ByteBuffer[0]);
    }

    /** A path argument: EFAULT for a bad pointer, ENAMETOOLONG past {@link #PATH_MAX}, ENOENT when empty. */
    static String path(TaskMemory mem, long va) throws FsError {
        String s = rawPath(mem, va);
        if (s.isEmpty()) {
            throw new FsError(Errno.ENOENT);
        }
        return s;
    }

    /** A path argument that may be empty (AT_EMPTY_PATH). */
    static String rawPath(TaskMemory mem, long va) throws FsError {
        if (!userRange(va, 1)) {
            throw new FsError(Errno.EFAULT);
        }
        String s = mem.readCString(va, PATH_MAX);
        if (s == null) {
            throw new FsError(Errno.ENAMETOOLONG);
        }
        return s;
    }

    /** The directory a relative path starts from: the cwd, or the directory {@code dirfd} names. */
    static String base(VirtualProcess p, long dirfd, String path) throws FsError {
        if (path.startsWith("/") || (int) dirfd == OpenFlags.AT_FDCWD) {
            return p.cwd;
        }
        String d = p.file(dirfd).directoryPath();
        if (d == null) {
            throw new FsError(Errno.ENOTDIR);
        }
        return d;
    }

    static VirtualFs.Resolved resolve(SyscallContext c, long dirfd, long pathVa, boolean follow) throws FsError {
        VirtualProcess p = c.process();
        String path = path(c.memory(), pathVa);
        return p.fs.resolve(c.pid(), base(p, dirfd, path), path, follow);
    }

    /** A struct timespec: EINVAL for a negative second or nanoseconds outside [0, 1e9); nanoseconds, saturated. */
    static long timespec(TaskMemory mem, long va) throws FsError {
        long s = mem.readLong(va), ns = mem.readLong(va + 8);
        if (s < 0 || ns < 0 || ns >= 1_000_000_000L) {
            throw new FsError(Errno.EINVAL);
        }
        return s >= Long.MAX_VALUE / 1_000_000_000L - 1 ? Long.MAX_VALUE : s * 1_000_000_000L + ns;
    }
}
