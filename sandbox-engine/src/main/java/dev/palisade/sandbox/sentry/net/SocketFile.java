package dev.palisade.sandbox.sentry.net;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.vfs.FileStat;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.OpenFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

import static dev.palisade.sandbox.abi.OpenFlags.O_NONBLOCK;

/**
 * A TCP socket of the sandbox's {@link Loopback}: created unbound, then either bound and
 * listening (its accept queue holds the sandbox ends of connections made by
 * {@link Loopback#connect}) or connected (an accepted connection, backed by one end of a host
 * socket pair). Blocking calls wait on the loopback's selector in short slices, so they cost no
 * CPU while waiting and give up as soon as the sandbox is ending.
 */
public final class SocketFile extends OpenFile {
    public static final int AF_INET = 2, AF_INET6 = 10;
    public static final int S_IFSOCK = 0140000;
    /** Longest single wait before looking at the sandbox's state again. */
    static final long SLICE_MILLIS = 20;
    private static final int SOMAXCONN = 4096;
    /** Most bytes one MSG_PEEK looks at: what it reads ahead is kept here, so the program may not choose it. */
    static final int PEEK_MAX = 64 << 10;

    private enum State { NEW, BOUND, LISTENING, CONNECTED }

    private final Loopback net;
    public final int family;
    private final long ino;
    private volatile State state = State.NEW;
    private int port;
    /** The address it was bound to (4 or 16 bytes; all zero for "any"). */
    private byte[] boundAddress;
    private int peerPort;
    private final Map<Long, Integer> options = new HashMap<>();

    // listening: guarded by this (Loopback.connect adds from other threads)
    private final ArrayDeque<SocketChannel> queue = new ArrayDeque<>();
    private int backlog;
    private boolean queueClosed;

    // connected
    private SocketChannel channel;
    private SelectionKey key;
    private boolean readShut;
    private boolean writeShut;
    /** Bytes a MSG_PEEK read from the channel that no read has taken yet (flipped: ready to get), or null. */
    private ByteBuffer peeked;
    /** SO_RCVTIMEO and SO_SNDTIMEO in ns; 0 waits for ever. */
    public volatile long receiveTimeout, sendTimeout;

    public SocketFile(Loopback net, int family, long ino) {
        super(2);
        this.net = net;
        this.family = family;
        this.ino = ino;
    }

    private SocketFile(Loopback net, int family, long ino, SocketChannel ch, int localPort, byte[] local) throws IOException {
        this(net, family, ino);
        this.channel = ch;
        this.key = net.register(ch);
        this.state = State.CONNECTED;
        this.port = localPort;
        this.boundAddress = local;
        this.peerPort = ((java.net.InetSocketAddress) ch.getRemoteAddress()).getPort();
    }

    private boolean nonBlocking() {
        return (statusFlags & O_NONBLOCK) != 0;
    }

    boolean listening() {
        return state == State.LISTENING;
    }

    public boolean connected() {
        return state == State.CONNECTED;
    }

    // ------------------------------------------------------------------ set-up

    /** bind(2) to {@code address} (4 or 16 bytes) and {@code port}: only loopback and "any" exist here. */
    public void bind(byte[] address, int port) throws FsError {
        if (state != State.NEW) {
            throw new FsError(Errno.EINVAL);
        }
        if (!localAddress(address)) {
            throw new FsError(Errno.EADDRNOTAVAIL);
        }
        if (port < 0 || port > 65535) {
            throw new FsError(Errno.EINVAL);
        }
        int got = net.bind(port, this);
        if (got < 0) {
            throw new FsError(Errno.EADDRINUSE);
        }
        this.port = got;
        this.boundAddress = address.clone();
        state = State.BOUND;
    }

