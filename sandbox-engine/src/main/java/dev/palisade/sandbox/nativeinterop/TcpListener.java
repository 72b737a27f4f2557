package dev.palisade.sandbox.nativeinterop;

import static dev.palisade.sandbox.nativeinterop.SocketCalls.AF_INET;
import static dev.palisade.sandbox.nativeinterop.SocketCalls.AF_INET6;
import static dev.palisade.sandbox.nativeinterop.SocketCalls.SOCKADDR_SIZE;

import com.sun.jna.Native;
import dev.palisade.sandbox.abi.Errno;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A blocking TCP listening socket whose {@link #accept()} goes straight to the kernel's
 * {@code accept4(2)}, from any number of threads at once. The kernel keeps them in one queue and
 * wakes exactly one per new connection. The JDK's server sockets let one thread at a time into
 * {@code accept} behind a Java lock instead, so every accepted connection also hands that lock to
 * the next waiting thread: a second wake-up, on a 2-CPU host a thread switch on the other CPU.
 *
 * <p>{@link #close()} wakes every thread blocked in {@code accept} (they get an
 * {@link IOException}); the descriptor itself is closed once the last of them has left, so its
 * number cannot be reused under a late {@code accept}.
 */
public final class TcpListener implements AutoCloseable {

    /** Bit 0: closed; the rest: twice the number of threads inside {@code accept}. */
    private final AtomicInteger state = new AtomicInteger();
    private final int fd;
    private final int port;

    private TcpListener(int fd, int port) {
        this.fd = fd;
        this.port = port;
    }

    /** Listens on {@code address:port} ({@code port} 0: any free port) with {@code SO_REUSEADDR}. */
    public static TcpListener open(InetAddress address, int port, int backlog) throws IOException {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        int family = address instanceof Inet4Address ? AF_INET : AF_INET6;
        int fd = SocketCalls.socket(family, SocketCalls.SOCK_STREAM | SocketCalls.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw failure("socket", Native.getLastError());
        }
        try {
            check("setsockopt(SO_REUSEADDR)", SocketCalls.setsockopt(fd, SocketCalls.SOL_SOCKET,
                    SocketCalls.SO_REUSEADDR, new int[] {1}, 4));
            byte[] sockaddr = sockaddr(address, port);
            check("bind(" + address.getHostAddress() + ":" + port + ")", SocketCalls.bind(fd, sockaddr, sockaddr.length));
            check("listen", SocketCalls.listen(fd, backlog));
            return new TcpListener(fd, boundPort(fd));
        } catch (IOException e) {
            SocketCalls.close(fd);
            throw e;
        }
    }

    public int port() {
        return port;
    }

    /**
     * {@code TCP_DEFER_ACCEPT}: a connection is handed to {@link #accept()} only once its first
     * bytes have come (or after about {@code seconds} without any), for protocols in which the
     * client speaks first. The accepting thread then wakes once, to read, rather than twice
     * (at the handshake, then at the data); a client that connects and says nothing costs no
     * thread meanwhile.
     */
    public void deferAcceptUntilData(int seconds) throws SocketException {
        check("setsockopt(TCP_DEFER_ACCEPT)", SocketCalls.setsockopt(fd, SocketCalls.IPPROTO_TCP,
                SocketCalls.TCP_DEFER_ACCEPT, new int[] {seconds}, 4));
    }

    /**
     * Waits for the next connection. The connection is the caller's, to use from that thread
     * and to close.
     *
     * @throws SocketException the listener is closed (also when it closes during the wait)
     */
    public TcpConnection accept() throws IOException {
        enter();
        try {
            byte[] peer = new byte[SOCKADDR_SIZE];
            int[] length = {peer.length};
            while (true) {
                int c = SocketCalls.accept4(fd, peer, length, SocketCalls.SOCK_CLOEXEC);
                if (c >= 0) {
                    return new TcpConnection(c, peerAddress(peer));
                }
                int errno = Native.getLastError();
                if ((state.get() & 1) != 0) {
                    throw new SocketException("the listener is closed");
                }
                // a signal, or a connection reset while still in the backlog: wait for the next one
                if (errno != Errno.EINTR.value() && errno != Errno.ECONNABORTED.value()) {
                    throw failure("accept4", errno);
                }
                length[0] = peer.length;
            }
        } finally {
            leave();
        }
    }

    private void enter() throws SocketException {
        for (int s = state.get(); ; s = state.get()) {
            if ((s & 1) != 0) {
                throw new SocketException("the listener is closed");
            }
            if (state.compareAndSet(s, s + 2)) {
                return;
            }
        }
    }

    private void leave() {
        if (state.addAndGet(-2) == 1) {
            SocketCalls.close(fd);   // closed meanwhile, and this was the last thread inside
        }
    }

    @Override
    public void close() {
        int s = state.getAndUpdate(v -> v | 1);
        if ((s & 1) != 0) {
            return;
        }
        SocketCalls.shutdown(fd, SocketCalls.SHUT_RDWR);   // wakes every thread blocked in accept4
        if (s == 0) {
            SocketCalls.close(fd);
        }
    }

    /** The local port a socket is bound to (the one the kernel picked, for port 0 or a connect). */
    static int boundPort(int fd) throws SocketException {
        byte[] bound = new byte[SOCKADDR_SIZE];
        check("getsockname", SocketCalls.getsockname(fd, bound, new int[] {bound.length}));
        return ((bound[2] & 0xff) << 8) | (bound[3] & 0xff);   // sin_port and sin6_port: network order, same offset
    }

    static byte[] sockaddr(InetAddress address, int port) {
        byte[] ip = address.getAddress();
        boolean v4 = ip.length == 4;
        byte[] sa = new byte[v4 ? 16 : 28];
        int family = v4 ? AF_INET : AF_INET6;
        sa[0] = (byte) family;   // sa_family: host order (little-endian)
        sa[1] = (byte) (family >> 8);
        sa[2] = (byte) (port >> 8);   // the port: network order
        sa[3] = (byte) port;
        System.arraycopy(ip, 0, sa, v4 ? 4 : 8, ip.length);
        return sa;
    }

    /** The address of a {@code struct sockaddr_in} or {@code sockaddr_in6} as text; an IPv4-mapped one as IPv4. */
    static String peerAddress(byte[] sa) {
        int family = (sa[0] & 0xff) | ((sa[1] & 0xff) << 8);
        byte[] ip;
        if (family == AF_INET) {
            ip = Arrays.copyOfRange(sa, 4, 8);
        } else if (family == AF_INET6) {
            ip = Arrays.copyOfRange(sa, 8, 24);
        } else {
            return "unknown";
        }
        try {
            return InetAddress.getByAddress(ip).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("an address of " + ip.length + " bytes", e);   // cannot happen: 4 or 16
        }
    }

    /** Throws for a call that returned -1, worded as {@link #failure}. */
    static void check(String operation, long rc) throws SocketException {
        if (rc < 0) {
            throw failure(operation, Native.getLastError());
        }
    }

    /** A failed call as the {@link IOException} callers of a socket expect, worded as {@link NativeCallException}. */
    static SocketException failure(String operation, int errno) {
        return new SocketException(new NativeCallException(operation, errno).getMessage());
    }
}
