package dev.palisade.platform.tenantdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The gate's reading of what a sandboxed client sends first, which the client controls entirely:
 * only a well-formed startup naming one of the tenant's roles is let on to the server; everything
 * else gets the protocol's FATAL error and the connection ends, and a foreign role is reported.
 * (The relay after an admitted login is exercised against the real server by {@link
 * TenantDatabaseApiTests}.)
 */
class GateConnectionTests {

    final List<String> refused = new ArrayList<>();

    EmbeddedChannel gate() {
        // nothing listens on port 1: an admitted login would fail to reach a server, never hang
        return new EmbeddedChannel(new GateConnection("t7_", new InetSocketAddress("127.0.0.1", 1),
                (user, from) -> refused.add(user)));
    }

    static ByteBuf startup(String... pairs) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (String p : pairs) {
            body.writeBytes(p.getBytes(StandardCharsets.UTF_8));
            body.write(0);
        }
        body.write(0);
        byte[] b = body.toByteArray();
        return Unpooled.buffer().writeInt(8 + b.length).writeInt(196608).writeBytes(b);
    }

    static String error(EmbeddedChannel ch) {
        ByteBuf out = ch.readOutbound();
        assertThat(out).as("an answer").isNotNull();
        assertThat((char) out.readByte()).isEqualTo('E');
        String text = out.toString(out.readerIndex() + 4, out.readableBytes() - 4, StandardCharsets.UTF_8);
        out.release();
        return text;
    }

    @Test
    void aRoleOfAnotherTenantIsRefusedAndReported() {
        EmbeddedChannel ch = gate();
        ch.writeInbound(startup("user", "t70_main", "database", "t70_main"));
        assertThat(error(ch)).contains("28000", "t70_main", "may not log in at this address");
        assertThat(refused).containsExactly("t70_main");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void theBarePrefixAMissingUserAndADoubledUserAreRefused() {
        for (ByteBuf packet : List.of(startup("user", "t7_"), startup("database", "t7_main"),
                startup("user", "t7_main", "user", "t70_main"))) {
            EmbeddedChannel ch = gate();
            ch.writeInbound(packet);
            assertThat(error(ch)).contains("28000");
            assertThat(ch.isOpen()).isFalse();
        }
        assertThat(refused).containsExactly("t7_", "(none)", "(none)");
    }

    @Test
    void encryptionRequestsAreDeclinedAndTheStartupAfterThemIsRead() {
        EmbeddedChannel ch = gate();
        ch.writeInbound(Unpooled.buffer().writeInt(8).writeInt(GateConnection.SSL_REQUEST));
        ByteBuf no = ch.readOutbound();
        assertThat(no.readByte()).isEqualTo((byte) 'N');
        no.release();
        ch.writeInbound(Unpooled.buffer().writeInt(8).writeInt(GateConnection.GSSENC_REQUEST));
        no = ch.readOutbound();
        assertThat(no.readByte()).isEqualTo((byte) 'N');
        no.release();
        ch.writeInbound(startup("user", "postgres"));
        assertThat(error(ch)).contains("28000", "postgres");
        assertThat(refused).containsExactly("postgres");
    }

    @Test
    void aStartupSplitIntoSingleBytesIsReadWhole() {
        EmbeddedChannel ch = gate();
        ByteBuf packet = startup("user", "t8_x");
        while (packet.isReadable()) {
            assertThat(refused).isEmpty();
            ch.writeInbound(packet.readRetainedSlice(1));
        }
        packet.release();
        assertThat(error(ch)).contains("t8_x");
        assertThat(refused).containsExactly("t8_x");
    }

    @Test
    void hostileFramingEndsTheConnectionWithoutReadingOn() {
        // too long, too short, a TLS hello sent straight away, an old protocol, a body without its end
        List<ByteBuf> packets = List.of(
                Unpooled.buffer().writeInt(1 << 30).writeInt(196608),
                Unpooled.buffer().writeInt(4).writeInt(196608),
                Unpooled.wrappedBuffer(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc}),
                Unpooled.buffer().writeInt(8).writeInt(2 << 16),
                Unpooled.buffer().writeInt(14).writeInt(196608).writeBytes("user\0t".getBytes(StandardCharsets.US_ASCII)));
        List<String> codes = List.of("08P01", "08P01", "08P01", "0A000", "28000");
        for (int i = 0; i < packets.size(); i++) {
            EmbeddedChannel ch = gate();
            ch.writeInbound(packets.get(i));
            assertThat(error(ch)).as("packet %d", i).contains(codes.get(i));
            assertThat(ch.isOpen()).as("packet %d", i).isFalse();
        }
        assertThat(refused).containsExactly("(none)");
    }

    @Test
    void startupUserReadsOnlyAWellEndedList() {
        assertThat(GateConnection.startupUser(body("user\0t7_a\0database\0t7_a\0\0"))).isEqualTo("t7_a");
        assertThat(GateConnection.startupUser(body("user\0t7_a\0\0extra"))).isNull();
        assertThat(GateConnection.startupUser(body("user\0t7_a\0database\0"))).isNull();
        assertThat(GateConnection.startupUser(body("user\0"))).isNull();
    }

    static ByteBuf body(String s) {
        return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.UTF_8));
    }
}
