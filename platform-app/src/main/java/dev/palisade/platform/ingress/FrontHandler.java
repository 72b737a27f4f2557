package dev.palisade.platform.ingress;

import dev.palisade.platform.customdomain.CustomDomains;
import dev.palisade.platform.edge.TrustedProxies;
import dev.palisade.platform.service.RequestPermits;
import dev.palisade.platform.service.ServiceProperties;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of the ingress port (or one HTTP/2 stream of one), request after
 * request: refuses what the HTTP codec let through but must not reach a service, routes the rest
 * ({@link IngressRouter}), relays each request and its answer through a kept connection
 * ({@link Upstreams}) with what stays with the platform removed ({@link HopFilter}) and the
 * platform's forwarding headers set, and, when a service agrees to an {@code Upgrade} (101),
 * relays bytes both ways from then on. Everything runs on the connection's event loop; reads on
 * either side wait until the other side can take more (back-pressure both ways).
 */
final class FrontHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(FrontHandler.class);

    static final String HEAD_WATCH = "head-watch";
    static final String FRONT = "front";

    /** Never passed on in either direction (RFC 9110 §7.6.1), and what a client must not set for us. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade");
    private static final Set<HttpMethod> REPLAYABLE = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
            HttpMethod.TRACE, HttpMethod.PUT, HttpMethod.DELETE);
    /** The codec bounds the head's bytes, not its lines: this bounds the lines (as the lean port did). */
    private static final int MAX_HEADER_LINES = 100;
    /** How many places one request may be routed to: the first, and others when it failed there. */
    private static final int MAX_LOOKS = 3;
    /** HSTS for a custom domain that opted in: a year, its own name only (its sub-domains may be others'). */
    private static final String HSTS = "Strict-Transport-Security", HSTS_VALUE = "max-age=31536000";
    /** At most this long, reading and dropping what a refused client still sends, before the close. */
    private static final long LINGER_MILLIS = 1000;

    /** What every front handler shares. */
    record Settings(IngressRouter router, TrustedProxies proxies, HopFilter hop, IngressProperties properties,
            ServiceProperties services, TlsCertificates tls, int httpsPort) {
    }

    /**
     * Sees a connection's raw bytes ahead of the codec: the first of a request's head start the
     * header timeout. On the cleartext port the connection's first bytes also tell HTTP/2 with
     * prior knowledge (its preface) from HTTP/1.1, so that an HTTP/1.1 connection keeps the
     * pipeline it was made with; Netty's {@code CleartextHttp2ServerUpgradeHandler} rebuilt it for
     * every connection and kept an upgrade handler in the path of every request.
     */
    static final class HeadWatch extends ChannelInboundHandlerAdapter {
        private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

        private final FrontHandler front;
        /** Makes the connection HTTP/2 once the preface came, or null where only HTTP/1.1 is spoken (TLS chose it). */
        private final Consumer<ChannelPipeline> http2;
        private boolean decided;
        /** The first bytes while they may still be the start of the preface (it came split). */
        private ByteBuf held;

        HeadWatch(FrontHandler front, Consumer<ChannelPipeline> http2) {
            this.front = front;
            this.http2 = http2;
            this.decided = http2 == null;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf b) || !b.isReadable()) {
                ctx.fireChannelRead(msg);
                return;
            }
            front.bytesArrived();
            if (decided) {
                ctx.fireChannelRead(b);
                return;
            }
            ByteBuf in = b;
            if (held != null) {
                in = held.writeBytes(b);
                held = null;
                b.release();
            }
            int n = Math.min(in.readableBytes(), PREFACE.length);
            for (int i = 0; i < n; i++) {
                if (in.getByte(in.readerIndex() + i) != PREFACE[i]) {
                    decided = true;
                    ctx.fireChannelRead(in);
                    return;
                }
            }
            if (n < PREFACE.length) {
                held = ctx.alloc().buffer(PREFACE.length).writeBytes(in);
                in.release();
                ctx.read();
                return;
            }
            // the connection speaks HTTP/2 from now on: its streams have handlers of their own, and flow control
            decided = true;
            ChannelPipeline p = ctx.pipeline();
            p.remove(FRONT);
            p.remove(HttpServerCodec.class);
            http2.accept(p);
            ctx.fireChannelRead(in);
            p.remove(this);
            ctx.channel().config().setAutoRead(true);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            if (held != null) {
                held.release();
                held = null;
            }
        }
    }

    private final Settings s;
    private final Upstreams upstreams;
    /** One HTTP/2 stream: a single request, no keep-alive or timers of its own. */
    private final boolean stream;
    /** {@code http} or {@code https}: how the client reached this front. */
    private final String scheme;
    private ChannelHandlerContext ctx;
    private boolean begun;
    /** Pipelined requests (and their parts) that came while one was being answered. */
    private final ArrayDeque<Object> inbox = new ArrayDeque<>();
    private Exchange x;
    private ScheduledFuture<?> waitTimer;
    private boolean waitingIdle;
    private boolean headStarted;
    /** After a 101: bytes both ways, to and from this upstream. */
    private Channel raw;
    /** A refused request was answered: what comes next is dropped until the close. */
    private boolean draining;

    FrontHandler(Settings s, Upstreams upstreams, boolean stream, String scheme) {
        this.s = s;
        this.upstreams = upstreams;
        this.stream = stream;
        this.scheme = scheme;
    }

    // ---- the client side

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            begin();   // added once TLS and ALPN chose HTTP/1.1: the connection is long open
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelWait();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        begin();
        ctx.fireChannelActive();
    }

    private void begin() {
        if (begun) {
            return;
        }
        begun = true;
        ctx.channel().config().setAutoRead(false);
        if (!stream) {
            awaitRequest(true);
        }
        ctx.read();
    }

    void bytesArrived() {
        if (x == null && !headStarted && raw == null && !draining) {
            headStarted = true;
            if (waitingIdle) {
                schedule(s.properties().headerTimeout().toMillis(), false);
            }
        }
    }

    private void awaitRequest(boolean first) {
        headStarted = false;
        schedule((first ? s.properties().headerTimeout() : s.properties().idleTimeout()).toMillis(), !first);
    }

    private void schedule(long millis, boolean idle) {
        cancelWait();
        waitingIdle = idle;
        waitTimer = ctx.executor().schedule(this::waitedTooLong, millis, TimeUnit.MILLISECONDS);
    }

    private void cancelWait() {
        if (waitTimer != null) {
            waitTimer.cancel(false);
            waitTimer = null;
        }
    }

    private void waitedTooLong() {
        waitTimer = null;
        if (x != null || raw != null || draining) {
            return;
        }
        if (headStarted) {
            refuse(HttpVersion.HTTP_1_1, 408, "its head took longer than " + s.properties().headerTimeout().toMillis()
                    + " ms");
        } else {
            ctx.close();   // a kept connection with nothing more to ask, or one that never said anything
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (draining) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (raw != null) {
            raw.write(msg);
            return;
        }
        if (x != null && x.requestComplete || !inbox.isEmpty()) {
            inbox.add(msg);
            return;
        }
        handle(msg);
    }

    private void handle(Object msg) {
        if (x == null) {
            if (msg instanceof HttpRequest req) {
                start(req);
            } else {
                ReferenceCountUtil.release(msg);   // the rest of a request answered already (and closed)
                if (!stream) {
                    ctx.read();
                }
            }
        } else if (msg instanceof HttpContent c) {
            x.fromClient(c);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (raw != null) {
            raw.flush();
            if (raw.isWritable()) {
                ctx.read();
            }
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            if (raw != null) {
                raw.read();
            } else if (x != null && x.up != null && x.responseStarted) {
                x.up.read();
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelWait();
        if (x != null) {
            x.abandon();
        }
        if (raw != null) {
            raw.close();
        }
        while (!inbox.isEmpty()) {
            ReferenceCountUtil.release(inbox.poll());
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("Ingress connection failed: {}", cause.toString());
        ctx.close();
    }

    /** The next pipelined request, if one came meanwhile; else wait for one. */
    private void next() {
        while (x == null && !inbox.isEmpty() && ctx.channel().isActive() && !draining) {
            handle(inbox.poll());
        }
        if (x == null && !draining && ctx.channel().isActive() && !stream) {
            awaitRequest(false);
            ctx.read();
        }
    }

    // ---- a request

    private void start(HttpRequest req) {
        cancelWait();
        HttpVersion version = req.protocolVersion();
        if (req.decoderResult().isFailure()) {
            Throwable cause = req.decoderResult().cause();
            ReferenceCountUtil.release(req);
            refuse(version, cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException
                    ? 431 : 400, reason(cause));
            return;
        }
        String why = refusal(req);
        if (why != null) {
            ReferenceCountUtil.release(req);
            refuse(version.equals(HttpVersion.HTTP_1_0) ? version : HttpVersion.HTTP_1_1,
                    Integer.parseInt(why.substring(0, 3)), why.substring(4));
            return;
        }
        String host = req.headers().get(HttpHeaderNames.HOST);
        String name = hostName(host);
        x = new Exchange(req, name);
        Optional<CustomDomains.Route> custom = s.router().customDomain(name);
        if (custom.isPresent()) {
            customDomain(req, custom.get());
            return;
        }
        if (!s.router().owns(name)) {
            x.answer(404, "Not found", "This port serves hosted services only, at service.tenant."
                    + s.router().appsDomain() + ".", null);
            return;
        }
        Optional<dev.palisade.platform.edge.AppsSite.Service> site = s.router().site(name);
        if (site.isEmpty()) {
            IngressRouter.Page p = s.router().unknownSite(name);
            x.answer(p.status(), p.title(), p.text(), p.retryAfter());
            return;
        }
        if (redirectedToTls(req, name)) {
            return;
        }
        x.route(site.get().tenant(), site.get().name());
    }

    /**
     * A tenant's custom domain: its ACME HTTP-01 challenge answered here (on the plain port, even
     * once it has a certificate: renewals prove control the same way), then as its service's own
     * site, with HSTS over TLS when the tenant opted in.
     */
    private void customDomain(HttpRequest req, CustomDomains.Route route) {
        if (scheme.equals("http") && req.uri().startsWith(CustomDomains.CHALLENGE_PATH)) {
            Optional<String> answer = s.router().acmeChallenge(route, req.uri());
            if (answer.isPresent()) {
                x.plain(answer.get());
            } else {
                x.answer(404, "Not found", "No challenge of this domain's certificate order is at this address.", null);
            }
            return;
        }
        if (redirectedToTls(req, route.host())) {
            return;
        }
        x.hsts = route.hsts() && scheme.equals("https");
        x.route(route.tenant(), route.service());
    }

    /** On the plain port, a name a certificate covers is sent to TLS (308): true when it was. */
    private boolean redirectedToTls(HttpRequest req, String name) {
        if (scheme.equals("http") && s.tls() != null && s.tls().covers(name)) {
            String port = s.httpsPort() == 443 ? "" : ":" + s.httpsPort();
            x.redirect("https://" + name + port + req.uri());
            return true;
        }
        return false;
    }

    /** What the codec accepts but the ingress refuses: "status reason", or null. */
    private String refusal(HttpRequest req) {
        HttpHeaders h = req.headers();
        HttpVersion v = req.protocolVersion();
        if (!stream && !v.equals(HttpVersion.HTTP_1_1) && !v.equals(HttpVersion.HTTP_1_0)) {
            return "505 " + v.text() + " is not spoken here";
        }
        if (h.size() > MAX_HEADER_LINES) {
            return "431 more than " + MAX_HEADER_LINES + " header lines";
        }
        if (req.method().equals(HttpMethod.CONNECT)) {
            return "405 CONNECT is not served";
        }
        if (!req.uri().startsWith("/")) {
            return "400 a target that is not a path";
        }
        List<String> hosts = h.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || hosts.isEmpty() && (stream || v.equals(HttpVersion.HTTP_1_1))) {
            return "400 " + (hosts.isEmpty() ? "no Host" : "more than one Host");
        }
        List<String> codings = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!stream && !codings.isEmpty()
                && (codings.size() > 1 || !codings.get(0).trim().equalsIgnoreCase(HttpHeaderValues.CHUNKED.toString()))) {
            // the codec reads "gzip, chunked" as chunked and an unknown coding beside a length by the length
            return "400 a transfer coding other than chunked";
        }
        String expect = h.get(HttpHeaderNames.EXPECT);
        if (expect != null && !(expect.equalsIgnoreCase("100-continue") && v.equals(HttpVersion.HTTP_1_1))) {
            return "417 an expectation other than 100-continue";
        }
        String uri = req.uri();
        int q = uri.indexOf('?');
        if (!RequestPaths.acceptable(q < 0 ? uri : uri.substring(0, q))) {
            return "400 a malformed path";
        }
        return null;
    }

    private static String reason(Throwable cause) {
        if (cause instanceof TooLongHttpHeaderException) {
            return "its head is too large";
        }
        if (cause instanceof TooLongFrameException) {
            return "a line is too long";
        }
        String m = cause.getMessage();
        if (m == null || m.isBlank()) {
            return "it is malformed";
        }
        // the codec's own words, without what the client sent (nothing of it is echoed back)
        int quote = m.indexOf('\'');
        return "it is malformed (" + (quote > 0 ? m.substring(0, quote).trim() : m.length() > 120 ? m.substring(0, 120) : m)
                + ")";
    }

    /** An {@code Upgrade: h2c}: the front's own to take (or to decline), never the service's. */
    static boolean asksH2c(HttpRequest req) {
        return req.headers().containsValue(HttpHeaderNames.UPGRADE, "h2c", true);
    }

    /** The host without its port, or null. */
    static String hostName(String h) {
        if (h == null) {
            return null;
        }
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            return close < 0 ? h : h.substring(0, close + 1);
        }
        int colon = h.lastIndexOf(':');
        return colon >= 0 ? h.substring(0, colon) : h;
    }

    /** Answers a request the ingress will not pass on, then closes the connection (reading what still comes, a moment). */
    private void refuse(HttpVersion version, int status, String why) {
        log.debug("Ingress port refused a request from {}: {}", ctx.channel().remoteAddress(), why);
        if (x != null) {
            x.abandon();
            x = null;
        }
        cancelWait();
        FullHttpResponse page = page(version, status, switch (status) {
            case 405 -> "Method not allowed";
            case 408 -> "Request timeout";
            case 417 -> "Expectation failed";
            case 431 -> "Request header fields too large";
            case 505 -> "HTTP version not supported";
            default -> "Bad request";
        }, "The request was refused: " + why + ".", null);
        draining = true;
        if (stream) {
            ctx.writeAndFlush(page);
            return;
        }
        page.headers().set("Connection", "close");
        ctx.writeAndFlush(page).addListener(f -> linger());
    }

    /**
     * Ends the connection after reading (and dropping) what the client still sends, for a
     * moment: closed with bytes unread, the socket would send a reset that may destroy the
     * answer before the client reads it.
     */
    private void linger() {
        if (!(ctx.channel() instanceof DuplexChannel d) || !d.isActive()) {
            ctx.close();
            return;
        }
        d.shutdownOutput().addListener(f -> {
            ctx.executor().schedule(() -> ctx.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
            ctx.channel().config().setAutoRead(true);
        });
    }

    private static FullHttpResponse page(HttpVersion version, int status, String title, String text, String retryAfter) {
        byte[] body = Relay.html(status, title, text);
        FullHttpResponse r = new DefaultFullHttpResponse(version, HttpResponseStatus.valueOf(status),
                Unpooled.wrappedBuffer(body));
        r.headers().set("Content-Type", "text/html;charset=UTF-8")
                .set("Cache-Control", "no-store")
                .setInt("Content-Length", body.length);
        if (retryAfter != null) {
            r.headers().set("Retry-After", retryAfter);
        }
        return r;
    }

    private String peer() {
        SocketAddress a = (stream ? ctx.channel().parent() : ctx.channel()).remoteAddress();
        return a instanceof InetSocketAddress i ? i.getAddress().getHostAddress() : String.valueOf(a);
    }

    /**
     * One request and its answer. The head goes up only with the body's first part (or with no
     * body at all): a body malformed from its start is refused before the service sees anything.
     */
    private final class Exchange {
        final HttpRequest request;
        final HttpVersion version;
        final String hostName;
        final boolean head;
        final boolean hasBody;
        final boolean upgradeAsked;
        final long start = System.nanoTime();
        boolean keepAlive;
        boolean requestComplete;
        boolean closeAfter;
        final ArrayDeque<HttpContent> pending = new ArrayDeque<>();
        String tenant;
        String service;
        /** Whether the answer carries Strict-Transport-Security (a custom domain that opted in, over TLS). */
        boolean hsts;
        IngressRouter.Target target;
        RequestPermits permits;
        /** The request's place in line for a permit, while it waits. */
        CompletableFuture<Boolean> waitingPermit;
        boolean permitted;
        int looks;
        /** The instances (or nodes) that failed this request: a look again goes elsewhere. */
        final Set<UUID> tried = new HashSet<>();
        boolean retried;
        Channel up;
        boolean reused;
        boolean headSent;
        boolean responseStarted;
        boolean responseDone;
        boolean upstreamClean;
        boolean skipInterim;
        /**
         * The answer's head waits in the outbound buffer for the first bytes of its body (of a
         * length known and not zero, the request sent whole): a server that writes them apart
         * (python's http.server) then costs the client one wake-up, not two. An answer that may
         * stream, or one to a client still sending, goes down as it comes.
         */
        boolean headHeld;
        boolean ended;
        int status = 502;
        ScheduledFuture<?> upTimer;

        Exchange(HttpRequest request, String hostName) {
            this.request = request;
            this.version = request.protocolVersion();
            this.hostName = hostName;
            this.head = request.method().equals(HttpMethod.HEAD);
            this.keepAlive = stream || HttpUtil.isKeepAlive(request);
            boolean full = request instanceof LastHttpContent;
            this.hasBody = full ? ((LastHttpContent) request).content().isReadable()
                    : HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
            HttpHeaders h = request.headers();
            this.upgradeAsked = !stream && h.contains(HttpHeaderNames.UPGRADE) && !asksH2c(request)
                    && h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
            if (full) {
                LastHttpContent last = (LastHttpContent) request;
                requestComplete = true;
                if (hasBody) {
                    pending.add(new DefaultLastHttpContent(last.content()));
                } else {
                    last.content().release();
                }
            } else if (!hasBody) {
                requestComplete = false;   // its (empty) last part still comes from the codec
            }
        }

        // -- answers of the ingress's own

        void answer(int status, String title, String text, String retryAfter) {
            this.status = status;
            FullHttpResponse page = page(stream ? HttpVersion.HTTP_1_1 : version, status, title, text, retryAfter);
            if (hasBody && !requestComplete) {
                closeAfter = true;   // its body is not read: the connection cannot stay in step
            }
            respondWith(page);
        }

        /** A 200 of text the ingress answers itself (an ACME challenge's key authorisation). */
        void plain(String text) {
            status = 200;
            FullHttpResponse r = new DefaultFullHttpResponse(stream ? HttpVersion.HTTP_1_1 : version,
                    HttpResponseStatus.OK, Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
            if (hasBody && !requestComplete) {
                closeAfter = true;
            }
            respondWith(r);
        }

        void redirect(String location) {
            status = 308;
            FullHttpResponse r = page(stream ? HttpVersion.HTTP_1_1 : version, 308, "Permanent redirect",
                    "This site is served over HTTPS: " + location, null);
            r.headers().set("Location", location);
            if (hasBody && !requestComplete) {
                closeAfter = true;
            }
            respondWith(r);
        }

        private void respondWith(FullHttpResponse page) {
            responseStarted = true;
            setConnection(page, page.headers().contains(HttpHeaderNames.CONTENT_LENGTH));
            ctx.writeAndFlush(page).addListener(f -> done());
        }

        private void setConnection(HttpResponse r, boolean lengthKnown) {
            if (stream) {
                return;
            }
            if (!lengthKnown && version.equals(HttpVersion.HTTP_1_0) || !keepAlive) {
                closeAfter = true;
            }
            r.headers().remove(HttpHeaderNames.CONNECTION);
            if (closeAfter) {
                r.headers().set("Connection", "close");
            } else if (version.equals(HttpVersion.HTTP_1_0)) {
                r.headers().set("Connection", "keep-alive");
            }
        }

        // -- routing

        void route(String tenant, String service) {
            this.tenant = tenant;
            this.service = service;
            looks++;
            s.router().target(tenant, service, tried).whenComplete((t, e) -> {
                if (ctx.executor().inEventLoop()) {
                    routed(t, e);
                } else {
                    ctx.executor().execute(() -> routed(t, e));
                }
            });
        }

        private void routed(IngressRouter.Routing r, Throwable e) {
            Optional<IngressRouter.Target> t = r == null ? Optional.empty() : r.target();
            if (ended) {
                t.ifPresent(found -> found.finished().run());
                return;
            }
            if (e == null && r.refused() != null) {
                IngressRouter.Page p = r.refused();
                answer(p.status(), p.title(), p.text(), p.retryAfter());
                return;
            }
            if (e != null || t.isEmpty()) {
                if (e != null) {
                    log.warn("Ingress: routing {}/{} failed", tenant, service, e);
                }
                IngressRouter.Page p = s.router().notRunning(tenant, service);
                answer(p.status(), p.title(), p.text(), p.retryAfter());
                return;
            }
            target = t.get();
            permits = s.router().permits(tenant, service);
            if (permits.tryAcquire()) {
                permitted();
                return;
            }
            // in line for a permit: a release hands one straight to the longest waiting request
            CompletableFuture<Boolean> w = permits.acquire(s.router().queueTimeoutMillis());
            waitingPermit = w;
            w.thenAccept(granted -> ctx.executor().execute(() -> {
                if (ended || waitingPermit != w) {
                    return; // given up meanwhile: giveUp released a permit granted after it
                }
                waitingPermit = null;
                if (granted) {
                    permitted();
                } else {
                    answer(503, "Service busy", "Service " + service + " has too many requests in flight; try again shortly.",
                            "1");
                }
            }));
        }

        private void permitted() {
            permitted = true;
            connect(false);
        }

        private void connect(boolean fresh) {
            Future<Upstreams.Lease> f = upstreams.acquire(target.connections(), ctx.channel().eventLoop(), fresh);
            f.addListener(done -> {
                if (ended) {
                    if (done.isSuccess()) {
                        ((Upstreams.Lease) done.getNow()).channel().close();
                    }
                    return;
                }
                if (!done.isSuccess()) {
                    unreachable();
                    return;
                }
                Upstreams.Lease lease = f.getNow();
                up = lease.channel();
                reused = lease.reused();
                up.pipeline().replace(Upstreams.LINK, Upstreams.LINK, new UpLink(this));
                if (!up.isActive()) {
                    upstreamClosed(up);
                    return;
                }
                if (request.headers().contains(HttpHeaderNames.EXPECT) && !requestComplete && !stream) {
                    ctx.writeAndFlush(new DefaultFullHttpResponse(version, HttpResponseStatus.CONTINUE));
                }
                sendWhenReady();
            });
        }

        private void unreachable() {
            target.onUnreachable().run();
            tried.add(target.place());
            if (target.replaced().getAsBoolean() && looks < MAX_LOOKS) {
                relook();
                return;
            }
            answer(503, "Service unavailable", target.unreachable(), "2");
        }

        /** Back to the router: a newer instance took the place of this one, or the node no longer runs the service. */
        private void relook() {
            releaseUpstream(false);
            releaseTarget();
            route(tenant, service);
        }

        private void releaseTarget() {
            if (waitingPermit != null) {
                permits.giveUp(waitingPermit);
                waitingPermit = null;
            }
            if (permitted) {
                permits.release();
                permitted = false;
            }
            if (target != null) {
                target.finished().run();
                target = null;
            }
        }

        // -- the request going up

        private void sendWhenReady() {
            if (up == null || headSent) {
                return;
            }
            if (hasBody && pending.isEmpty()) {
                ctx.read();   // the head goes with the body's first part
                return;
            }
            headSent = true;
            up.write(upstreamRequest());
            while (!pending.isEmpty()) {
                up.write(pending.poll());
            }
            if (!hasBody) {
                // the request's end, so that the kept connection's encoder is ready for the next one
                up.write(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            up.flush();
            armTimeout();
            up.read();
            if (!requestComplete && up.isWritable()) {
                ctx.read();
            }
        }

        void fromClient(HttpContent c) {
            if (c.decoderResult().isFailure()) {
                ReferenceCountUtil.release(c);
                String why = reason(c.decoderResult().cause());
                if (!headSent) {
                    releaseUpstream(true);
                } else {
                    releaseUpstream(false);   // the service has a request it cannot finish: nothing complete
                }
                if (responseStarted) {
                    ctx.close();
                } else {
                    refuse(version, 400, "its body is malformed: " + why);
                }
                return;
            }
            boolean last = c instanceof LastHttpContent;
            HttpContent part = last && !((LastHttpContent) c).trailingHeaders().isEmpty()
                    ? new DefaultLastHttpContent(c.content()) : c;   // trailers stay behind
            if (last) {
                requestComplete = true;
            }
            if (ended || !hasBody) {
                ReferenceCountUtil.release(part);   // the empty end of a bodiless request went up with its head
                return;
            }
            if (!headSent) {
                pending.add(part);
                sendWhenReady();
                return;
            }
            up.writeAndFlush(part);
            if (!last && up.isWritable()) {
                ctx.read();
            }
        }

        private HttpRequest upstreamRequest() {
            HttpHeaders in = request.headers();
            HttpRequest out = new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), request.uri());
            HttpHeaders h = out.headers();
            String host = null;
            StringJoiner cookies = new StringJoiner("; ");
            for (Map.Entry<String, String> e : in) {
                String lower = e.getKey().toLowerCase(Locale.ROOT);
                if (HOP_BY_HOP.contains(lower) || lower.equals("content-length") || lower.equals("expect")
                        || lower.equals("http2-settings") || lower.startsWith("x-http2-") || lower.startsWith(":")
                        || s.hop().dropsRequestHeader(lower, true)) {
                    continue;
                }
                if (lower.equals("cookie")) {
                    String kept = s.hop().cookies(e.getValue());
                    if (kept != null) {
                        cookies.add(kept);
                    }
                    continue;
                }
                if (lower.equals("host")) {
                    if (host != null) {
                        continue;
                    }
                    host = e.getValue();
                }
                h.add(e.getKey(), e.getValue());
            }
            if (cookies.length() > 0) {
                h.add(HttpHeaderNames.COOKIE, cookies.toString());
            }
            if (host == null) {
                h.add(HttpHeaderNames.HOST, "localhost");
            }
            TrustedProxies.Client client = s.proxies().client(peer(), scheme, name -> {
                List<String> all = in.getAll(name);
                return all.isEmpty() ? null : String.join(",", all);
            });
            String address = client.address();
            h.add("X-Forwarded-For", address);
            h.add("X-Forwarded-Proto", client.scheme());
            h.add("Forwarded", "for=\"" + (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + "\";proto="
                    + client.scheme() + (host != null ? ";host=\"" + host.replace("\"", "") + "\"" : ""));
            if (host != null) {
                h.add("X-Forwarded-Host", host);
            }
            target.hopHeaders().forEach(h::add);
            if (upgradeAsked) {
                h.set("Connection", "Upgrade");
                h.set("Upgrade", in.get(HttpHeaderNames.UPGRADE));
            }
            if (HttpUtil.isContentLengthSet(request) && !(request instanceof LastHttpContent)) {
                h.set("Content-Length", in.get(HttpHeaderNames.CONTENT_LENGTH));
            } else if (request instanceof LastHttpContent full) {
                if (hasBody) {
                    h.setInt("Content-Length", full.content().readableBytes());
                }
            } else if (hasBody) {
                h.set("Transfer-Encoding", "chunked");
            }
            return out;
        }

        // -- the answer coming down

        private void armTimeout() {
            if (upTimer != null) {
                upTimer.cancel(false);
            }
            if (target == null) {
                return;
            }
            upTimer = ctx.executor().schedule(this::timedOut, target.readTimeoutMillis(), TimeUnit.MILLISECONDS);
        }

        private void timedOut() {
            upTimer = null;
            if (ended || responseDone) {
                return;
            }
            releaseUpstream(false);
            if (!responseStarted) {
                status = 504;
                closeAfter |= !requestComplete;
                respondWith(page(stream ? HttpVersion.HTTP_1_1 : version, 504, "Service timed out", "Service "
                        + service + " did not answer in time.", null));
            } else {
                ctx.close();
            }
        }

        void fromUpstream(Object msg) {
            if (ended || responseDone) {
                ReferenceCountUtil.release(msg);
                return;
            }
            armTimeout();
            if (msg instanceof HttpResponse r) {
                response(r);
            } else if (msg instanceof HttpContent c) {
                if (skipInterim) {
                    skipInterim = !(c instanceof LastHttpContent);
                    c.release();
                    return;
                }
                if (!responseStarted) {
                    c.release();
                    return;
                }
                if (c.decoderResult().isFailure()) {
                    c.release();
                    releaseUpstream(false);
                    ctx.close();   // half an answer went out already: only the close says it broke off
                    return;
                }
                headHeld &= !c.content().isReadable();
                if (c instanceof LastHttpContent last) {
                    responseDone = true;
                    upTimer.cancel(false);
                    if (!(upstreamClean && requestComplete && headSent) && target != null) {
                        // a connection the service closes after each answer: the next request's standby is
                        // opened now, before the answer's end goes down, so that the service's accept (and a
                        // threading server's new thread) is under way before the client asks again
                        upstreams.closingAfterThis(target.connections(), up);
                    }
                    HttpContent end = last.trailingHeaders().isEmpty() ? last : new DefaultLastHttpContent(last.content());
                    ctx.writeAndFlush(end).addListener(f -> done());
                } else {
                    ctx.write(c);
                }
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        private void response(HttpResponse r) {
            if (r.decoderResult().isFailure()) {
                ReferenceCountUtil.release(r);
                badGateway("the service sent no valid answer (" + reason(r.decoderResult().cause()) + ")");
                return;
            }
            int code = r.status().code();
            if (code == 101 && upgradeAsked) {
                switchProtocols(r);
                return;
            }
            if (code >= 100 && code < 200 && code != 101) {
                skipInterim = true;   // 100 Continue (answered here already) or early hints: not relayed
                ReferenceCountUtil.release(r);
                return;
            }
            if (code == HttpProxy.MISDIRECTED && target.toNode()) {
                ReferenceCountUtil.release(r);
                misdirected();
                return;
            }
            if (code < 200 || code > 599) {
                ReferenceCountUtil.release(r);
                badGateway("the service answered with status " + code + ", which the ingress does not relay");
                return;
            }
            HttpHeaders in = r.headers();
            boolean noBody = head || code == 204 || code == 304;
            boolean hasLength = HttpUtil.isContentLengthSet(r);
            boolean chunkedDown = HttpUtil.isTransferEncodingChunked(r);
            upstreamClean = HttpUtil.isKeepAlive(r) && (hasLength || chunkedDown || noBody);
            headHeld = requestComplete && !noBody && hasLength && HttpUtil.getContentLength(r, 0L) > 0;
            HttpResponse out = new DefaultHttpResponse(stream ? HttpVersion.HTTP_1_1 : version, r.status());
            HttpHeaders h = out.headers();
            for (Map.Entry<String, String> e : in) {
                String lower = e.getKey().toLowerCase(Locale.ROOT);
                if (HOP_BY_HOP.contains(lower)
                        || lower.equals("set-cookie") && !s.hop().keepsSetCookie(e.getValue(), hostName)) {
                    continue;   // a platform cookie, or one scoped beyond the service's own host
                }
                h.add(e.getKey(), e.getValue());
            }
            if (hsts) {
                h.set(HSTS, HSTS_VALUE);
            }
            boolean lengthKnown = hasLength || noBody;
            if (!lengthKnown && !stream && version.equals(HttpVersion.HTTP_1_1)) {
                h.set("Transfer-Encoding", "chunked");
                lengthKnown = true;
            }
            if (hasBody && !requestComplete) {
                closeAfter = true;   // answered before its body was all read: the connection cannot stay in step
            }
            setConnection(out, lengthKnown);
            status = code;
            responseStarted = true;
            ctx.write(out);
        }

        private void misdirected() {
            releaseUpstream(false);
            target.onUnreachable().run();   // the router looks the service up again
            if (hasBody) {
                // its body went to that node already: it cannot be sent again
                answer(503, "Service unavailable", "Service " + service
                        + " moved to another node while this request was on its way; send it again.", "1");
                return;
            }
            tried.add(target.place());
            if (looks < MAX_LOOKS) {
                headSent = false;
                relook();
            } else {
                IngressRouter.Page p = s.router().notRunning(tenant, service);
                answer(p.status(), p.title(), p.text(), p.retryAfter());
            }
        }

        private void badGateway(String why) {
            releaseUpstream(false);
            if (!responseStarted) {
                status = 502;
                closeAfter |= !requestComplete;
                respondWith(page(stream ? HttpVersion.HTTP_1_1 : version, 502, "Bad gateway", "Service " + service
                        + " sent no valid answer: " + why + ".", null));
            } else {
                ctx.close();
            }
        }

        /** The service agreed to the client's {@code Upgrade}: the 101 goes down, then bytes both ways. */
        private void switchProtocols(HttpResponse r) {
            FullHttpResponse out = new DefaultFullHttpResponse(version, r.status());
            for (Map.Entry<String, String> e : r.headers()) {
                String lower = e.getKey().toLowerCase(Locale.ROOT);
                if (lower.equals("set-cookie") && !s.hop().keepsSetCookie(e.getValue(), hostName)
                        || !lower.equals("connection") && !lower.equals("upgrade") && HOP_BY_HOP.contains(lower)) {
                    continue;
                }
                out.headers().add(e.getKey(), e.getValue());
            }
            ReferenceCountUtil.release(r);
            status = 101;
            responseStarted = true;
            responseDone = true;
            if (upTimer != null) {
                upTimer.cancel(false);
            }
            ctx.writeAndFlush(out);
            Channel upstream = up;
            up = null;
            // the codecs go; what either side's decoder still held comes out of it as bytes
            raw = upstream;
            ChannelHandlerContext self = ctx;
            if (self.pipeline().get(HttpServerCodec.class) != null) {
                self.pipeline().remove(HttpServerCodec.class);
            }
            upstream.pipeline().replace(Upstreams.LINK, Upstreams.LINK, new RawLink(self.channel()));
            if (upstream.pipeline().get(Upstreams.CODEC) != null) {
                upstream.pipeline().remove(Upstreams.CODEC);
            }
            s.router().record(tenant, service, status, System.nanoTime() - start);
            ended = true;
            releaseTarget();
            x = null;
            while (!inbox.isEmpty()) {
                ReferenceCountUtil.release(inbox.poll());   // nothing HTTP follows an upgrade on this connection
            }
            upstream.read();
            self.read();
        }

        void upstreamClosed(Channel which) {
            if (ended || responseDone || which != up) {
                return;   // done with, or one this exchange let go of itself
            }
            up = null;
            if (!responseStarted) {
                boolean replayable = !hasBody && REPLAYABLE.contains(request.method());
                if (!retried && (!headSent || reused && replayable)) {
                    // a kept connection the service closed meanwhile: the request never reached it (or may be sent again)
                    retried = true;
                    headSent = false;
                    connect(true);
                    return;
                }
                if (replayable && looks < MAX_LOOKS) {
                    // the instance went away with the request (it crashed, or was killed): another one answers it
                    tried.add(target.place());
                    if (target.replaced().getAsBoolean()) {
                        headSent = false;
                        relook();
                        return;
                    }
                }
                badGateway("the service closed the connection before answering");
            } else {
                ctx.close();
            }
        }

        void upstreamReadComplete() {
            if (ended || responseDone) {
                return;
            }
            if (up != null) {
                Upstreams.quickAck(up);   // the answer is not whole yet
            }
            if (!headHeld) {
                ctx.flush();
            }
            if (up != null && ctx.channel().isWritable()) {
                up.read();
            }
        }

        void upstreamWritable() {
            if (!ended && headSent && !requestComplete) {
                ctx.read();
            }
        }

        private void releaseUpstream(boolean clean) {
            Channel c = up;
            up = null;
            if (c != null) {
                if (target != null) {
                    upstreams.release(target.connections(), c, clean);
                } else {
                    c.close();
                }
            }
        }

        /** The answer went out whole (or the ingress's own page did). */
        private void done() {
            if (ended) {
                return;
            }
            ended = true;
            if (upTimer != null) {
                upTimer.cancel(false);
            }
            // a client that reads to the end of the connection has its answer at this close: what
            // follows (the upstream's release, which may open the next standby) is off its path
            boolean closing = !stream && (closeAfter || !ctx.channel().isActive());
            if (closing && hasBody && !requestComplete) {
                draining = true;
                linger();
            } else if (closing) {
                ctx.close();
            }
            boolean clean = upstreamClean && requestComplete && headSent;
            releaseUpstream(clean);
            if (tenant != null) {
                s.router().record(tenant, service, status, System.nanoTime() - start);
            }
            releaseTarget();
            x = null;
            if (!closing && !stream) {
                next();
            }
        }

        /** The client went away, or the request was refused midway. */
        void abandon() {
            if (ended) {
                return;
            }
            ended = true;
            if (upTimer != null) {
                upTimer.cancel(false);
            }
            while (!pending.isEmpty()) {
                ReferenceCountUtil.release(pending.poll());
            }
            releaseUpstream(false);
            if (tenant != null && target != null) {
                s.router().record(tenant, service, status, System.nanoTime() - start);
            }
            releaseTarget();
        }
    }

    /** The upstream connection's handler while it serves one exchange. */
    private static final class UpLink extends ChannelInboundHandlerAdapter {
        private final Exchange x;

        UpLink(Exchange x) {
            this.x = x;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            x.fromUpstream(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            x.upstreamReadComplete();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                x.upstreamWritable();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            x.upstreamClosed(ctx.channel());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("Ingress upstream failed: {}", cause.toString());
            ctx.close();
        }
    }

    /** After a 101: the upstream's bytes go to the client as they come, at the pace the client takes them. */
    private static final class RawLink extends ChannelInboundHandlerAdapter {
        private final Channel client;

        RawLink(Channel client) {
            this.client = client;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf || msg instanceof io.netty.buffer.ByteBufHolder) {
                client.write(msg instanceof HttpContent c ? c.content() : msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            Upstreams.quickAck(ctx.channel());
            client.flush();
            if (client.isWritable()) {
                ctx.read();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                client.read();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
