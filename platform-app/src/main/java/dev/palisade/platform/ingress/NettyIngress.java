package dev.palisade.platform.ingress;

import dev.palisade.platform.customdomain.CustomDomains;
import dev.palisade.platform.edge.TrustedProxies;
import dev.palisade.platform.service.ServiceProperties;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SniHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The dedicated ingress port ({@code palisade.services.ingress.port}, off by default): hosted
 * services only, at host names under the apps domain ({@code service.tenant.<apps domain>}),
 * routed as on the platform port ({@link IngressRouter}); nothing of the platform (API, console,
 * actuator) answers here, whatever the host. Built on Netty: HTTP/1.1 with keep-alive and
 * pipelining, h2c (prior knowledge; {@code Upgrade: h2c} is declined), and any other {@code Upgrade}
 * (WebSocket) relayed both ways once the service agrees; the parsing and its smuggling defences
 * are the library's ({@link #decoderConfig}), what it lets through is refused in {@link FrontHandler}.
 * A few event-loop threads serve every connection; a connection that says nothing holds no
 * thread (and waits in the kernel until its first bytes: {@code TCP_DEFER_ACCEPT}).
 */
@Component
public class NettyIngress implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(NettyIngress.class);

    private final IngressRouter router;
    private final TrustedProxies proxies;
    private final HopFilter hop;
    private final ServiceProperties services;
    private final IngressProperties properties;
    private final CustomDomains domains;
    private FrontHandler.Settings settings;
    private EventLoopGroup group;
    private ExecutorService connects;
    private ChannelGroup open;
    /** The port's listening sockets, one per event loop (SO_REUSEPORT); empty when it does not listen. */
    private volatile List<Channel> server = List.of();
    private volatile List<Channel> tlsServer = List.of();

    NettyIngress(IngressRouter router, TrustedProxies proxies, HopFilter hop, IngressProperties properties,
            ServiceProperties services, CustomDomains domains) {
        this.router = router;
        this.domains = domains;
        this.proxies = proxies;
        this.hop = hop;
        this.services = services;
        this.properties = properties;
    }

    /** The port it listens on; -1 when it does not. */
    public int port() {
        return portOf(server);
    }

    private static int portOf(List<Channel> listening) {
        return listening.isEmpty() ? -1 : ((InetSocketAddress) listening.get(0).localAddress()).getPort();
    }

    /** The TLS port; -1 when there is none. */
    public int tlsPort() {
        return portOf(tlsServer);
    }

    /** Connections open now (client side), for tests that look for leaks. */
    public int openConnections() {
        ChannelGroup g = open;
        return g == null ? 0 : g.size();
    }

    /** The strict HTTP/1.1 parsing every front connection uses (RFC 9112 transfer codings, CRLF only). */
    static HttpDecoderConfig decoderConfig(int maxHeadSize) {
        return new HttpDecoderConfig()
                .setMaxInitialLineLength(maxHeadSize)
                .setMaxHeaderSize(maxHeadSize)
                .setMaxChunkSize(64 * 1024)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true)
                .setAllowDuplicateContentLengths(false)
                .setValidateHeaders(true);
    }

    @Override
    public synchronized void start() {
        if (properties.port() < 0 || !server.isEmpty()) {
            return;
        }
        if (!Epoll.isAvailable()) {
            // the front adopts sockets made inside a sandbox's network namespace: only the epoll transport can
            throw new IllegalStateException("The ingress port needs Netty's epoll transport: "
                    + Epoll.unavailabilityCause());
        }
        int threads = properties.threads() > 0 ? properties.threads() : Runtime.getRuntime().availableProcessors();
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("ingress", true),
                EpollIoHandler.newFactory());
        connects = new ThreadPoolExecutor(0, 64, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                new DefaultThreadFactory("ingress-connect", true));
        open = new DefaultChannelGroup("ingress", GlobalEventExecutor.INSTANCE);
        Upstreams upstreams = new Upstreams(connects, services, properties.maxHeadSize() * 4);
        IngressProperties.Tls tls = properties.tls();
        TlsCertificates certificates = tls.enabled() ? new TlsCertificates(tls.configured(), domains) : null;
        try {
            List<Channel> tlsChannels = List.of();
            if (certificates != null) {
                tlsChannels = bindEach(() -> tlsBootstrap(upstreams, certificates), tls.port());
            }
            int httpsPort = tlsChannels.isEmpty() ? -1 : tls.publicPort() > 0 ? tls.publicPort() : portOf(tlsChannels);
            settings = new FrontHandler.Settings(router, proxies, hop, properties, services, certificates, httpsPort);
            tlsServer = tlsChannels;
            server = bindEach(() -> listener(ch -> http1(ch.pipeline(), upstreams))
                    // an HTTP client speaks first: a silent connection waits in the kernel, not in the event loop
                    .option(EpollChannelOption.TCP_DEFER_ACCEPT, (int) Math.max(1, properties.headerTimeout().toSeconds()))
                    .childOption(ChannelOption.AUTO_READ, false), properties.port());
        } catch (Exception e) {
            stop();
            throw new IllegalStateException("The ingress port " + properties.bind() + ":" + properties.port()
                    + " cannot be opened: " + e.getMessage(), e);
        }
        log.info("Ingress port {} open on {} ({} event loops){}", port(), properties.bind(), threads,
                tlsServer.isEmpty() ? "" : ", TLS port " + tlsPort());
    }

    /**
     * Binds {@code port} (0: a free one) once per event loop with SO_REUSEPORT, each socket's
     * connections served on the loop that accepted them. With one acceptor for all loops, each
     * connection handed to another loop cost a wake-up of that loop's thread (about 30 µs here),
     * which a client that opens a connection per request pays every time.
     */
    private List<Channel> bindEach(Supplier<ServerBootstrap> bootstrap, int port) throws InterruptedException {
        List<Channel> bound = new ArrayList<>();
        try {
            for (EventExecutor e : group) {
                EventLoop loop = (EventLoop) e;
                Channel ch = bootstrap.get().group(loop, loop).option(EpollChannelOption.SO_REUSEPORT, true)
                        .bind(properties.bind(), port).sync().channel();
                port = ((InetSocketAddress) ch.localAddress()).getPort();
                bound.add(ch);
            }
        } catch (InterruptedException | RuntimeException e) {
            bound.forEach(Channel::close);
            throw e;
        }
        return List.copyOf(bound);
    }

    /** A listening socket of the front: each connection counted (and refused past the bound), then set up. */
    private ServerBootstrap listener(java.util.function.Consumer<SocketChannel> setUp) {
        return new ServerBootstrap().channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (open.size() >= properties.maxConnections()) {
                            ch.close();
                            return;
                        }
                        open.add(ch);
                        setUp.accept(ch);
                    }
                });
    }

    /** The TLS port: the certificate by SNI, then HTTP/2 or HTTP/1.1 as ALPN chose. */
    private ServerBootstrap tlsBootstrap(Upstreams upstreams, TlsCertificates certificates) {
        return listener(ch -> {
            ch.pipeline().addLast(new SniHandler(certificates.mapping()));
            ch.pipeline().addLast(new ApplicationProtocolNegotiationHandler(ApplicationProtocolNames.HTTP_1_1) {
                @Override
                protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
                    ChannelPipeline p = ctx.pipeline();
                    if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                        p.addLast(Http2FrameCodecBuilder.forServer().build(), http2(upstreams, "https"));
                        return;
                    }
                    ctx.channel().config().setAutoRead(false);
                    FrontHandler front = new FrontHandler(settings, upstreams, false, "https");
                    p.addLast(FrontHandler.HEAD_WATCH, new FrontHandler.HeadWatch(front, null));
                    p.addLast(new HttpServerCodec(decoderConfig(properties.maxHeadSize())));
                    p.addLast(FrontHandler.FRONT, front);
                }
            });
        });
    }

    /**
     * HTTP/1.1 with h2c beside it: the preface of a prior-knowledge client turns the connection
     * into HTTP/2 ({@link FrontHandler.HeadWatch}), each stream then served as one request by its
     * own {@link FrontHandler}; an {@code Upgrade} other than h2c goes on to the service.
     * {@code Upgrade: h2c} is declined (the request goes on as HTTP/1.1, without it): in a probe of
     * Netty's upgrade into multiplexed streams, stream 1 failed (a NullPointerException in
     * {@code Http2MultiplexHandler}).
     */
    private void http1(ChannelPipeline p, Upstreams upstreams) {
        FrontHandler front = new FrontHandler(settings, upstreams, false, "http");
        p.addLast(FrontHandler.HEAD_WATCH, new FrontHandler.HeadWatch(front,
                h2 -> h2.addLast(Http2FrameCodecBuilder.forServer().build(), http2(upstreams, "http"))));
        p.addLast(new HttpServerCodec(decoderConfig(properties.maxHeadSize())));
        p.addLast(FrontHandler.FRONT, front);
    }

    private Http2MultiplexHandler http2(Upstreams upstreams, String scheme) {
        return new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
                ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true),
                        new FrontHandler(settings, upstreams, true, scheme));
            }
        });
    }

    @Override
    public void stop() {
        List<Channel> listening;
        synchronized (this) {
            listening = new ArrayList<>(server);
            listening.addAll(tlsServer);
            server = List.of();
            tlsServer = List.of();
        }
        for (Channel c : listening) {
            c.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        if (open != null) {
            open.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
            group = null;
        }
        if (connects != null) {
            connects.shutdownNow();
            connects = null;
        }
        if (!listening.isEmpty()) {
            log.info("Ingress port closed");
        }
    }

    @Override
    public boolean isRunning() {
        return !server.isEmpty();
    }
}
