package dev.palisade.platform.service;

import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.nativeinterop.TcpConnection;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Connections into one running instance of a service, for the ingress: kept-alive ones to reuse,
 * and for a service that closes its connections after each response, one standby opened ahead.
 * A request takes the most recently returned idle connection, else the standby, else opens one
 * through {@link Sandbox#connect} (whatever the platform), and gives it back when its exchange
 * ended: kept when it is clean for another, else closed. Belongs to exactly one instance, so a
 * connection is never shared across services or tenants; closed with the instance (a stop, a
 * crash, a restart, a redeploy), after which every connection it still holds or gets back is
 * closed. The ingress keeps one of these per other node too, for the hop to that node's internal
 * listener (the node then picks the instance). At most {@code maxIdle} wait idle, none (the
 * standby neither) longer than {@code maxIdleTime}; how many are in use at once is bounded by the
 * service's request permits.
 *
 * <p>The standby takes the connect, and the service's accept (for a server with a thread per
 * connection, the start of that thread too), off the next request's path: when a connection
 * comes back that cannot be kept, none is idle and no other request is in flight, a new one is
 * opened in its place. A single-threaded server blocks reading the connection it accepted last,
 * so a connection queued behind an accepted standby would wait until a later request took the
 * standby: hence a standby is only opened with nothing else in flight, a request takes it before
 * it would open a connection of its own, and one that comes while it is being opened waits for
 * it. Opened after the response rather than while the service works on it: a threading server
 * then starts its next thread while the platform finishes the response, not in competition with
 * the thread that answers (measured: 0.17 ms less a request).
 */
public final class InstanceConnections implements AutoCloseable {

    /** Opens a new connection to where the requests go. */
    @FunctionalInterface
    public interface Opener {
        TcpConnection open() throws IOException;
    }

    private final Opener opener;
    private final int maxIdle;
    private final long maxIdleNanos;
    /** Most recently returned last: reuse takes the warmest. Guarded by {@code this}, as are the fields below. */
    private final Deque<Idle> idle = new ArrayDeque<>();
    private Idle standby;
    /** A standby is being connected: requests wait for it. */
    private boolean opening;
    /** The event-driven front's requests waiting for the standby being opened: each gets it, or null. */
    private final Deque<Consumer<TcpConnection>> standbyWaiters = new ArrayDeque<>();
    /** Connections handed out and not yet given back (for the event-driven front: {@link #begin} to {@link #end}). */
    private int inUse;
    private boolean closed;

    private record Idle(TcpConnection connection, long since) {
    }

    /**
     * A connection for one exchange; {@code reused}: it was open before this request (kept from
     * an earlier exchange, or a standby), so the service may have closed it meanwhile.
     */
    public record Lease(TcpConnection connection, boolean reused) {
    }

    public InstanceConnections(Opener opener, int maxIdle, Duration maxIdleTime) {
        this.opener = opener;
        this.maxIdle = maxIdle;
        this.maxIdleNanos = maxIdleTime.toNanos();
    }

    /**
     * A new connection that the caller owns and pools itself (the ingress's event-driven front,
     * which adopts the socket): never one of the idle ones here; fails once the instance stopped.
     */
    public TcpConnection open() throws IOException {
        synchronized (this) {
            if (closed) {
                throw new IOException("the instance has stopped");
            }
        }
        return opener.open();
    }

    /**
     * For the event-driven front, which keeps its own kept-alive connections but shares this
     * standby: counts one exchange in flight until {@link #end}, whatever connection serves it.
     */
    public synchronized void begin() {
        inUse++;
    }

    /**
     * For the event-driven front: {@code then} gets the standby if one waits, or, if one is being
     * opened, the standby once it is (on the thread that opened it); null when there is none, and
     * the caller opens its own connection with {@link #open()}. The caller owns what it gets.
     */
    public void takeStandby(Consumer<TcpConnection> then) {
        Idle s;
        synchronized (this) {
            if (opening && !closed) {
                standbyWaiters.add(then);
                return;
            }
            s = standby;
            standby = null;
        }
        if (s != null && !usable(s)) {
            s.connection().close();
            s = null;
        }
        then.accept(s == null ? null : s.connection());
    }

    /**
     * For the event-driven front: the exchange counted by {@link #begin} ended. When its
     * connection could not be kept ({@code replace}) and nothing else is in flight, a standby is
     * opened on {@code opener} for the next request, as {@link #release} does, and given to
     * {@code prepare} there (on the opener's thread, off any request's path) before it waits.
     */
    public void end(boolean replace, Executor opener, Consumer<TcpConnection> prepare) {
        synchronized (this) {
            inUse--;
            if (!replace || !startOpening()) {
                return;
            }
        }
        try {
            opener.execute(() -> openStandby(prepare));
        } catch (RejectedExecutionException e) {
            handOver(null);
        }
    }

    /** Whether the instance stopped: nothing opened into it may serve another request. */
    public synchronized boolean isClosed() {
        return closed;
    }

    /** An idle connection that is still open, else the standby, else a new one; given back with {@link #release}. */
    public Lease acquire() throws IOException {
        return counted(() -> {
            Lease kept = waiting();
            return kept != null ? kept : new Lease(opener.open(), false);
        });
    }

