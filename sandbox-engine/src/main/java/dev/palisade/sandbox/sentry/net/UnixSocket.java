package dev.palisade.sandbox.sentry.net;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.vfs.FileStat;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.Interruption;
import dev.palisade.sandbox.sentry.vfs.OpenFile;
import dev.palisade.sandbox.sentry.vfs.WaitQueue;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import static dev.palisade.sandbox.abi.OpenFlags.O_NONBLOCK;

/**
 * An AF_UNIX socket kept entirely in the Sentry: stream, datagram or seqpacket, made by
 * socketpair(2) or by socket(2) and then bound to a name of {@link UnixNames}. Each end reads
 * from its own {@link Inbox}; a connected end writes into its peer's, so a full inbox blocks the
 * writer, a closed one gives EPIPE and an ended writer gives the reader EOF, as Linux's queues do.
 *
 * <p>Locks: a blocked reader or writer waits on the inbox's monitor (notified by the other side),
 * a blocked accept or connect on the listener's. Nothing waits while holding another socket's
 * lock, so several threads may block on one socket at once.
 */
public final class UnixSocket extends OpenFile {
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5;
    /** Bytes one inbox holds: Linux's default socket buffer. */
    public static final int BUFFER = 212992;
    /** What a queued message costs at least, so that empty datagrams cannot queue without bound. */
    private static final int MESSAGE_COST = 256;
    /** Longest single wait before looking at the sandbox's state again. */
    private static final long SLICE_MILLIS = 50;
    private static final int SOMAXCONN = 4096;

    /** One message in an inbox: stream data (merged by readers), or a datagram or record. */
    static final class Message {
        final byte[] data;
        int off;
        /** The sender's name (datagrams sent to a bound socket), or null. */
        final byte[] from;
        /** Open files passed with SCM_RIGHTS (each holds a reference), or null. */
        List<OpenFile> rights;

        Message(byte[] data, byte[] from, List<OpenFile> rights) {
            this.data = data;
            this.from = from;
            this.rights = rights;
        }

        int cost() {
            return Math.max(MESSAGE_COST, data.length);
        }
    }

    /** What one end receives. Guarded by its own monitor. */
    static final class Inbox {
        final ArrayDeque<Message> messages = new ArrayDeque<>();
        long bytes;
        /** No more data will come: the connected sender shut down writing or closed (stream, seqpacket). */
        boolean eof;
        /** The receiver shut down reading or closed: senders get EPIPE. */
        boolean closed;
        /** The receiving datagram socket was closed: senders get ECONNREFUSED. */
        boolean dead;
        /** The receiving socket's wait queue, and its connected sender's (told when space is freed). */
        final WaitQueue owner;
        WaitQueue sender;

        Inbox(WaitQueue owner) {
            this.owner = owner;
        }

        boolean hasRoom(int cost) {
            return messages.isEmpty() || bytes + cost <= BUFFER;
        }

        /** Drops what nobody will read, releasing the files in flight. */
        void discard(UnixNames names) {
            for (Message m : messages) {
                if (m.rights != null) {
                    names.filesLanded(m.rights.size());
                    m.rights.forEach(OpenFile::release);
                }
            }
            messages.clear();
            bytes = 0;
        }
    }

    /** What recv found: the bytes copied, the whole message's size, the sender, the files passed. */
    public record Received(long count, long messageSize, byte[] from, List<OpenFile> rights) {
    }

    public final int type;
    private final UnixNames names;
    private final long ino;
    private final Interruption interruption;
    private final WaitQueue wq = new WaitQueue();

    private volatile boolean listening;
    private volatile boolean connected;
    private boolean readShut;
    private boolean writeShut;
    /** The bound name (sun_path bytes; abstract names start with NUL), or null. */
    private volatile byte[] name;
    private Object nameKey;
    private volatile byte[] peerName;
    private final Inbox in;
    /** The peer's inbox: a connected stream's other end, or a datagram socket's default peer. */
    private volatile Inbox out;

    // listening: guarded by this
    private final ArrayDeque<UnixSocket> backlog = new ArrayDeque<>();
    private int backlogMax;
    private boolean closed;

