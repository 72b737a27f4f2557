package dev.palisade.sandbox.nativeinterop;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.palisade.sandbox.abi.Errno;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Objects;

/**
 * One accepted TCP connection of a {@link TcpListener}, read and written with blocking
 * {@code read(2)} and {@code send(2)} from the thread that owns it. Timeouts are the kernel's
 * ({@code SO_RCVTIMEO}, {@code SO_SNDTIMEO}): an expired wait throws
 * {@link SocketTimeoutException} and leaves the connection usable. Writes never raise
 * {@code SIGPIPE}. Only {@link #abort()} may be called from another thread.
 */
public final class TcpConnection implements AutoCloseable {

    /** Bytes go through one native buffer per thread: a Java array handed to a native call is copied whole both ways. */
    private static final int CHUNK = 16 * 1024;
    private static final ThreadLocal<Memory> SCRATCH = ThreadLocal.withInitial(() -> new Memory(CHUNK));

    private final int fd;
    private final String remoteAddress;
    private final InputStream in = new In();
    private final OutputStream out = new Out();
    private int readTimeoutMillis;
    private boolean closed;   // guarded by this: abort() must not touch a closed (and perhaps reused) descriptor number

    TcpConnection(int fd, String remoteAddress) {
        this.fd = fd;
        this.remoteAddress = remoteAddress;
    }

    /** The client's address as text (an IPv4-mapped IPv6 address as IPv4). */
    public String remoteAddress() {
        return remoteAddress;
    }

    public InputStream input() {
        return in;
    }

    /** Unbuffered: every write is a {@code send}. */
    public OutputStream output() {
        return out;
    }

    /** How long a read waits for data before {@link SocketTimeoutException}; 0: for ever. */
    public void setReadTimeout(int millis) throws SocketException {
        if (millis != readTimeoutMillis) {
            setTimeout(SocketCalls.SO_RCVTIMEO, millis);
            readTimeoutMillis = millis;
        }
    }

    /** How long a write waits for room (a client that does not read) before {@link SocketTimeoutException}; 0: for ever. */
    public void setWriteTimeout(int millis) throws SocketException {
        setTimeout(SocketCalls.SO_SNDTIMEO, millis);
    }

    private void setTimeout(int option, int millis) throws SocketException {
        if (millis < 0) {
            throw new IllegalArgumentException("a negative timeout: " + millis);
        }
        long[] timeval = {millis / 1000, (millis % 1000) * 1000L};
        if (SocketCalls.setsockopt(fd, SocketCalls.SOL_SOCKET, option, timeval, 16) < 0) {
            throw TcpListener.failure("setsockopt", Native.getLastError());
        }
    }

    public void setNoDelay(boolean on) throws SocketException {
        if (SocketCalls.setsockopt(fd, SocketCalls.IPPROTO_TCP, SocketCalls.TCP_NODELAY, new int[] {on ? 1 : 0}, 4) < 0) {
            throw TcpListener.failure("setsockopt(TCP_NODELAY)", Native.getLastError());
        }
    }

    /** Sends FIN after what was written; reading goes on. */
    public void shutdownOutput() throws SocketException {
        if (SocketCalls.shutdown(fd, SocketCalls.SHUT_WR) < 0) {
            throw TcpListener.failure("shutdown", Native.getLastError());
        }
    }

    /** From any thread: ends the connection both ways, so that the owner's blocked read returns at once. */
    public synchronized void abort() {
        if (!closed) {
            SocketCalls.shutdown(fd, SocketCalls.SHUT_RDWR);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            SocketCalls.close(fd);
        }
    }

    private final class In extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            Memory scratch = SCRATCH.get();
            while (true) {
                long n = SocketCalls.read(fd, scratch, Math.min(len, CHUNK));
                if (n > 0) {
                    scratch.read(0, b, off, (int) n);
                    return (int) n;
                }
                if (n == 0) {
                    return -1;
                }
                int errno = Native.getLastError();
                if (errno == Errno.EINTR.value()) {
                    continue;
                }
                if (errno == Errno.EAGAIN.value()) {
                    throw new SocketTimeoutException("Read timed out");
                }
                throw errno == Errno.ECONNRESET.value() ? new SocketException("Connection reset")
                        : TcpListener.failure("read", errno);
            }
        }
    }

    private final class Out extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            Memory scratch = SCRATCH.get();
            while (len > 0) {
                int chunk = Math.min(len, CHUNK);
                scratch.write(0, b, off, chunk);
                for (int sent = 0; sent < chunk; ) {
                    long n = SocketCalls.send(fd, scratch.share(sent), chunk - sent, SocketCalls.MSG_NOSIGNAL);
                    if (n >= 0) {
                        sent += (int) n;
                        continue;
                    }
                    int errno = Native.getLastError();
                    if (errno == Errno.EINTR.value()) {
                        continue;
                    }
                    if (errno == Errno.EAGAIN.value()) {
                        throw new SocketTimeoutException("Write timed out");
                    }
                    throw errno == Errno.EPIPE.value() || errno == Errno.ECONNRESET.value()
                            ? new SocketException("Connection closed by the peer")
                            : TcpListener.failure("send", errno);
                }
                off += chunk;
                len -= chunk;
            }
        }
    }
}