    /** A kept connection or the standby, still open; {@code null}: none (and none being opened). */
    private Lease waiting() throws IOException {
        while (true) {
            Idle i;
            synchronized (this) {
                i = idle.pollLast();
            }
            if (i == null) {
                i = takeStandby();
            }
            if (i == null) {
                return null;
            }
            if (usable(i)) {
                return new Lease(i.connection(), true);
            }
            i.connection().close();
        }
    }

    /** The standby, once it is open if it is being opened; {@code null}: none. */
    private synchronized Idle takeStandby() throws IOException {
        while (opening && !closed) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for a connection");
            }
        }
        if (closed) {
            throw new IOException("the instance has stopped");
        }
        Idle s = standby;
        standby = null;
        return s;
    }

    /**
     * A new connection, never one that was open before (for a request that such a connection
     * failed); given back with {@link #release}. A standby is closed first: the new connection
     * must not queue behind it.
     */
    public Lease fresh() throws IOException {
        return counted(() -> {
            Idle s = takeStandby();
            if (s != null) {
                s.connection().close();
            }
            return new Lease(opener.open(), false);
        });
    }

    private interface LeaseSource {
        Lease get() throws IOException;
    }

    /** A lease from {@code source}, counted in flight until {@link #release} (or not at all if it failed). */
    private Lease counted(LeaseSource source) throws IOException {
        synchronized (this) {
            if (closed) {
                throw new IOException("the instance has stopped");
            }
            inUse++;
        }
        boolean handedOut = false;
        try {
            Lease lease = source.get();
            handedOut = true;
            return lease;
        } finally {
            if (!handedOut) {
                synchronized (this) {
                    inUse--;
                }
            }
        }
    }

    /**
     * Gives a connection back: kept when {@code clean} (the exchange ended exactly at a message
     * boundary), else closed, and then, if nothing else is idle or in flight, replaced by a
     * standby for the next request.
     */
    public void release(TcpConnection ch, boolean clean) {
        boolean kept = false;
        boolean replace = false;
        Idle unneeded = null;
        synchronized (this) {
            inUse--;
            if (clean && !closed && idle.size() < maxIdle && ch.isOpen()) {
                idle.addLast(new Idle(ch, System.nanoTime()));
                kept = true;
                unneeded = standby;   // the service keeps its connections after all: the kept ones serve
                standby = null;
            } else {
                replace = startOpening();
            }
        }
        if (!kept) {
            ch.close();
        }
        if (unneeded != null) {
            unneeded.connection().close();
        }
        if (replace) {
            openStandby(c -> { });
        }
    }

    /** Whether a connection that waited may serve a request: not waited too long, and still open and silent. */
    private boolean usable(Idle i) {
        return System.nanoTime() - i.since() < maxIdleNanos && i.connection().idleAndOpen();
    }

    /**
     * Marks a standby as being opened when one is wanted: nothing in flight, idle or open already.
     * The caller holds the lock and then calls {@link #openStandby}.
     */
    private boolean startOpening() {
        if (closed || inUse > 0 || !idle.isEmpty() || standby != null || opening) {
            return false;
        }
        opening = true;
        return true;
    }

    /** Opens the standby ({@code opening} is set) and prepares it; a failure only leaves the next request to open its own. */
    private void openStandby(Consumer<TcpConnection> prepare) {
        TcpConnection ch = null;
        try {
            ch = opener.open();
            prepare.accept(ch);
        } catch (IOException | RuntimeException e) {
            // the service is not accepting right now: the next request finds out for itself
        }
        handOver(ch);
    }

    /**
     * Ends an opening: the standby goes to the first request that waited for it, else it waits
     * for the next; the other waiters open their own.
     */
    private void handOver(TcpConnection ch) {
        Consumer<TcpConnection> first;
        List<Consumer<TcpConnection>> others;
        synchronized (this) {
            opening = false;
            notifyAll();
            if (closed && ch != null) {
                ch.close();
                ch = null;
            }
            first = standbyWaiters.pollFirst();
            others = List.copyOf(standbyWaiters);
            standbyWaiters.clear();
            if (first == null && ch != null) {
                standby = new Idle(ch, System.nanoTime());
                return;
            }
        }
        if (first != null) {
            first.accept(ch);
        } else if (ch != null) {
            ch.close();
        }
        others.forEach(w -> w.accept(null));
    }

    /**
     * Closes what has waited idle too long to be used any more. A single-threaded server is
     * blocked on its accepted standby, so anything else that connects to it (a process of the
     * service's own sandbox) waits until the standby is used or closed here: not much longer
     * than {@code maxIdleTime}.
     */
    public void closeExpired() {
        long now = System.nanoTime();
        Deque<Idle> drop = new ArrayDeque<>();
        synchronized (this) {
            idle.removeIf(i -> now - i.since() >= maxIdleNanos && drop.add(i));
            if (standby != null && now - standby.since() >= maxIdleNanos) {
                drop.add(standby);
                standby = null;
            }
        }
        drop.forEach(i -> i.connection().close());
    }

    /** How many connections wait idle now. */
    public synchronized int idle() {
        return idle.size();
    }

    /** A standby connection waits for the next request. */
    public synchronized boolean hasStandby() {
        return standby != null;
    }

    @Override
    public void close() {
        Deque<Idle> drop;
        synchronized (this) {
            closed = true;
            drop = new ArrayDeque<>(idle);
            idle.clear();
            if (standby != null) {
                drop.add(standby);
                standby = null;
            }
            notifyAll();
        }
        drop.forEach(i -> i.connection().close());
    }
}
