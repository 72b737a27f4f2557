package dev.palisade.platform.ingress;

import dev.palisade.platform.service.InstanceConnections;
import dev.palisade.platform.service.ServiceProperties;
import dev.palisade.sandbox.nativeinterop.TcpConnection;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The front's connections to where requests go (into a sandbox, or to another node's internal
 * listener), as Netty channels: opened through {@link InstanceConnections#open()} (inside the
 * sandbox's network namespace, by the engine) and adopted by the epoll transport, kept alive for
 * the next request to the same instance on the same event loop (at most
 * {@code palisade.services.idle-connections} idle, none longer than {@code idle-connection-time},
 * none once the instance stopped). The open blocks (a namespace's connect, a node's handshake),
 * so it runs off the event loop.
 */
final class Upstreams {

    static final String CODEC = "upstream-codec";
    static final String LINK = "upstream-link";

    private final Executor connects;
    private final int maxIdle;
    private final long maxIdleNanos;
    /** Idle channels per instance and event loop; each deque is touched by its event loop only. */
    private final Map<Key, ArrayDeque<Idle>> idle = new ConcurrentHashMap<>();

    private record Key(InstanceConnections connections, EventLoop loop) {
    }

    private record Idle(Channel channel, long since) {
    }

    /** A connection handed out: {@code reused} when it served an earlier request (the other side may have closed it since). */
    record Lease(Channel channel, boolean reused) {
    }

    Upstreams(Executor connects, ServiceProperties properties) {
        this.connects = connects;
        this.maxIdle = properties.idleConnections();
        this.maxIdleNanos = properties.idleConnectionTime().toNanos();
    }

    /** A kept connection still open, else a new one, registered on {@code loop}; {@code fresh}: never a kept one. */
    Future<Lease> acquire(InstanceConnections to, EventLoop loop, boolean fresh, int maxResponseHead) {
        Promise<Lease> promise = loop.newPromise();
        if (!fresh) {
            ArrayDeque<Idle> kept = idle.get(new Key(to, loop));
            for (Idle i; kept != null && (i = kept.pollLast()) != null; ) {
                if (i.channel().isActive() && !to.isClosed() && System.nanoTime() - i.since() < maxIdleNanos) {
                    return promise.setSuccess(new Lease(i.channel(), true));
                }
                i.channel().close();
            }
        }
        try {
            connects.execute(() -> open(to, loop, promise, maxResponseHead));
        } catch (RejectedExecutionException e) {
            promise.setFailure(e);
        }
        return promise;
    }

    private static void open(InstanceConnections to, EventLoop loop, Promise<Lease> promise, int maxResponseHead) {
        try {
            TcpConnection c = to.open();
            int fd;
            try {
                fd = c.detachNonBlocking();
            } catch (RuntimeException | java.io.IOException e) {
                c.close();
                throw e;
            }
            EpollSocketChannel ch = new EpollSocketChannel(fd);
            ch.config().setAutoRead(false);
            ch.pipeline().addLast(CODEC, new HttpClientCodec(4096, maxResponseHead, 64 * 1024, false, true));
            ch.pipeline().addLast(LINK, new IdleLink());
            loop.register(ch).addListener(f -> {
                if (f.isSuccess()) {
                    promise.trySuccess(new Lease(ch, false));
                } else {
                    ch.unsafe().closeForcibly();
                    promise.tryFailure(f.cause());
                }
            });
        } catch (Exception e) {
            promise.tryFailure(e);
        }
    }

    /** Gives a connection back after an exchange: kept when {@code clean}, else closed. Called on its event loop. */
    void release(InstanceConnections to, Channel ch, boolean clean) {
        if (!clean || !ch.isActive() || to.isClosed() || ch.pipeline().get(CODEC) == null) {
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
        ch.closeFuture().addListener(f -> {
            kept.remove(entry);
            if (kept.isEmpty()) {
                idle.remove(key, kept);
            }
        });
        ch.eventLoop().schedule(() -> {
            if (kept.remove(entry)) {
                ch.close();
            }
        }, maxIdleNanos, TimeUnit.NANOSECONDS);
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