    /** SO_RCVTIMEO and SO_SNDTIMEO in ns; 0 waits for ever. */
    public volatile long receiveTimeout, sendTimeout;

    public UnixSocket(int type, UnixNames names, long ino, Interruption interruption) {
        super(2);
        this.type = type;
        this.names = names;
        this.ino = ino;
        this.interruption = interruption;
        this.in = new Inbox(wq);
    }

    /** Connects two new sockets to each other (socketpair(2), and the accepted end of a connect). */
    public static void pair(UnixSocket a, UnixSocket b) {
        a.out = b.in;
        b.out = a.in;
        a.in.sender = b.wq;
        b.in.sender = a.wq;
        a.connected = b.connected = true;
    }

    private boolean nonBlocking() {
        return (statusFlags & O_NONBLOCK) != 0;
    }

    private boolean stream() {
        return type != SOCK_DGRAM;
    }

    public boolean isConnected() {
        return connected;
    }

    public boolean isListening() {
        return listening;
    }

    // ------------------------------------------------------------------ names

    public byte[] name() {
        return name;
    }

    /** The peer's name (empty: unnamed), or ENOTCONN. */
    public byte[] peerName() throws FsError {
        if (!connected && out == null) {
            throw new FsError(Errno.ENOTCONN);
        }
        byte[] p = peerName;
        return p == null ? new byte[0] : p;
    }

    /** Records the name bind(2) gave it; {@code key} is how {@link UnixNames} finds it. */
    public synchronized void named(byte[] name, Object key) throws FsError {
        if (this.name != null) {
            throw new FsError(Errno.EINVAL);
        }
        this.name = name;
        this.nameKey = key;
    }

    public boolean bound() {
        return name != null;
    }

    // ------------------------------------------------------------------ connections

    /** listen(2): stream and seqpacket sockets that have a name. */
    public void listen(int requested) throws FsError {
        if (!stream()) {
            throw new FsError(Errno.EOPNOTSUPP);
        }
        if (connected || name == null) {
            throw new FsError(Errno.EINVAL);
        }
        synchronized (this) {
            backlogMax = Math.max(0, Math.min(requested, SOMAXCONN));
            listening = true;
            notifyAll();
        }
    }

    /**
     * connect(2) of this (new) stream or seqpacket socket to {@code listener}: queues the server
     * end on its backlog and is connected at once, as in Linux; a full backlog waits unless
     * non-blocking (EAGAIN).
     */
    public void connect(UnixSocket listener, long serverIno) throws FsError {
        if (connected) {
            throw new FsError(Errno.EISCONN);
        }
        if (listening) {
            throw new FsError(Errno.EINVAL);
        }
        if (listener.type != type) {
            throw new FsError(Errno.EPROTOTYPE);
        }
        UnixSocket server = new UnixSocket(type, names, serverIno, interruption);
        server.name = listener.name;
        server.peerName = name;
        long until = deadline(sendTimeout);
        synchronized (listener) {
            while (true) {
                if (!listener.listening || listener.closed) {
                    throw new FsError(Errno.ECONNREFUSED);
                }
                if (listener.backlog.size() <= listener.backlogMax) {   // Linux queues one more than the backlog
                    break;
                }
                if (nonBlocking()) {
                    throw new FsError(Errno.EAGAIN);
                }
                await(listener, until);
            }
            pair(this, server);
            peerName = listener.name;
            listener.backlog.add(server);
            listener.notifyAll();
            listener.wq.changed(POLLIN);
        }
    }

    /** accept(2): the next queued connection, waiting for one unless non-blocking (EAGAIN). */
    public UnixSocket accept() throws FsError {
        if (!listening) {
            throw new FsError(Errno.EINVAL);
        }
        long until = deadline(receiveTimeout);
        synchronized (this) {
            while (backlog.isEmpty()) {
                if (nonBlocking()) {
                    throw new FsError(Errno.EAGAIN);
                }
                await(this, until);
            }
            UnixSocket s = backlog.poll();
            notifyAll();
            return s;
        }
    }

