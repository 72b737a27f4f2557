package dev.palisade.sandbox.sentry.net;

import dev.palisade.sandbox.nativeinterop.TcpConnection;
import dev.palisade.sandbox.sentry.vfs.Interruption;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * The virtual network of one sandbox whose Sentry implements sockets itself (the KVM platform):
 * a loopback with no interface behind it. Programs listen on its ports; the only way in is
 * {@link #connect(int)}, called by the embedding code (the ingress), which hands the caller one
 * end of a fresh host socket pair and queues the other end on the listening socket of that port.
 * Nothing the program does opens a host socket or reaches the host's network.
 *
 * <p>Threads: the vCPU thread owns the selector and every {@link SocketFile}; {@link #connect}
 * and {@link #wakeup} may be called from any thread.
 */
public final class Loopback {
    /** First port handed out for bind(port 0), as Linux's default ip_local_port_range. */
    static final int EPHEMERAL_LOW = 32768, EPHEMERAL_HIGH = 60999;
    /** The host's own loopback answers at once; this only bounds a stuck kernel. */
    private static final int PAIR_TIMEOUT_MILLIS = 5000;

    private final Map<Integer, SocketFile> ports = new ConcurrentHashMap<>();
    /** The sandbox's AF_UNIX names: its other network, which never reaches the host either. */
    public final UnixNames unixNames = new UnixNames();
    /**
     * Files watched by all epoll sets of the sandbox, bounded as Linux's max_user_watches bounds
     * a user's: this object is the one every process of the sandbox shares.
     */
    public final java.util.concurrent.atomic.AtomicInteger epollWatches = new java.util.concurrent.atomic.AtomicInteger();
    private final boolean reachable;
    private final BooleanSupplier ended;
    private volatile Selector selector;
    private volatile boolean closed;
    private int nextEphemeral = EPHEMERAL_LOW;

    /**
     * @param reachable whether {@link #connect} may reach the program (network policy LOOPBACK)
     * @param ended true once the sandbox is ending: blocked calls give up
     */
    public Loopback(boolean reachable, BooleanSupplier ended) {
        this.reachable = reachable;
        this.ended = ended;
    }

    boolean ended() {
        return ended.getAsBoolean() || closed;
    }

    /** What a call blocked on one of these sockets looks at for a signal to its thread (set by the platform). */
    public volatile Interruption calls = Interruption.NEVER;

    /** Whether a blocked call must stop waiting: the sandbox is ending, or a signal for the calling thread is pending. */
    boolean interrupted() {
        return ended() || calls.interrupted();
    }

    /**
     * Opens a connection to the program listening on {@code port}: the caller gets a connected
     * {@link TcpConnection} whose peer waits in that socket's accept queue.
     *
     * @throws ConnectException when nothing listens there or its queue is full
     * @throws IOException when the sandbox has ended or does not allow connections in
     */
    public TcpConnection connect(int port) throws IOException {
        if (!reachable) {
            throw new ConnectException("the sandbox's network policy is NONE: nothing can connect to it");
        }
        if (ended()) {
            throw new IOException("the sandbox has ended");
        }
        SocketFile listener = ports.get(port);
        if (listener == null || !listener.listening()) {
            throw new ConnectException("connection refused: nothing listens on port " + port + " in the sandbox");
        }
        HostPair pair = hostPair();
        if (!listener.enqueue(pair.sandboxEnd())) {
            pair.callerEnd().close();
            pair.sandboxEnd().close();
            throw new ConnectException("connection refused: the accept queue of port " + port + " is full or closed");
        }
        wakeup();
        return pair.callerEnd();
    }

    /** The two ends of one host TCP connection: the caller's (blocking), the Sentry's (non-blocking, for its selector). */
    record HostPair(TcpConnection callerEnd, SocketChannel sandboxEnd) {
    }

    /**
     * A connected pair over the host's 127.0.0.1. The listening socket lives only for this call;
     * a connection from anyone but our own caller's end (another local process racing in) is
     * dropped.
     */
    static HostPair hostPair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
            InetSocketAddress at = (InetSocketAddress) server.getLocalAddress();
            TcpConnection caller = TcpConnection.open(at.getAddress(), at.getPort(), PAIR_TIMEOUT_MILLIS);
            try {
                int mine = caller.localPort();
                for (int tries = 0; tries < 8; tries++) {
                    SocketChannel s = server.accept();
                    InetSocketAddress peer = (InetSocketAddress) s.getRemoteAddress();
                    if (peer.getPort() == mine && peer.getAddress().isLoopbackAddress()) {
                        s.setOption(StandardSocketOptions.TCP_NODELAY, true);
                        s.configureBlocking(false);
                        return new HostPair(caller, s);
                    }
                    s.close();
                }
                throw new IOException("could not pair a connection to the sandbox");
            } catch (IOException | RuntimeException e) {
                caller.close();
                throw e;
            }
        }
    }

    /** Wakes the vCPU thread if it waits in a socket call (a connection came, or the sandbox ends). */
    public void wakeup() {
        Selector s = selector;
        if (s != null) {
            s.wakeup();
        }
    }

    /** Frees the ports and the selector; queued connections are closed (their callers see EOF). */
    public void close() {
        closed = true;
        ports.clear();
        Selector s = selector;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // nothing left to free
            }
        }
    }

    /** Claims {@code port} (0: a free ephemeral one) for {@code s}; returns the port, or -1 when taken. */
    int bind(int port, SocketFile s) {
        if (port == 0) {
            for (int i = 0; i <= EPHEMERAL_HIGH - EPHEMERAL_LOW; i++) {
                int p = nextEphemeral;
                nextEphemeral = p == EPHEMERAL_HIGH ? EPHEMERAL_LOW : p + 1;
                if (ports.putIfAbsent(p, s) == null) {
                    return p;
                }
            }
            return -1;
        }
        return ports.putIfAbsent(port, s) == null ? port : -1;
    }

    void unbind(int port, SocketFile s) {
        ports.remove(port, s);
    }

    /** Registers a connected sandbox-end channel with the selector (no interest until a call waits). */
    SelectionKey register(SocketChannel ch) throws IOException {
        return ch.register(selector(), 0);
    }

    private Selector selector() throws IOException {
        Selector s = selector;
        if (s == null) {
            s = Selector.open();
            selector = s;
            if (closed) {
                s.close();
            }
        }
        return s;
    }

    /** The operations among {@code interest} that {@code key}'s channel could do now without blocking. */
    int readyOps(SelectionKey key, int interest) {
        if (!key.isValid()) {
            return interest;
        }
        try {
            Selector s = selector();
            key.interestOps(interest);
            s.selectedKeys().clear();
            s.selectNow();
            int r = s.selectedKeys().contains(key) ? key.readyOps() & interest : 0;
            key.interestOps(0);
            s.selectedKeys().clear();
            return r;
        } catch (IOException | RuntimeException e) {
            return interest;   // a broken channel is "ready": the call itself reports the error
        }
    }

    /**
     * Waits at most {@code millis} until one of {@code keys} may be ready for its interest (in
     * the same order as {@code interests}), a connection arrives, or {@link #wakeup()}. Never
     * longer than the slice: callers loop and look at the sandbox's state between waits.
     */
    public void await(SelectionKey[] keys, int[] interests, int n, long millis) {
        if (ended()) {
            return;
        }
        Interruption calling = calls;
        calling.blockedOn(this::wakeup);   // before the look: a signal raised after it wakes the select
        try {
            if (calling.interrupted()) {
                return;
            }
            Selector s = selector();
            for (int i = 0; i < n; i++) {
                if (keys[i].isValid()) {
                    keys[i].interestOps(interests[i]);
                }
            }
            s.selectedKeys().clear();
            s.select(Math.max(1, millis));
            for (int i = 0; i < n; i++) {
                if (keys[i].isValid()) {
                    keys[i].interestOps(0);
                }
            }
            s.selectedKeys().clear();
        } catch (IOException | RuntimeException e) {
            // closed under us: the sandbox is ending, callers see that next
        } finally {
            calling.blockedOn(null);
        }
    }

    /** Whether {@link #connect} can reach programs in this sandbox at all. */
    public boolean reachable() {
        return reachable;
    }
}
