package dev.palisade.sandbox.nativeinterop;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.palisade.sandbox.abi.Errno;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * One TCP connection, accepted by a {@link TcpListener} or opened with {@link #open}, read
 * and written with blocking {@code read(2)} and {@code send(2)} from the thread that owns it.
 * Timeouts are the kernel's ({@code SO_RCVTIMEO}, {@code SO_SNDTIMEO}): an expired wait throws
 * {@link SocketTimeoutException} and leaves the connection usable, with no switch to
 * non-blocking mode and back around each read (which the JDK's sockets do for a read with a
 * timeout: four more system calls). Writes never raise {@code SIGPIPE}. Only {@link #abort()}
 * may be called from another thread.
 */
public final class TcpConnection implements AutoCloseable {

    /** Bytes go through one native buffer per thread: a Java array handed to a native call is copied whole both ways. */
    private static final int CHUNK = 16 * 1024;
    private static final ThreadLocal<Memory> SCRATCH = ThreadLocal.withInitial(() -> new Memory(CHUNK));

    private final int fd;
    private String remoteAddress;
    private final InputStream in = new In();
    private final OutputStream out = new Out();
    private int readTimeoutMillis, writeTimeoutMillis;
    /** What a front made of this connection ahead of its use (see {@link #attach}). */
    private volatile Object attachment;
    private boolean closed;   // guarded by this: abort() must not touch a closed (and perhaps reused) descriptor number

    TcpConnection(int fd, String remoteAddress) {
        this.fd = fd;
        this.remoteAddress = remoteAddress;
    }

    /**
     * A new TCP socket, not yet connected, with {@code TCP_NODELAY} (requests and answers leave
     * at once, whatever their size). A socket belongs for good to the network namespace of the
     * thread that makes it: one made by a thread that entered a sandbox's namespace reaches that
     * sandbox's loopback, whichever thread later connects and uses it. Made ahead, off a
     * request's path, it costs that path neither the socket nor the option.
     */
    public static TcpConnection unconnected(boolean ipv6) throws SocketException {
        int fd = SocketCalls.socket(ipv6 ? SocketCalls.AF_INET6 : SocketCalls.AF_INET,
                SocketCalls.SOCK_STREAM | SocketCalls.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw TcpListener.failure("socket", Native.getLastError());
        }
        TcpConnection c = new TcpConnection(fd, null);
        try {
            c.setNoDelay(true);
            return c;
        } catch (SocketException e) {
            c.close();
            throw e;
        }
    }

    /** A new connection to {@code address:port}, as {@link #connect(InetAddress, int, int)}. */
    public static TcpConnection open(InetAddress address, int port, int timeoutMillis) throws IOException {
        TcpConnection c = unconnected(!(address instanceof Inet4Address));
        try {
            c.connect(address, port, timeoutMillis);
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * Connects this socket to {@code address:port}, waiting at most {@code timeoutMillis} (0: as
     * long as the kernel tries). The same bound then holds for each write, until
     * {@link #setWriteTimeout}.
     *
     * @throws ConnectException nothing listens there
     * @throws SocketTimeoutException no answer in time (a full accept queue, say)
     */
    public void connect(InetAddress address, int port, int timeoutMillis) throws IOException {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        setWriteTimeout(timeoutMillis);   // SO_SNDTIMEO bounds connect(2) too (socket(7))
        byte[] sockaddr = TcpListener.sockaddr(address, port);
        long deadline = System.nanoTime() + (timeoutMillis > 0 ? timeoutMillis : 60_000) * 1_000_000L;
        boolean interrupted = false;
        while (SocketCalls.connect(fd, sockaddr, sockaddr.length) < 0) {
            int errno = Native.getLastError();
            if (errno == Errno.EINTR.value()) {
                interrupted = true;   // the handshake goes on in the kernel; connect again reports how it ends
                continue;
            }
            if (errno == Errno.EALREADY.value() && interrupted && System.nanoTime() < deadline) {
                LockSupport.parkNanos(1_000_000);
                continue;
            }
            if (errno == Errno.ECONNREFUSED.value()) {
                throw new ConnectException("Connection refused: nothing listens on " + address.getHostAddress() + ":" + port);
            }
            if (errno == Errno.EINPROGRESS.value() || errno == Errno.EALREADY.value()) {
                throw new SocketTimeoutException("connect to " + address.getHostAddress() + ":" + port + " timed out");
            }
            if (errno == Errno.EISCONN.value()) {
                break;   // the interrupted handshake completed meanwhile
            }
            throw TcpListener.failure("connect(" + address.getHostAddress() + ":" + port + ")", errno);
        }
        remoteAddress = address.getHostAddress();
    }

    /** The peer's address as text (an IPv4-mapped IPv6 address as IPv4); {@code null} before {@link #connect}. */
    public String remoteAddress() {
        return remoteAddress;
    }

    /** The local port (of a connected socket: the one the kernel picked). */
    public int localPort() throws SocketException {
        return TcpListener.boundPort(fd);
    }

    /**
     * Whether this connection, left idle, is still in step: the peer has not closed it nor sent
     * anything unasked (a closed one peeks end-of-stream, one with stray bytes peeks them).
     */
    public boolean idleAndOpen() {
        long n = SocketCalls.recv(fd, SCRATCH.get(), 1, SocketCalls.MSG_PEEK | SocketCalls.MSG_DONTWAIT);
        return n < 0 && Native.getLastError() == Errno.EAGAIN.value();
    }

    /**
     * Acknowledges what came at once rather than after the kernel's delayed-ACK timer (Linux
     * turns this off again by itself: call it before each read that should be acknowledged so).
     */
    public void quickAck() throws SocketException {
        TcpListener.check("setsockopt(TCP_QUICKACK)",
                SocketCalls.setsockopt(fd, SocketCalls.IPPROTO_TCP, SocketCalls.TCP_QUICKACK, new int[] {1}, 4));
    }

    public synchronized boolean isOpen() {
        return !closed;
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
        if (millis != writeTimeoutMillis) {
            setTimeout(SocketCalls.SO_SNDTIMEO, millis);
            writeTimeoutMillis = millis;
        }
    }

    private void setTimeout(int option, int millis) throws SocketException {
        if (millis < 0) {
            throw new IllegalArgumentException("a negative timeout: " + millis);
        }
        long[] timeval = {millis / 1000, (millis % 1000) * 1000L};
        TcpListener.check("setsockopt", SocketCalls.setsockopt(fd, SocketCalls.SOL_SOCKET, option, timeval, 16));
    }

    public void setNoDelay(boolean on) throws SocketException {
        TcpListener.check("setsockopt(TCP_NODELAY)",
                SocketCalls.setsockopt(fd, SocketCalls.IPPROTO_TCP, SocketCalls.TCP_NODELAY, new int[] {on ? 1 : 0}, 4));
    }

    /** Sends FIN after what was written; reading goes on. */
    public void shutdownOutput() throws SocketException {
        TcpListener.check("shutdown", SocketCalls.shutdown(fd, SocketCalls.SHUT_WR));
    }

    /**
     * Hands the socket over to the caller (an event-driven server that adopts it, such as
     * Netty's epoll transport), switched to non-blocking mode: this object no longer reads,
     * writes or closes it, and the caller must close the returned descriptor.
     */
    public synchronized int detachNonBlocking() throws SocketException {
        if (closed) {
            throw new SocketException("the connection is closed");
        }
        // the socket's only status flag is O_NONBLOCK (nothing here sets O_APPEND, O_ASYNC…): no F_GETFL first
        TcpListener.check("fcntl(F_SETFL)", SocketCalls.fcntl(fd, SocketCalls.F_SETFL, SocketCalls.O_NONBLOCK));
        closed = true;
        return fd;
    }

    /** The descriptor, for a front that builds its own view of the socket ahead of {@link #detachNonBlocking()}. */
    public int descriptor() {
        return fd;
    }

    /**
     * Keeps what a front made of this connection ahead of use (an event-driven front's channel
     * over {@link #descriptor()}, built while the connection waits as a standby): the front that
     * takes the connection finds it with {@link #attachment()}. It owns nothing: until
     * {@link #detachNonBlocking()}, closing this connection closes the socket.
     */
    public void attach(Object made) {
        attachment = made;
    }

    public Object attachment() {
        return attachment;
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
        /** What can be read now without waiting. */
        @Override
        public int available() throws IOException {
            int[] n = {0};
            TcpListener.check("ioctl(FIONREAD)", SocketCalls.ioctl(fd, SocketCalls.FIONREAD, n));
            return n[0];
        }

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