    /** connect(2) of a datagram socket: its default peer. */
    public void connectDatagram(UnixSocket target) throws FsError {
        if (target.type != type) {
            throw new FsError(Errno.EPROTOTYPE);
        }
        out = target.in;
        peerName = target.name;
        wq.changed(POLLOUT);
    }

    /** shutdown(2): 0 = SHUT_RD, 1 = SHUT_WR, 2 = both; a stream's peer sees it too; unconnected, only this end. */
    public void shutdown(int how) throws FsError {
        if (how < 0 || how > 2) {
            throw new FsError(Errno.EINVAL);
        }
        Inbox o = how != 0 && stream() ? out : null;
        WaitQueue peer = how != 1 && stream() ? in.sender : null;
        if (how != 1) {
            synchronized (in) {
                readShut = true;
                if (stream()) {
                    in.closed = true;
                }
                in.notifyAll();
                if (peer != null && (o == null || peer != o.owner)) {   // else endPeer tells it, once
                    peer.changed();
                }
            }
        }
        if (how != 0) {
            writeShut = true;
            if (o != null) {
                endPeer(o);
            }
        }
        wq.changed();
    }

    // ------------------------------------------------------------------ data

    @Override
    public long read(ByteBuffer[] dst) throws FsError {
        return receive(dst, nonBlocking(), false, false).count();
    }

    @Override
    public long write(ByteBuffer[] src) throws FsError {
        return send(src, nonBlocking(), null, null);
    }

    /**
     * recv: a stream reads what is there (all of {@code dst} with {@code waitAll}), stopping
     * before files passed with a later message; a datagram or record is read whole or cut
     * ({@link Received#messageSize()} tells). {@code peek} leaves it queued.
     */
    public Received receive(ByteBuffer[] dst, boolean dontWait, boolean waitAll, boolean peek) throws FsError {
        if (stream() && !connected) {
            throw new FsError(type == SOCK_STREAM ? Errno.EINVAL : Errno.ENOTCONN);
        }
        long until = deadline(receiveTimeout);
        long total = 0;
        List<OpenFile> rights = null;
        long size = 0;
        byte[] from = null;
        synchronized (in) {
            while (true) {
                if (!in.messages.isEmpty()) {
                    if (!stream() || type == SOCK_SEQPACKET) {
                        Message m = in.messages.peek();
                        size = m.data.length - m.off;
                        total = copy(m, dst, true);
                        from = m.from;
                        if (!peek) {
                            in.messages.poll();
                            in.bytes -= m.cost();
                            rights = m.rights;
                        }
                        break;
                    }
                    for (Message m : peek ? new ArrayList<>(in.messages) : in.messages) {
                        if (m.rights != null && total > 0) {
                            break;   // files travel with the first byte of their message
                        }
                        if (m.rights != null && !peek) {
                            rights = m.rights;
                            m.rights = null;
                        }
                        int before = m.off;
                        long n = copy(m, dst, peek);
                        total += n;
                        if (!peek) {
                            m.off = before + (int) n;
                        }
                        if (OpenFile.total(dst) == 0) {
                            break;
                        }
                        if (!peek && m.off < m.data.length) {
                            break;
                        }
                    }
                    if (!peek) {
                        while (!in.messages.isEmpty() && in.messages.peek().off == in.messages.peek().data.length) {
                            in.bytes -= in.messages.poll().cost();
                        }
                    }
                    size = total;
                    if (!waitAll || peek || OpenFile.total(dst) == 0 || readShut || in.eof) {
                        break;
                    }
                }
                if (readShut || in.eof) {
                    break;
                }
                if (total > 0 && (dontWait || interruption.interrupted())) {
                    break;
                }
                if (dontWait) {
                    throw new FsError(Errno.EAGAIN);
                }
                try {
                    await(in, until);
                } catch (FsError e) {
                    if (total > 0) {
                        break;
                    }
                    throw e;
                }
            }
            if (!peek && (total > 0 || rights != null || size == 0)) {
                in.notifyAll();
            }
            if (!peek && in.sender != null) {
                in.sender.changed(POLLOUT);
            }
        }
        return new Received(total, size, from, rights);
    }

