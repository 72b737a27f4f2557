package dev.palisade.platform.customdomain;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The TXT look-up against a DNS server that misbehaves, a real UDP socket on loopback: it answers
 * every query with a stream of replies that never match it (another query's id), so the JNDI
 * provider keeps waiting; the look-up still ends within its bound, saying why.
 */
class TxtRecordsTests {

    @Test
    void aServerThatKeepsSendingRepliesThatNeverMatchCannotHoldALookUpPastItsBound() throws Exception {
        try (DatagramSocket server = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            Thread babbler = new Thread(() -> babble(server), "babbling-dns");
            babbler.setDaemon(true);
            babbler.start();
            TxtRecords txt = new TxtRecords(new CustomDomainProperties(null, null, null, Duration.ofDays(30),
                    Duration.ofMinutes(1), Duration.ofMinutes(10), Duration.ofSeconds(90), Duration.ofSeconds(5), 20,
                    "127.0.0.1:" + server.getLocalPort(), Duration.ofDays(7)));
            try {
                long start = System.nanoTime();
                TxtRecords.Found found = txt.lookup("_acme-challenge.www.example.com");
                long took = (System.nanoTime() - start) / 1_000_000;
                System.out.printf("TXT look-up against a babbling server ended after %d ms: %s%n", took, found.failure());
                assertThat(found.values()).isEmpty();
                assertThat(found.failure()).isEqualTo("the DNS server did not answer within 10 s");
                assertThat(took).isBetween(TxtRecords.LIMIT.toMillis(), TxtRecords.LIMIT.toMillis() + 2_000);
                assertThat(found.describe("v")).isEqualTo("no TXT record _acme-challenge.www.example.com found"
                        + " (the DNS server did not answer within 10 s); expected \"v\"");
            } finally {
                txt.destroy();
                babbler.interrupt();
            }
        }
    }

    /** For each query: replies (QR set, no records) carrying the query's id plus one, every 300 ms, for 30 s. */
    private static void babble(DatagramSocket server) {
        try {
            DatagramPacket query = new DatagramPacket(new byte[512], 512);
            server.receive(query);
            byte[] reply = new byte[12];
            int id = (((query.getData()[0] & 0xff) << 8) | (query.getData()[1] & 0xff)) + 1;
            reply[0] = (byte) (id >> 8);
            reply[1] = (byte) id;
            reply[2] = (byte) 0x81;   // a response, recursion desired
            reply[3] = (byte) 0x80;   // recursion available, no error
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < end && !Thread.currentThread().isInterrupted()) {
                server.send(new DatagramPacket(reply, reply.length, query.getSocketAddress()));
                Thread.sleep(300);
            }
        } catch (SocketException | InterruptedException e) {
            // the test is over
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
