package dev.palisade.sandbox.sentry.vfs;

import dev.palisade.sandbox.abi.Errno;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

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
    private long position;

    public HostFile(FileChannel ch, Path host, int accessMode, int statusFlags, SizeLimit limit) {
        super(accessMode);
        this.ch = ch;
        this.host = host;
        this.limit = limit;
        this.statusFlags = statusFlags;
    }

    private static final int O_APPEND = 02000;

    @Override
    public long read(ByteBuffer[] dst) throws FsError {
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
    public long write(ByteBuffer[] src) throws FsError {
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
        long max = limit.maxBytes();
        if (max > 0 && offset + want > max) {
            if (offset >= max) {
                limit.exceeded();
                throw new FsError(Errno.EFBIG);
            }
            long allowed = max - offset;
            // write the part below the limit, as Linux does
            long left = allowed;
            for (ByteBuffer b : src) {
                int take = (int) Math.min(b.remaining(), left);
                b.limit(b.position() + take);
                left -= take;
            }
        }
        try {
            long total = 0;
            for (ByteBuffer b : src) {
                while (b.hasRemaining()) {
                    total += ch.write(b, offset + total);
                }
            }
            return total;
        } catch (IOException e) {
            throw new FsError(Errno.ENOSPC);
        }
    }

    @Override
    public long seek(long offset, int whence) throws FsError {
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
        try {
            long size = ch.size();
            if (length < size) {
                ch.truncate(length);
            } else if (length > size) {
                ch.write(ByteBuffer.allocate(1), length - 1);
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
        }
    }
}