    /** Copies from the message's unread part into the buffers (which advance); the count. */
    private static long copy(Message m, ByteBuffer[] dst, boolean keepOffset) {
        int pos = m.off;
        for (ByteBuffer b : dst) {
            int n = Math.min(b.remaining(), m.data.length - pos);
            b.put(m.data, pos, n);
            pos += n;
        }
        int n = pos - m.off;
        if (!keepOffset) {
            m.off = pos;
        }
        return n;
    }

    /**
     * send: into the connected peer's inbox, or {@code target}'s (a datagram sent to a name). A
     * stream sends all unless non-blocking (then what fits, or EAGAIN); a datagram or record is
     * one message (EMSGSIZE over the buffer). {@code rights} go with the first byte.
     */
    public long send(ByteBuffer[] src, boolean dontWait, UnixSocket target, List<OpenFile> rights) throws FsError {
        if (writeShut && (!stream() || connected)) {
            throw new FsError(Errno.EPIPE);   // a datagram socket says so first; a stream after ENOTCONN, as Linux
        }
        Inbox o;
        if (target != null) {
            if (stream()) {
                throw new FsError(connected ? Errno.EISCONN : Errno.EOPNOTSUPP);
            }
            if (target.type != type) {
                throw new FsError(Errno.EPROTOTYPE);
            }
            o = target.in;
        } else {
            o = out;
            if (o == null || (stream() && !connected)) {
                throw new FsError(Errno.ENOTCONN);
            }
        }
        long size = OpenFile.total(src);
        if (type == SOCK_STREAM && size == 0) {
            return 0;   // no empty message: it would look like the end of the stream to the reader
        }
        if (!stream() || type == SOCK_SEQPACKET) {
            if (size > BUFFER - 32) {
                throw new FsError(Errno.EMSGSIZE);
            }
        }
        long until = deadline(sendTimeout);
        long total = 0;
        synchronized (o) {
            while (true) {
                if (o.dead) {
                    if (o == out) {
                        out = null;   // as Linux, the dead peer is forgotten
                    }
                    throw new FsError(Errno.ECONNREFUSED);
                }
                if (o.closed) {
                    if (total > 0) {
                        break;
                    }
                    throw new FsError(Errno.EPIPE);
                }
                if (type == SOCK_STREAM) {
                    long room = BUFFER - o.bytes;
                    if (room > 0) {
                        int n = (int) Math.min(room, OpenFile.total(src));
                        byte[] data = new byte[n];
                        ByteBuffer d = ByteBuffer.wrap(data);
                        for (ByteBuffer b : src) {
                            int k = Math.min(b.remaining(), d.remaining());
                            d.put(d.position(), b, b.position(), k);
                            d.position(d.position() + k);
                            b.position(b.position() + k);
                        }
                        Message m = new Message(data, null, total == 0 ? rights : null);
                        o.messages.add(m);
                        o.bytes += m.cost();
                        total += n;
                        o.notifyAll();
                        o.owner.changed(POLLIN);
                        if (OpenFile.total(src) == 0) {
                            break;
                        }
                    }
                } else {
                    Message m = new Message(new byte[(int) size], target != null ? name : null, rights);
                    if (o.hasRoom(m.cost())) {
                        ByteBuffer d = ByteBuffer.wrap(m.data);
                        for (ByteBuffer b : src) {
                            d.put(b);
                        }
                        o.messages.add(m);
                        o.bytes += m.cost();
                        total = size;
                        o.notifyAll();
                        o.owner.changed(POLLIN);
                        break;
                    }
                }
                if (dontWait || interruption.interrupted()) {
                    if (total > 0) {
                        break;
                    }
                    throw new FsError(dontWait ? Errno.EAGAIN : interrupted(until));
                }
                try {
                    await(o, until);
                } catch (FsError e) {
                    if (total > 0) {
                        break;
                    }
                    throw e;
                }
            }
        }
        return total;
    }

