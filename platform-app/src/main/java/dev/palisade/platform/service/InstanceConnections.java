package dev.palisade.platform.service;

import dev.palisade.sandbox.Sandbox;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Kept-alive connections into one running instance of a service, for the ingress to reuse: a
 * request takes the most recently returned idle connection (or opens one through
 * {@link Sandbox#connect}, whatever the platform) and gives it back when its exchange left it
 * clean. Belongs to exactly one instance, so a connection is never shared across services or
 * tenants; closed with the instance (a stop, a crash, a restart, a redeploy), after which every
 * connection it still holds or gets back is closed. The ingress keeps one of these per other
 * node too, for the hop to that node's internal listener (the node then picks the instance). At most {@code maxIdle} wait idle, none
 * longer than {@code maxIdleTime}; how many are in use at once is bounded by the service's
 * request permits.
 */
public final class InstanceConnections implements AutoCloseable {

    /** Opens a new connection to where the requests go. */
    @FunctionalInterface
    public interface Opener {
        SocketChannel open() throws IOException;
    }

    private final Opener opener;
    private final int maxIdle;
    private final long maxIdleNanos;
    /** Most recently returned last: reuse takes the warmest. Guarded by {@code this}. */
    private final Deque<Idle> idle = new ArrayDeque<>();
    private boolean closed;

    private record Idle(SocketChannel channel, long since) {
    }

    /** A connection for one exchange; {@code reused}: it served an exchange before (it may have gone stale since). */
    public record Lease(SocketChannel channel, boolean reused) {
    }

    public InstanceConnections(Opener opener, int maxIdle, Duration maxIdleTime) {
        this.opener = opener;
        this.maxIdle = maxIdle;
        this.maxIdleNanos = maxIdleTime.toNanos();
    }

    /** An idle connection that is still open, or else a new one. */
    public Lease acquire() throws IOException {
        while (true) {
            Idle i;
            synchronized (this) {
                if (closed) {
                    throw new IOException("the instance has stopped");
                }
                i = idle.pollLast();
            }
            if (i == null) {
                return fresh();
            }
            if (System.nanoTime() - i.since() < maxIdleNanos && stillOpen(i.channel())) {
                return new Lease(i.channel(), true);
            }
            closeQuietly(i.channel());
        }
    }

    /** A new connection, never a reused one. */
    public Lease fresh() throws IOException {
        synchronized (this) {
            if (closed) {
                throw new IOException("the instance has stopped");
            }
        }
        SocketChannel ch = opener.open();
        try {
            ch.socket().setTcpNoDelay(true);
        } catch (IOException e) {
            closeQuietly(ch);
            throw e;
        }
        return new Lease(ch, false);
    }

    /** Gives a connection back: kept when {@code clean} (the exchange ended exactly at a message boundary), else closed. */
    public void release(SocketChannel ch, boolean clean) {
        if (clean && ch.isOpen()) {
            synchronized (this) {
                if (!closed && idle.size() < maxIdle) {
                    idle.addLast(new Idle(ch, System.nanoTime()));
                    return;
                }
            }
        }
        closeQuietly(ch);
    }

    /** How many connections wait idle now. */
    public synchronized int idle() {
        return idle.size();
    }

    @Override
    public void close() {
        Deque<Idle> drop;
        synchronized (this) {
            closed = true;
            drop = new ArrayDeque<>(idle);
            idle.clear();
        }
        drop.forEach(i -> closeQuietly(i.channel()));
    }

    /**
     * The service has neither closed it nor sent anything unasked while it sat idle: a
     * non-blocking read finds nothing to read (a closed one reads end-of-stream, one with stray
     * bytes is out of step with its requests).
     */
    private static boolean stillOpen(SocketChannel ch) {
        try {
            ch.configureBlocking(false);
            int n = ch.read(ByteBuffer.allocate(1));
            ch.configureBlocking(true);
            return n == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing more to do with it
        }
    }
}
