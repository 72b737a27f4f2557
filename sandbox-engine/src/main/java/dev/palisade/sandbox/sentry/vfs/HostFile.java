package dev.palisade.sandbox.sentry.vfs;

import dev.palisade.sandbox.abi.Errno;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

import static dev.palisade.sandbox.abi.OpenFlags.O_APPEND;

/** A regular host file opened through the virtual filesystem. */
public final class HostFile extends OpenFile {
    /** Called when a write would pass the file-size limit (the process gets SIGXFSZ). */
    public interface SizeLimit {
        long maxBytes();

        void exceeded();
    }

    private final FileChannel ch;
    private final Path host;
    private final SizeLimit limit;
    /** The disk bound of the file's mount and the file's account in it; both null when unbounded. */
    private final DiskBound bound;
    private final DiskBound.Node node;
    /**
     * The shared offset: read, write and seek hold this object's monitor, so threads and
     * processes sharing the description never lose an update (as Linux's f_pos_lock).
     */
    private long position;

    public HostFile(FileChannel ch, Path host, int accessMode, int statusFlags, SizeLimit limit) {
        this(ch, host, accessMode, statusFlags, limit, null, null);
    }

    /** A file of a mount with a disk bound: {@code node} is its account in {@code bound}, held open until {@link #close}. */
    public HostFile(FileChannel ch, Path host, int accessMode, int statusFlags, SizeLimit limit, DiskBound bound,
            DiskBound.Node node) {
        super(accessMode);
        this.ch = ch;
        this.host = host;
        this.limit = limit;
        this.statusFlags = statusFlags;
        this.bound = bound;
        this.node = node;
        if (bound != null) {
            bound.opened(node);
        }
    }


    @Override
    public synchronized long read(ByteBuffer[] dst) throws FsError {
        long n = pread(dst, position);
        position += n;
        return n;
    }

    @Override
    public long pread(ByteBuffer[] dst, long offset) throws FsError {
        if (!readable()) {
            throw new FsError(Errno.EBADF);
        }
        try {
            long total = 0;
            for (ByteBuffer b : dst) {
                while (b.hasRemaining()) {
                    int n = ch.read(b, offset + total);
                    if (n <= 0) {
                        return total;
                    }
                    total += n;
                }
            }
            return total;
        } catch (IOException e) {
            throw new FsError(Errno.EIO);
        }
    }

    @Override
    public synchronized long write(ByteBuffer[] src) throws FsError {
        try {
            if ((statusFlags & O_APPEND) != 0) {
                position = ch.size();
            }
        } catch (IOException e) {
            throw new FsError(Errno.EIO);
        }
        long n = pwrite(src, position);
        position += n;
        return n;
    }

    @Override
    public long pwrite(ByteBuffer[] src, long offset) throws FsError {
        if (!writable()) {
            throw new FsError(Errno.EBADF);
        }
        long want = total(src);
        if (offset < 0 || offset > Long.MAX_VALUE - want) {
            throw new FsError(Errno.EFBIG);   // past the largest offset a file can have
        }
        long max = limit.maxBytes();
        if (max > 0 && offset + want > max) {
            if (offset >= max) {
                limit.exceeded();
                throw new FsError(Errno.EFBIG);
            }
            want = cut(src, max - offset);   // write the part below the limit, as Linux does
        }
        if (bound != null) {
            long fits = bound.fit(node, offset, want);   // ENOSPC when nothing fits
            if (fits < want) {
                want = cut(src, fits);
            }
        }
        long total = 0;
        try {
            for (ByteBuffer b : src) {
                while (b.hasRemaining()) {
                    total += ch.write(b, offset + total);
                }
            }
            return total;
        } catch (IOException e) {
            throw new FsError(Errno.ENOSPC);
        } finally {
            if (bound != null && total > 0 && offset + total > bound.size(node)) {
                bound.sized(node, offset + total);
            }
        }
    }

    /** Limits the buffers to their first {@code allowed} bytes; returns how many that is. */
    private static long cut(ByteBuffer[] src, long allowed) {
        long left = allowed;
        for (ByteBuffer b : src) {
            int take = (int) Math.min(b.remaining(), left);
            b.limit(b.position() + take);
            left -= take;
        }
        return allowed - left;
    }

    @Override
    public synchronized long seek(long offset, int whence) throws FsError {
        long base;
        try {
            base = switch (whence) {
                case 0 -> 0;
                case 1 -> position;
                case 2 -> ch.size();
                default -> throw new FsError(Errno.EINVAL);
            };
        } catch (IOException e) {
            throw new FsError(Errno.EIO);
        }
        long p = base + offset;
        if (p < 0) {
            throw new FsError(Errno.EINVAL);
        }
        position = p;
        return p;
    }

    /** The host file, for calls that change its attributes (the Sentry checked the mount when it opened it). */
    @Override
    public Path hostPath() {
        return host;
    }

    @Override
    public FileStat stat() throws FsError {
        try {
            return FileStat.ofHost(host);
        } catch (IOException e) {
            throw new FsError(Errno.EIO);
        }
    }

    @Override
    public void truncate(long length) throws FsError {
        if (!writable()) {
            throw new FsError(Errno.EINVAL);
        }
        long max = limit.maxBytes();
        if (max > 0 && length > max) {
            limit.exceeded();
            throw new FsError(Errno.EFBIG);
        }
        if (length < 0) {
            throw new FsError(Errno.EINVAL);
        }
        try {
            long size = ch.size();
            if (bound != null) {
                bound.resize(node, length);   // ENOSPC past the bound; a sparse file counts at its full size
            }
            if (length < size) {
                ch.truncate(length);
            } else if (length > size) {
                ch.write(ByteBuffer.allocate(1), length - 1);
            }
        } catch (IOException e) {
            throw new FsError(Errno.EIO);
        }
    }

    /**
     * fallocate(2) mode 0: the file is at least {@code offset + length} bytes long afterwards, and
     * (the bound counting every file at its full size) writes inside it never get ENOSPC.
     */
    public void allocate(long offset, long length) throws FsError {
        if (offset < 0 || length <= 0) {
            throw new FsError(Errno.EINVAL);
        }
        if (offset > Long.MAX_VALUE - length) {
            throw new FsError(Errno.EFBIG);
        }
        if (!writable()) {
            throw new FsError(Errno.EBADF);
        }
        try {
            if (offset + length > ch.size()) {
                truncate(offset + length);
            }
        } catch (IOException e) {
            throw new FsError(Errno.EIO);
        }
    }

    @Override
    protected void close() {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to report to a program that is closing
        } finally {
            if (bound != null) {
                bound.closed(node);
            }
        }
    }
}