    /** Bytes waiting to be read (FIONREAD): a stream's all, a datagram's next. */
    public int available() {
        synchronized (in) {
            if (in.messages.isEmpty()) {
                return 0;
            }
            if (!stream() || type == SOCK_SEQPACKET) {
                Message m = in.messages.peek();
                return m.data.length - m.off;
            }
            long n = 0;
            for (Message m : in.messages) {
                n += m.data.length - m.off;
            }
            return (int) Math.min(n, Integer.MAX_VALUE);
        }
    }

    private static long deadline(long timeoutNs) {
        return timeoutNs <= 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNs;
    }

    /**
     * One wait on {@code lock}'s monitor (held): EAGAIN past the deadline; interrupted by a signal
     * for the calling thread or the sandbox's end, {@link #interrupted}'s errno.
     */
    private void await(Object lock, long until) throws FsError {
        long left = until - System.nanoTime();
        if (left <= 0) {
            throw new FsError(Errno.EAGAIN);
        }
        try {
            if (!interruption.await(lock, Math.max(1, Math.min(SLICE_MILLIS, left / 1_000_000 + 1)))) {
                throw new FsError(interrupted(until));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FsError(Errno.EINTR);
        }
    }

    /** An interrupted wait: restartable, unless it had a timeout (SO_RCVTIMEO, SO_SNDTIMEO), as Linux's sock_intr_errno. */
    private static Errno interrupted(long until) {
        return until == Long.MAX_VALUE ? Errno.ERESTARTSYS : Errno.EINTR;
    }

    // ------------------------------------------------------------------ file

    @Override
    public FileStat stat() {
        return FileStat.synthetic(SocketFile.S_IFSOCK | 0777, 0, ino);
    }

    @Override
    public WaitQueue waitQueue() {
        return wq;
    }

    /** Linux's unix_poll and unix_dgram_poll, without the error queue. */
    @Override
    public int poll() {
        if (listening) {
            synchronized (this) {
                return backlog.isEmpty() ? 0 : POLLIN | POLLRDNORM;
            }
        }
        int ev = 0;
        boolean rcvShut, sendShut;
        synchronized (in) {
            rcvShut = readShut || (stream() && in.eof);
            if (!in.messages.isEmpty()) {
                ev |= POLLIN | POLLRDNORM;
            }
        }
        Inbox o = out;
        boolean room = true;
        boolean peerGone = false;
        if (o != null) {
            synchronized (o) {
                room = o.bytes < BUFFER;
                peerGone = o.closed;
            }
        }
        sendShut = writeShut || (stream() && peerGone);
        if (rcvShut && sendShut) {
            ev |= POLLHUP;
        }
        if (rcvShut) {
            ev |= POLLRDHUP | POLLIN | POLLRDNORM;
        }
        if (stream() && !connected) {
            return ev | POLLOUT | POLLWRNORM | POLLWRBAND | POLLHUP;   // as unix_poll: closed, yet "writable"
        }
        if (room) {
            ev |= POLLOUT | POLLWRNORM | POLLWRBAND;
        }
        return ev;
    }

    @Override
    protected void close() {
        if (nameKey != null) {
            names.unbind(nameKey, this);
        }
        List<UnixSocket> pending;
        synchronized (this) {
            closed = true;
            listening = false;
            pending = new ArrayList<>(backlog);
            backlog.clear();
            notifyAll();
        }
        for (UnixSocket s : pending) {
            s.release();   // the connector sees the end of the connection
        }
        Inbox o = stream() ? out : null;
        WaitQueue peer = in.sender;
        synchronized (in) {
            in.closed = true;
            if (!stream()) {
                in.dead = true;
            }
            in.discard(names);
            in.notifyAll();
            if (peer != null && (o == null || peer != o.owner)) {   // else endPeer tells it, once
                peer.changed();
            }
        }
        if (o != null) {
            endPeer(o);
        }
    }

    /**
     * Gives the connected peer's inbox its end of file and then tells the peer, once and under
     * the inbox's lock: by then the peer sees both of its directions ended, as Linux's single
     * state change, so its edge-triggered epoll reports the hang-up with the data, not before it.
     */
    private static void endPeer(Inbox o) {
        synchronized (o) {
            o.eof = true;
            o.notifyAll();
            o.owner.changed();
        }
    }
}
