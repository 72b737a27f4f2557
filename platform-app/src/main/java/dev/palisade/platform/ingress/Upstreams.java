package dev.palisade.platform.ingress;

import dev.palisade.platform.service.InstanceConnections;
import dev.palisade.platform.service.ServiceProperties;
import dev.palisade.sandbox.nativeinterop.TcpConnection;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The front's connections to where requests go (into a sandbox, or to another node's internal
 * listener), as Netty channels: opened through {@link InstanceConnections#open()} (inside the
 * sandbox's network namespace, by the engine) and adopted by the epoll transport, kept alive for
 * the next request to the same instance on the same event loop (at most
 * {@code palisade.services.idle-connections} idle, none longer than {@code idle-connection-time},
 * none once the instance stopped). The open blocks (a namespace's connect, a node's handshake),
 * so it runs off the event loop; for a service that closes its connections after each response,
 * the instance's standby ({@link InstanceConnections#takeStandby}) is opened ahead, after the
 * last response, and its channel built there too ({@link #prepare}), so the next request only
 * registers it on its own event loop: no connect, and none of the system calls a channel's
 * making costs, on the request's path.
 */
final class Upstreams {

    static final String CODEC = "upstream-codec";
    static final String LINK = "upstream-link";
    /** Set while a connection serves an exchange: cleared once the exchange is uncounted. */
    private static final AttributeKey<AtomicBoolean> IN_FLIGHT = AttributeKey.valueOf("palisade.upstream.inFlight");
    /** Set while a connection waits idle: takes it off its deque when it closes. */
    private static final AttributeKey<Runnable> UNKEEP = AttributeKey.valueOf("palisade.upstream.unkeep");

    private final Executor connects;
    private final int maxIdle;
    private final long maxIdleNanos;
    /** The most a response's head may take, for the codec of each connection. */
    private final int maxResponseHead;
    /** Idle channels per instance and event loop; each deque is touched by its event loop only. */
    private final Map<Key, ArrayDeque<Idle>> idle = new ConcurrentHashMap<>();

    private record Key(InstanceConnections connections, EventLoop loop) {
    }

    /** A kept connection waiting for the next exchange, and its expiry (cancelled when it is taken, so that it never wakes the loop). */
    private static final class Idle {
        final Channel channel;
        final long since;
        ScheduledFuture<?> expiry;

        Idle(Channel channel, long since) {
            this.channel = channel;
            this.since = since;
        }
    }

    /** A connection handed out: {@code reused} when it served an earlier request (the other side may have closed it since). */
    record Lease(Channel channel, boolean reused) {
    }

    Upstreams(Executor connects, ServiceProperties properties, int maxResponseHead) {
        this.connects = connects;
        this.maxResponseHead = maxResponseHead;
        this.maxIdle = properties.idleConnections();
        this.maxIdleNanos = properties.idleConnectionTime().toNanos();
    }

    /**
     * A kept connection still open, else the instance's standby, else a new one, registered on
     * {@code loop}; {@code fresh}: never one opened before this request (the standby is closed
     * first, so that the new one does not queue behind it). The exchange counts in flight on the
     * instance until {@link #release}, or until the connection closes, whichever comes first.
     */
    Future<Lease> acquire(InstanceConnections to, EventLoop loop, boolean fresh) {
        Promise<Lease> promise = loop.newPromise();
        to.begin();
        AtomicBoolean inFlight = new AtomicBoolean(true);
        promise.addListener(f -> {
            if (f.isSuccess()) {
                ((Lease) f.getNow()).channel().attr(IN_FLIGHT).set(inFlight);
            } else {
                ended(to, inFlight, false);
            }
        });
        if (!fresh) {
            ArrayDeque<Idle> kept = idle.get(new Key(to, loop));
            for (Idle i; kept != null && (i = kept.pollLast()) != null; ) {
                i.channel.attr(UNKEEP).set(null);
                i.expiry.cancel(false);
                if (i.channel.isActive() && !to.isClosed() && System.nanoTime() - i.since < maxIdleNanos) {
                    return promise.setSuccess(new Lease(i.channel, true));
                }
                i.channel.close();
            }
        }
        to.takeStandby(standby -> {
            if (standby != null && fresh) {
                standby.close();
            } else if (standby != null) {
                // opened ahead on another thread; adopted here, on the requesting event loop
                if (loop.inEventLoop()) {
                    adopt(to, standby, loop, promise, true);
                } else {
                    loop.execute(() -> adopt(to, standby, loop, promise, true));
                }
                return;
            }
            try {
                connects.execute(() -> open(to, loop, promise));
            } catch (RejectedExecutionException e) {
                promise.tryFailure(e);
            }
        });
        return promise;
    }

    /** Uncounts an exchange once; a connection that could not be kept makes way for a standby. */
    private void ended(InstanceConnections to, AtomicBoolean inFlight, boolean replace) {
        if (inFlight.getAndSet(false)) {
            to.end(replace, connects, this::prepare);
        }
    }

    private void open(InstanceConnections to, EventLoop loop, Promise<Lease> promise) {
        TcpConnection c;
        try {
            c = to.open();
        } catch (Exception e) {
            promise.tryFailure(e);
            return;
        }
        adopt(to, c, loop, promise, false);
    }

    /**
     * Builds a standby's channel while it waits (on the thread that opened it): the transport
     * reads the socket's addresses, error and options when it makes a channel, and that need not
     * wait for the request. The channel only wraps the descriptor until {@link #adopt} detaches it.
     */
    private void prepare(TcpConnection c) {
        c.attach(channel(c.descriptor()));
    }

    private EpollSocketChannel channel(int fd) {
        EpollSocketChannel ch = new EpollSocketChannel(fd);
        ch.config().setAutoRead(false);
        ch.pipeline().addLast(CODEC, new HttpClientCodec(4096, maxResponseHead, 64 * 1024, false, true));
        ch.pipeline().addLast(LINK, new IdleLink());
        return ch;
    }

    /**
     * Hands an open connection's socket to the epoll transport, on {@code loop} (in the channel
     * built ahead for it, if any). Its close (by either side) uncounts an exchange it still serves
     * and takes it off the idle ones: one listener for its life, whatever number of exchanges it serves.
     */
    private void adopt(InstanceConnections to, TcpConnection c, EventLoop loop, Promise<Lease> promise, boolean reused) {
        try {
            int fd;
            try {
                fd = c.detachNonBlocking();
            } catch (RuntimeException | java.io.IOException e) {
                c.close();
                throw e;
            }
            // the channel built ahead wraps this very descriptor (detaching only hands it over)
            EpollSocketChannel ch = c.attachment() instanceof EpollSocketChannel made ? made : channel(fd);
            ch.closeFuture().addListener(f -> {
                AtomicBoolean inFlight = ch.attr(IN_FLIGHT).getAndSet(null);
                if (inFlight != null) {
                    ended(to, inFlight, true);
                }
                Runnable unkeep = ch.attr(UNKEEP).getAndSet(null);
                if (unkeep != null) {
                    unkeep.run();
                }
            });
            loop.register(ch).addListener(f -> {
                if (f.isSuccess()) {
                    if (!promise.trySuccess(new Lease(ch, reused))) {
                        ch.close();
                    }
                } else {
                    ch.unsafe().closeForcibly();
                    promise.tryFailure(f.cause());
                }
            });
        } catch (Exception e) {
            promise.tryFailure(e);
        }
    }

    /**
     * The exchange on {@code ch} has its whole answer but leaves the connection unfit for another
     * (the service closes it after each answer): uncounted now rather than at {@link #release},
     * so that the standby for the next request is opened before the answer goes on to the client.
     */
    void closingAfterThis(InstanceConnections to, Channel ch) {
        AtomicBoolean inFlight = ch.attr(IN_FLIGHT).getAndSet(null);
        if (inFlight != null) {
            ended(to, inFlight, true);
        }
    }

    /** Gives a connection back after an exchange: kept when {@code clean}, else closed. Called on its event loop. */
    void release(InstanceConnections to, Channel ch, boolean clean) {
        boolean keep = clean && ch.isActive() && !to.isClosed() && ch.pipeline().get(CODEC) != null;
        AtomicBoolean inFlight = ch.attr(IN_FLIGHT).getAndSet(null);
        if (inFlight != null) {
            ended(to, inFlight, !keep);
        }
        if (!keep) {
            ch.close();
            return;
        }
        Key key = new Key(to, ch.eventLoop());
        ArrayDeque<Idle> kept = idle.computeIfAbsent(key, k -> new ArrayDeque<>());
        if (kept.size() >= maxIdle) {
            ch.close();
            return;
        }
        Idle entry = new Idle(ch, System.nanoTime());
        kept.addLast(entry);
        // while idle, anything the other side sends (or its close) ends the connection
        ch.pipeline().replace(LINK, LINK, new IdleLink());
        ch.read();
        entry.expiry = ch.eventLoop().schedule(() -> {
            if (kept.remove(entry)) {
                ch.close();
            }
        }, maxIdleNanos, TimeUnit.NANOSECONDS);
        ch.attr(UNKEEP).set(() -> {
            kept.remove(entry);
            entry.expiry.cancel(false);
            if (kept.isEmpty()) {
                idle.remove(key, kept);
            }
        });
    }

    /**
     * Acknowledges what the last reads brought at once rather than after the kernel's delayed-ACK
     * timer, for a connection that still waits for more of the other side. A server that writes
     * its head and its body apart without TCP_NODELAY (python's http.server, for one) holds the
     * body back until the head is acknowledged: on a kept-alive connection, which the kernel
     * takes for an interactive one, that cost 40 ms an answer. Once an answer is whole, the
     * next request carries the acknowledgement and the call (a system call) is saved.
     */
    static void quickAck(Channel ch) {
        try {
            ((EpollSocketChannel) ch).config().setTcpQuickAck(true);
        } catch (ChannelException e) {
            // the socket is closing: nothing to acknowledge
        }
    }

    /** An idle connection's only handler: the other side has nothing to say between exchanges. */
    static final class IdleLink extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