    /** Whether an address names this sandbox's loopback: any, 127/8, ::, ::1 or ::ffff:127.x. */
    public static boolean localAddress(byte[] a) {
        if (a.length == 4) {
            return (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0) || a[0] == 127;
        }
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        boolean mapped = a[10] == (byte) 0xff && a[11] == (byte) 0xff;
        if (mapped) {
            return a[12] == 127 || (a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] == 0);
        }
        if (a[10] != 0 || a[11] != 0 || a[12] != 0 || a[13] != 0 || a[14] != 0) {
            return false;
        }
        return a[15] == 0 || a[15] == 1;
    }

    public void listen(int requested) throws FsError {
        if (state == State.NEW) {
            bind(new byte[family == AF_INET ? 4 : 16], 0);   // Linux binds an ephemeral port
        }
        if (state != State.BOUND && state != State.LISTENING) {
            throw new FsError(Errno.EINVAL);
        }
        synchronized (this) {
            backlog = Math.max(1, Math.min(requested <= 0 ? 1 : requested, SOMAXCONN));
            state = State.LISTENING;
        }
    }

    /** Called by {@link Loopback#connect}: queues a connection unless the queue is full or closed. */
    synchronized boolean enqueue(SocketChannel ch) {
        if (queueClosed || state != State.LISTENING || queue.size() >= backlog) {
            return false;
        }
        queue.add(ch);
        return true;
    }

    /**
     * accept(2): the next queued connection as a new connected socket, waiting for one unless
     * non-blocking ({@code EAGAIN}), a signal for the calling thread comes or the sandbox is
     * ending ({@link #interrupted}'s errno).
     */
    public SocketFile accept(long ino) throws FsError {
        if (state != State.LISTENING) {
            throw new FsError(Errno.EINVAL);
        }
        long until = deadline(receiveTimeout);
        while (true) {
            SocketChannel ch;
            synchronized (this) {
                ch = queue.poll();
            }
            if (ch != null) {
                try {
                    return new SocketFile(net, family, ino, ch, port, boundAddress);
                } catch (IOException | RuntimeException e) {
                    close(ch);   // the caller gave up already, or the sandbox is ending (selector closed)
                    if (net.ended()) {
                        throw new FsError(Errno.EINTR);
                    }
                    continue;
                }
            }
            if (nonBlocking()) {
                throw new FsError(Errno.EAGAIN);
            }
            if (net.interrupted()) {
                throw new FsError(interrupted(until));
            }
            if (System.nanoTime() >= until) {
                throw new FsError(Errno.EAGAIN);
            }
            net.await(new SelectionKey[0], new int[0], 0, SLICE_MILLIS);
        }
    }

    /** A wait a signal or the sandbox's end interrupted: restartable, unless it had a timeout, as Linux's sock_intr_errno. */
    private static Errno interrupted(long until) {
        return until == Long.MAX_VALUE ? Errno.ERESTARTSYS : Errno.EINTR;
    }

    private static long deadline(long timeoutNs) {
        return timeoutNs <= 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNs;
    }

    // ------------------------------------------------------------------ data

    @Override
    public long read(ByteBuffer[] dst) throws FsError {
        return receive(dst, nonBlocking(), false, false);
    }

    /** Moves what a peek kept into {@code dst} ({@code keep}: copies it, for another peek); the count. */
    private long takePeeked(ByteBuffer[] dst, boolean keep) {
        if (peeked == null) {
            return 0;
        }
        ByteBuffer src = keep ? peeked.duplicate() : peeked;
        long n = 0;
        for (ByteBuffer b : dst) {
            int k = Math.min(b.remaining(), src.remaining());
            b.put(b.position(), src, src.position(), k);
            b.position(b.position() + k);
            src.position(src.position() + k);
            n += k;
        }
        if (!peeked.hasRemaining()) {
            peeked = null;
        }
        return n;
    }

    /**
     * recv: {@code dontWait} for MSG_DONTWAIT, {@code waitAll} for MSG_WAITALL, {@code peek} for
     * MSG_PEEK (what it reads from the channel is kept for the next read; at most
     * {@link #PEEK_MAX} bytes are looked at).
     */
    public long receive(ByteBuffer[] dst, boolean dontWait, boolean waitAll, boolean peek) throws FsError {
        if (state != State.CONNECTED) {
            throw new FsError(Errno.ENOTCONN);
        }
        if (readShut || OpenFile.total(dst) == 0) {
            return 0;
        }
        long until = deadline(receiveTimeout);
        if (peek) {
            return peek(dst, dontWait, until);
        }
        long total = takePeeked(dst, false);   // then what the channel has besides, as one read would
        while (true) {
            long n;
            try {
                n = channel.read(dst);
            } catch (IOException e) {
                if (total > 0) {
                    return total;
                }
                throw new FsError(Errno.ECONNRESET);
            }
            if (n < 0) {
                return total;
            }
            total += n;
            if (total > 0 && (!waitAll || OpenFile.total(dst) == 0)) {
                return total;
            }
            long done = partialOrWait(total, dontWait, SelectionKey.OP_READ, until);
            if (done >= 0) {
                return done;
            }
        }
    }

    /** MSG_PEEK: tops up what was kept with what the channel has now (waiting for a first byte), then copies it. */
    private long peek(ByteBuffer[] dst, boolean dontWait, long until) throws FsError {
        int want = (int) Math.min(OpenFile.total(dst), PEEK_MAX);
        while (true) {
            int have = peeked == null ? 0 : peeked.remaining();
            if (have < want) {
                ByteBuffer more = ByteBuffer.allocate(want - have);
                int n;
                try {
                    n = channel.read(more);
                } catch (IOException e) {
                    n = have > 0 ? 0 : -2;
                }
                if (n == -2) {
                    throw new FsError(Errno.ECONNRESET);
                }
                if (n > 0) {
                    more.flip();
                    ByteBuffer all = ByteBuffer.allocate(have + n);
                    if (peeked != null) {
                        all.put(peeked);
                    }
                    all.put(more).flip();
                    peeked = all;
                    have = all.remaining();
                }
                if (n < 0 && have == 0) {
                    return 0;   // end of stream
                }
            }
            if (have > 0) {
                return takePeeked(dst, true);
            }
            partialOrWait(0, dontWait, SelectionKey.OP_READ, until);
        }
    }

    @Override
    public long write(ByteBuffer[] src) throws FsError {
        return send(src, nonBlocking());
    }

    /** send: all of {@code src} unless non-blocking (then what fits, or {@code EAGAIN}). */
    public long send(ByteBuffer[] src, boolean dontWait) throws FsError {
        if (state != State.CONNECTED) {
            throw new FsError(Errno.ENOTCONN);
        }
        if (writeShut) {
            throw new FsError(Errno.EPIPE);
        }
        long until = deadline(sendTimeout);
        long total = 0;
        while (OpenFile.total(src) > 0) {
            long n;
            try {
                n = channel.write(src);
            } catch (IOException e) {
                if (total > 0) {
                    return total;
                }
                throw new FsError(Errno.EPIPE);
            }
            total += n;
            if (n > 0) {
                continue;
            }
            long done = partialOrWait(total, dontWait, SelectionKey.OP_WRITE, until);
            if (done >= 0) {
                return done;
            }
        }
        return total;
    }

    /**
     * Between two tries of a transfer that moved too little: what was moved so far, or else
     * {@code EAGAIN} when the caller may not wait or its timeout ({@code until}) passed and
     * {@link #interrupted}'s errno on a signal or the sandbox's end; otherwise waits a slice for {@code op} and
     * answers -1 (try again).
     */
    private long partialOrWait(long total, boolean dontWait, int op, long until) throws FsError {
        boolean late = System.nanoTime() >= until;
        if (dontWait || late || net.interrupted()) {
            if (total > 0) {
                return total;
            }
            throw new FsError(dontWait || late ? Errno.EAGAIN : interrupted(until));
        }
        net.await(new SelectionKey[] {key}, new int[] {op}, 1,
                Math.max(1, Math.min(SLICE_MILLIS, (until - System.nanoTime()) / 1_000_000 + 1)));
        return -1;
    }

    /** shutdown(2): 0 = SHUT_RD, 1 = SHUT_WR, 2 = both. */
    public void shutdown(int how) throws FsError {
        if (how < 0 || how > 2) {
            throw new FsError(Errno.EINVAL);
        }
        if (state != State.CONNECTED) {
            throw new FsError(Errno.ENOTCONN);
        }
        try {
            if (how != 1 && !readShut) {
                readShut = true;
                channel.shutdownInput();
            }
            if (how != 0 && !writeShut) {
                writeShut = true;
                channel.shutdownOutput();
            }
        } catch (IOException e) {
            throw new FsError(Errno.ENOTCONN);
        }
    }

    // ------------------------------------------------------------------ names and options

    /** This end's address: the bound one (any/loopback) and port; port 0 before bind. */
    public byte[] localAddressBytes() {
        return boundAddress != null ? boundAddress : new byte[family == AF_INET ? 4 : 16];
    }

    public int localPort() {
        return port;
    }

    /** The peer's port (its host-side port number, which is all a program can learn of it). */
    public int peerPort() throws FsError {
        if (state != State.CONNECTED) {
            throw new FsError(Errno.ENOTCONN);
        }
        return peerPort;
    }

    /** setsockopt: accepted and remembered (int values); the loopback has nothing to tune. */
    public void setOption(int level, int name, int value) {
        options.put(((long) level << 32) | (name & 0xffffffffL), value);
    }

    /** getsockopt for the options the sandbox knows, or null (ENOPROTOOPT). */
    public Integer option(int level, int name) {
        if (level == 1) {   // SOL_SOCKET
            switch (name) {
                case 3: return 1;                                   // SO_TYPE: SOCK_STREAM
                case 4: return 0;                                   // SO_ERROR
                case 30: return state == State.LISTENING ? 1 : 0;   // SO_ACCEPTCONN
                case 38: return 6;                                  // SO_PROTOCOL: TCP
                case 39: return family;                             // SO_DOMAIN
                case 7: case 8: return options.getOrDefault((1L << 32) | name, 65536);   // SO_SNDBUF/RCVBUF
                default: break;
            }
        }
        return options.get(((long) level << 32) | (name & 0xffffffffL));
    }

    // ------------------------------------------------------------------ file

    @Override
    public FileStat stat() {
        return FileStat.synthetic(S_IFSOCK | 0777, 0, ino);
    }

    @Override
    public int poll() {
        switch (state) {
            case LISTENING: {
                synchronized (this) {
                    return queue.isEmpty() ? 0 : POLLIN;
                }
            }
            case CONNECTED: {
                int want = (readShut ? 0 : SelectionKey.OP_READ) | (writeShut ? 0 : SelectionKey.OP_WRITE);
                int ready = net.readyOps(key, want);
                int ev = 0;
                if (readShut || (ready & SelectionKey.OP_READ) != 0 || peeked != null) {
                    ev |= POLLIN;
                }
                if ((ready & SelectionKey.OP_WRITE) != 0) {
                    ev |= POLLOUT;
                }
                if (readShut && writeShut) {
                    ev |= POLLHUP;
                }
                return ev;
            }
            default:
                return POLLOUT | POLLHUP;   // as Linux reports an unconnected stream socket
        }
    }

    /** For poll(2)'s wait: the key and interest to wait on, or null (a listener is woken by connect). */
    public SelectionKey waitKey() {
        return state == State.CONNECTED ? key : null;
    }

    @Override
    protected void close() {
        if (state == State.CONNECTED) {
            key.cancel();
            close(channel);
            return;
        }
        if (state != State.NEW) {
            net.unbind(port, this);
        }
        synchronized (this) {
            queueClosed = true;
            for (SocketChannel ch : queue) {
                close(ch);
            }
            queue.clear();
        }
    }

    private static void close(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // already broken
        }
    }
}
