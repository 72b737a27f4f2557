package dev.palisade.sandbox.sentry.vfs;

import dev.palisade.sandbox.abi.Errno;

import java.nio.ByteBuffer;

import static dev.palisade.sandbox.abi.OpenFlags.O_NONBLOCK;

/** One end of a {@link ByteQueue}: a pipe end, or the program's stdin/stdout/stderr. */
public final class QueueFile extends OpenFile {
    /** Counts output against the output limit; returns how many of {@code n} bytes may still be written. */
    public interface OutputBudget {
        long allow(long n);
    }

    private final ByteQueue queue;
    private final Interruption interruption;
    private final OutputBudget budget;
    private final long ino;

    public QueueFile(ByteQueue queue, boolean writeEnd, Interruption interruption, OutputBudget budget, long ino) {
        super(writeEnd ? 1 : 0);
        this.queue = queue;
        this.interruption = interruption;
        this.budget = budget;
        this.ino = ino;
    }

    /** Bytes the queue holds now. */
    public int available() {
        return queue.available();
    }

    @Override
    public long read(ByteBuffer[] dst) throws FsError {
        if (!readable()) {
            throw new FsError(Errno.EBADF);
        }
        try {
            long total = 0;
            for (ByteBuffer b : dst) {
                if (!b.hasRemaining()) {
                    continue;
                }
                int n = queue.read(b, total == 0 && (statusFlags & O_NONBLOCK) == 0, interruption);
                if (n <= 0) {
                    if (n == 0 && total == 0) {
                        // not an end of file: nothing there (non-blocking), or a signal or the sandbox's end came first
                        throw new FsError(nothingMoved());
                    }
                    break;
                }
                total += n;
                if (b.hasRemaining()) {
                    break;
                }
            }
            return total;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FsError(Errno.EINTR);
        }
    }

    @Override
    public long write(ByteBuffer[] src) throws FsError {
        if (!writable()) {
            throw new FsError(Errno.EBADF);
        }
        try {
            long total = 0;
            for (ByteBuffer b : src) {
                if (budget != null) {
                    long ok = budget.allow(b.remaining());
                    if (ok < b.remaining()) {
                        b.limit(b.position() + (int) ok);
                    }
                }
                int n = queue.write(b, (statusFlags & O_NONBLOCK) == 0, interruption);
                if (n < 0) {
                    if (total == 0) {
                        throw new FsError(Errno.EPIPE);
                    }
                    break;
                }
                total += n;
                if (b.hasRemaining()) {
                    break;
                }
            }
            if (total == 0 && OpenFile.total(src) > 0) {
                throw new FsError(nothingMoved());
            }
            return total;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FsError(Errno.EINTR);
        }
    }

    /**
     * A call that moved nothing: not allowed to wait (EAGAIN), or its wait was interrupted by a
     * signal or the sandbox's end — restartable, as Linux's pipe_read and pipe_write.
     */
    private Errno nothingMoved() {
        return (statusFlags & O_NONBLOCK) != 0 ? Errno.EAGAIN : Errno.ERESTARTSYS;
    }

    @Override
    public FileStat stat() {
        return FileStat.synthetic(FileStat.S_IFIFO | 0600, 0, ino);
    }

    @Override
    public int poll() {
        int ev = 0;
        if (readable()) {
            if (queue.available() > 0) {
                ev |= POLLIN;
            }
            if (queue.writerClosed()) {
                ev |= POLLHUP | POLLIN;
            }
        } else {
            if (!queue.full()) {
                ev |= POLLOUT;
            }
            if (queue.readerClosed()) {
                ev |= POLLERR;
            }
        }
        return ev;
    }

    @Override
    public WaitQueue waitQueue() {
        return readable() ? queue.readSide : queue.writeSide;
    }

    @Override
    protected void close() {
        if (writable()) {
            queue.closeWriter();
        } else {
            queue.closeReader();
        }
    }
}
