package dev.palisade.sandbox.sentry.vfs;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * A bounded byte pipe between a sandbox and the code that embeds it (stdin, stdout, stderr) or
 * between two descriptors of one sandbox. Writers block while it is full and readers while it is
 * empty, woken at once by a signal for the waiting thread ({@link Interruption}) and waiting in
 * short slices so that an ended sandbox never leaves a thread stuck.
 */
public final class ByteQueue {
    /** Bytes allocated up front: a sandbox's output queues (4 MiB each) cost ~0.5 ms each to zero at start-up otherwise. */
    private static final int INITIAL = 64 << 10;

    private final int capacity;
    private byte[] buf;
    private int head;
    private int count;
    private boolean writerClosed;
    private boolean readerClosed;
    /** Announces data or the writer's end to the reading side; space or the reader's end to the writing side. */
    public final WaitQueue readSide = new WaitQueue(), writeSide = new WaitQueue();

    public ByteQueue(int capacity) {
        this.capacity = capacity;
        this.buf = new byte[Math.min(capacity, INITIAL)];
    }

    /** Doubles the buffer (up to the capacity) when full, keeping the bytes in order. */
    private void grow() {
        int size = (int) Math.min(capacity, 2L * buf.length);
        byte[] b = new byte[size];
        int first = Math.min(count, buf.length - head);
        System.arraycopy(buf, head, b, 0, first);
        System.arraycopy(buf, 0, b, first, count - first);
        buf = b;
        head = 0;
    }

    public synchronized int available() {
        return count;
    }

    public synchronized boolean writerClosed() {
        return writerClosed;
    }

    public synchronized boolean readerClosed() {
        return readerClosed;
    }

    public synchronized boolean full() {
        return count == capacity;
    }

    public synchronized void closeWriter() {
        writerClosed = true;
        notifyAll();
        readSide.changed();
    }

    public synchronized void closeReader() {
        readerClosed = true;
        notifyAll();
        writeSide.changed();
    }

    /**
     * Reads up to {@code dst.remaining()} bytes; blocks while empty unless {@code block} is false.
     * Returns -1 at end of stream, 0 when nothing is there and not blocking or the wait was
     * interrupted.
     */
    public synchronized int read(ByteBuffer dst, boolean block, Interruption interruption) throws InterruptedException {
        while (count == 0) {
            if (writerClosed) {
                return -1;
            }
            if (!block || !interruption.await(this, 20)) {
                return 0;
            }
        }
        int n = Math.min(count, dst.remaining());
        int first = Math.min(n, buf.length - head);
        dst.put(buf, head, first);
        dst.put(buf, 0, n - first);
        head = (head + n) % buf.length;
        count -= n;
        notifyAll();
        writeSide.changed(OpenFile.POLLOUT);
        return n;
    }

    /**
     * Writes all of {@code src}, blocking while full; returns the number written, which is less
     * when the reader went away ({@code -1} if it had gone before anything was written) or the
     * wait was interrupted.
     */
    public synchronized int write(ByteBuffer src, boolean block, Interruption interruption) throws InterruptedException {
        int written = 0;
        while (src.hasRemaining()) {
            if (readerClosed) {
                return written == 0 ? -1 : written;
            }
            if (count == buf.length && buf.length < capacity) {
                grow();
            }
            if (count == buf.length) {
                if (!block || !interruption.await(this, 20)) {
                    return written;
                }
                continue;
            }
            int tail = (head + count) % buf.length;
            int n = Math.min(src.remaining(), buf.length - count);
            int first = Math.min(n, buf.length - tail);
            src.get(buf, tail, first);
            src.get(buf, 0, n - first);
            count += n;
            written += n;
            notifyAll();
            readSide.changed(OpenFile.POLLIN);
        }
        return written;
    }

    /** The reading end as a stream (stdout/stderr for the embedder). */
    public InputStream inputStream() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                try {
                    int n = ByteQueue.this.read(ByteBuffer.wrap(b, off, len), true, Interruption.NEVER);
                    return n;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException();
                }
            }

            @Override
            public int available() {
                return ByteQueue.this.available();
            }

            @Override
            public void close() {
                closeReader();
            }
        };
    }

    /** The writing end as a stream (stdin for the embedder). */
    public OutputStream outputStream() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    int n = ByteQueue.this.write(ByteBuffer.wrap(b, off, len), true, Interruption.NEVER);
                    if (n < len) {
                        throw new IOException("the sandbox no longer reads its standard input");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException();
                }
            }

            @Override
            public void close() {
                closeWriter();
            }
        };
    }
}
