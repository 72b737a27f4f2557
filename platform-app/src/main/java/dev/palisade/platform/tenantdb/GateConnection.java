package dev.palisade.platform.tenantdb;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One client connection at a tenant's database gate. It reads the PostgreSQL startup packet
 * (answering "no" to SSL and GSS encryption requests: the path is the node's own), admits a
 * login only as one of the tenant's roles ({@code t<tenant>_…}), and then relays bytes both ways
 * to the server untouched. Anything else ends the connection with the protocol's own error
 * message, which clients show as they show the server's. Netty relays; only the startup packet,
 * a dozen bytes of framing, is read here.
 */
final class GateConnection extends ByteToMessageDecoder {

    /** Codes of the first packets that are not a startup (PostgreSQL's protocol, "Message Formats"). */
    static final int SSL_REQUEST = 80877103;
    static final int GSSENC_REQUEST = 80877104;
    static final int CANCEL_REQUEST = 80877102;
    /** The server's own bound on a startup packet (MAX_STARTUP_PACKET_LENGTH). */
    static final int MAX_STARTUP = 10_000;
    /** How long a client has to say who it is. */
    static final long STARTUP_SECONDS = 10;

    /** Told of each refused login: the role asked for and where from. */
    interface Refusals {
        void refused(String user, String from);
    }

    private final String rolePrefix;
    private final InetSocketAddress server;
    private final Refusals refusals;
    private boolean decided;

    GateConnection(String rolePrefix, InetSocketAddress server, Refusals refusals) {
        this.rolePrefix = rolePrefix;
        this.server = server;
        this.refusals = refusals;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.executor().schedule(() -> {
            if (!decided) {
                ctx.close();
            }
        }, STARTUP_SECONDS, TimeUnit.SECONDS);
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (decided || in.readableBytes() < 8) {
            return;
        }
        int length = in.getInt(in.readerIndex());
        int code = in.getInt(in.readerIndex() + 4);
        if (length < 8 || length > MAX_STARTUP) {
            decided = true;
            in.skipBytes(in.readableBytes());
            fail(ctx, "08P01", "invalid startup packet length");
            return;
        }
        if (in.readableBytes() < length) {
            return;
        }
        if (length == 8 && (code == SSL_REQUEST || code == GSSENC_REQUEST)) {
            in.skipBytes(8);
            ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'N'}));
            return;
        }
        decided = true;
        if (code == CANCEL_REQUEST) {
            // names a backend by its process id and secret key: the server checks both, nothing here to add
            pass(ctx, in.readRetainedSlice(length));
            return;
        }
        if (code >>> 16 != 3) {
            in.skipBytes(in.readableBytes());
            fail(ctx, "0A000", "unsupported frontend protocol");
            return;
        }
        String user = startupUser(in.slice(in.readerIndex() + 8, length - 8));
        if (user == null || !user.startsWith(rolePrefix) || user.length() == rolePrefix.length()) {
            in.skipBytes(in.readableBytes());
            String from = ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "?";
            String shown = user == null ? "(none)" : user.length() > 64 ? user.substring(0, 64) + "…" : user;
            refusals.refused(shown, from);
            fail(ctx, "28000", "role \"" + shown + "\" may not log in at this address: it serves another tenant's databases");
            return;
        }
        pass(ctx, in.readRetainedSlice(length));
    }

    /**
     * The {@code user} parameter of a startup packet's body (name and value pairs, each ending in a
     * zero byte, the list ending in one more); null when there is none or the body is malformed.
     */
    static String startupUser(ByteBuf body) {
        ByteBuf rest = body.duplicate();
        String user = null;
        while (true) {
            String key = zeroEnded(rest);
            if (key == null) {
                return null;
            }
            if (key.isEmpty()) {
                return rest.isReadable() ? null : user;   // the list's end, with nothing after it
            }
            String value = zeroEnded(rest);
            if (value == null || key.equals("user") && user != null) {
                return null;
            }
            if (key.equals("user")) {
                user = value;
            }
        }
    }

    /** The next zero-ended string of {@code b}, read past; null when no zero ends it. */
    private static String zeroEnded(ByteBuf b) {
        int n = b.bytesBefore((byte) 0);
        if (n < 0) {
            return null;
        }
        String s = b.toString(b.readerIndex(), n, StandardCharsets.UTF_8);
        b.skipBytes(n + 1);
        return s;
    }

    /** Opens the server connection, hands it the packet, and leaves this connection to a relay. */
    private void pass(ChannelHandlerContext ctx, ByteBuf first) {
        Channel client = ctx.channel();
        client.config().setAutoRead(false);
        new Bootstrap().group(client.eventLoop()).channel(NioSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new Relay(client))
                .connect(server).addListener((ChannelFutureListener) connected -> {
                    if (!connected.isSuccess()) {
                        first.release();
                        fail(ctx, "08006", "the tenant database server is not reachable");
                        return;
                    }
                    Channel backend = connected.channel();
                    backend.writeAndFlush(first).addListener((ChannelFutureListener) written -> {
                        if (!written.isSuccess()) {
                            client.close();
                            backend.close();
                            return;
                        }
                        // bytes the client sent after its startup go to the relay, then on to the server
                        client.pipeline().replace(this, "relay", new Relay(backend));
                        client.read();
                    });
                });
    }

    /** Ends the connection with a FATAL ErrorResponse carrying {@code sqlState} and {@code message}. */
    private static void fail(ChannelHandlerContext ctx, String sqlState, String message) {
        ByteArrayOutputStream fields = new ByteArrayOutputStream();
        field(fields, 'S', "FATAL");
        field(fields, 'V', "FATAL");
        field(fields, 'C', sqlState);
        field(fields, 'M', message);
        fields.write(0);
        byte[] body = fields.toByteArray();
        ByteBuf error = Unpooled.buffer(5 + body.length).writeByte('E').writeInt(4 + body.length).writeBytes(body);
        ctx.channel().writeAndFlush(error).addListener(ChannelFutureListener.CLOSE);
    }

    private static void field(ByteArrayOutputStream out, char type, String value) {
        out.write(type);
        out.writeBytes(value.getBytes(StandardCharsets.UTF_8));
        out.write(0);
    }

    /** Copies what one side reads to the other, one read at a time, so a slow side slows the other. */
    static final class Relay extends ChannelInboundHandlerAdapter {
        private final Channel peer;

        Relay(Channel peer) {
            this.peer = peer;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.read();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            peer.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    ctx.channel().read();
                } else {
                    f.channel().close();
                    ctx.channel().close();
                }
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (peer.isActive()) {
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
