package dev.palisade.sandbox.nativeinterop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The kernel-level listener and connection against real sockets of the JDK on the other end. */
@Timeout(30)
class TcpListenerTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @BeforeAll
    static void linuxX8664() {
        assumeTrue(System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64"),
                "the socket constants are Linux x86-64's");
    }

    @Test
    void bytesGoBothWaysAndTheClientsCloseIsTheEndOfTheStream() throws Exception {
        try (TcpListener listener = TcpListener.open(LOOPBACK, 0, 16);
             Socket client = new Socket(LOOPBACK, listener.port());
             TcpConnection server = listener.accept()) {
            assertThat(server.remoteAddress()).isEqualTo("127.0.0.1");
            byte[] big = new byte[100_000];   // several native chunks each way
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) (i * 31);
            }
            Thread writer = started(() -> {
                try {
                    client.getOutputStream().write(big);
                    client.shutdownOutput();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            assertThat(server.input().readAllBytes()).isEqualTo(big);
            writer.join();
            server.output().write(big);
            server.shutdownOutput();
            assertThat(client.getInputStream().readAllBytes()).isEqualTo(big);
        }
    }

    @Test
    void anExpiredReadTimeoutLeavesTheConnectionUsable() throws Exception {
        try (TcpListener listener = TcpListener.open(LOOPBACK, 0, 16);
             Socket client = new Socket(LOOPBACK, listener.port());
             TcpConnection server = listener.accept()) {
            server.setReadTimeout(100);
            long start = System.nanoTime();
            assertThatThrownBy(() -> server.input().read(new byte[10])).isInstanceOf(SocketTimeoutException.class);
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(90));
            client.getOutputStream().write("late".getBytes(StandardCharsets.US_ASCII));
            byte[] b = new byte[10];
            assertThat(new String(b, 0, server.input().read(b), StandardCharsets.US_ASCII)).isEqualTo("late");
        }
    }

    @Test
    void aWriteTimeoutEndsAWriteToAClientThatDoesNotRead() throws Exception {
        try (TcpListener listener = TcpListener.open(LOOPBACK, 0, 16);
             Socket client = new Socket(LOOPBACK, listener.port());
             TcpConnection server = listener.accept()) {
            server.setWriteTimeout(200);
            OutputStream out = server.output();
            byte[] chunk = new byte[64 * 1024];
            assertThatThrownBy(() -> {
                for (int i = 0; i < 10_000; i++) {   // 640 MiB: far beyond the socket buffers
                    out.write(chunk);
                }
            }).isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void writingToAResetConnectionIsAnExceptionNotASignal() throws Exception {
        try (TcpListener listener = TcpListener.open(LOOPBACK, 0, 16)) {
            Socket client = new Socket(LOOPBACK, listener.port());
            try (TcpConnection server = listener.accept()) {
                client.setSoLinger(true, 0);
                client.close();   // RST
                assertThatThrownBy(() -> {
                    for (int i = 0; i < 100; i++) {
                        server.output().write(new byte[4096]);
                        Thread.sleep(5);
                    }
                }).isInstanceOf(SocketException.class);
            }
        }
        // had SIGPIPE been raised, the JVM running this test would be gone
    }

    @Test
    void abortFromAnotherThreadEndsABlockedRead() throws Exception {
        try (TcpListener listener = TcpListener.open(LOOPBACK, 0, 16);
             Socket client = new Socket(LOOPBACK, listener.port());
             TcpConnection server = listener.accept()) {
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<Integer> read = pool.submit(() -> server.input().read(new byte[10]));
                Thread.sleep(100);
                assertThat(read.isDone()).isFalse();
                server.abort();
                assertThat(read.get(5, TimeUnit.SECONDS)).isEqualTo(-1);
                assertThat(client.getInputStream().read()).isEqualTo(-1);   // the client sees the end too
            } finally {
                pool.shutdownNow();
            }
            server.close();
            server.abort();   // after close: does nothing (the number may be another file's by now)
        }
    }

    @Test
    void manyThreadsAcceptEachConnectionOnceAndCloseWakesThemAll() throws Exception {
        TcpListener listener = TcpListener.open(LOOPBACK, 0, 64);
        int threads = 8;
        int connections = 200;
        Set<String> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger accepted = new AtomicInteger();
        AtomicInteger endedByClose = new AtomicInteger();
        List<Thread> acceptors = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            acceptors.add(started(() -> {
                while (true) {
                    try (TcpConnection c = listener.accept()) {
                        byte[] b = new byte[16];
                        int n = c.input().read(b);
                        seen.add(new String(b, 0, n, StandardCharsets.US_ASCII));
                        accepted.incrementAndGet();
                        c.output().write('k');
                    } catch (SocketException e) {
                        if (e.getMessage().contains("closed")) {
                            endedByClose.incrementAndGet();
                            return;
                        }
                        throw new RuntimeException(e);
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }
            }));
        }
        for (int i = 0; i < connections; i++) {
            try (Socket s = new Socket(LOOPBACK, listener.port())) {
                s.getOutputStream().write(("c" + i).getBytes(StandardCharsets.US_ASCII));
                assertThat(s.getInputStream().read()).isEqualTo('k');
            }
        }
        assertThat(accepted.get()).isEqualTo(connections);
        assertThat(seen).hasSize(connections);
        Thread.sleep(100);   // every acceptor back in accept4
        listener.close();
        for (Thread t : acceptors) {
            t.join(5000);
            assertThat(t.isAlive()).as("an acceptor still blocked after close").isFalse();
        }
        assertThat(endedByClose.get()).isEqualTo(threads);
        assertThatThrownBy(listener::accept).isInstanceOf(SocketException.class).hasMessageContaining("closed");
        // the descriptor is gone with the last acceptor: the port can be listened on again
        try (ServerSocket again = new ServerSocket()) {
            again.setReuseAddress(true);
            again.bind(new InetSocketAddress(LOOPBACK, listener.port()));
        }
    }

    @Test
    void closeWakesAThreadBlockedInAccept() throws Exception {
        TcpListener listener = TcpListener.open(LOOPBACK, 0, 16);
        CountDownLatch waiting = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Object> blocked = pool.submit(() -> {
                waiting.countDown();
                return listener.accept();
            });
            waiting.await();
            Thread.sleep(100);
            listener.close();
            listener.close();   // twice: no harm
            assertThatThrownBy(() -> blocked.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(SocketException.class);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aPortInUseIsAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, LOOPBACK)) {
            assertThatThrownBy(() -> TcpListener.open(LOOPBACK, taken.getLocalPort(), 16))
                    .isInstanceOf(SocketException.class)
                    .hasMessageContaining("bind(127.0.0.1:" + taken.getLocalPort() + ")")
                    .hasMessageContaining("EADDRINUSE");
        }
        assertThatThrownBy(() -> TcpListener.open(LOOPBACK, 70000, 16)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anIpv6ListenerNamesItsClientsIpv6Address() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(v6, 0));
        } catch (IOException e) {
            assumeTrue(false, "no IPv6 loopback on this host");
        }
        try (TcpListener listener = TcpListener.open(v6, 0, 16);
             Socket client = new Socket(v6, listener.port());
             TcpConnection server = listener.accept()) {
            assertThat(InetAddress.getByName(server.remoteAddress())).isInstanceOf(Inet6Address.class).isEqualTo(v6);
        }
        // the wildcard "::" takes IPv4 clients too, named as IPv4
        try (TcpListener listener = TcpListener.open(InetAddress.getByName("::"), 0, 16);
             Socket client = new Socket(LOOPBACK, listener.port());
             TcpConnection server = listener.accept()) {
            assertThat(server.remoteAddress()).isEqualTo("127.0.0.1");
        }
    }

    private static Thread started(Runnable r) {
        Thread t = new Thread(r);
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void theBytesOfASocketAddressFollowTheKernelsLayout() {
        byte[] sa = TcpListener.sockaddr(LOOPBACK, 8080);
        assertThat(sa).hasSize(16).startsWith(2, 0, 0x1f, (byte) 0x90, 127, 0, 0, 1);
        assertThat(TcpListener.peerAddress(sa)).isEqualTo("127.0.0.1");
        byte[] unknown = new byte[128];
        unknown[0] = 1;   // AF_UNIX
        assertThat(TcpListener.peerAddress(unknown)).isEqualTo("unknown");
    }
    @Test
    void anOpenedConnectionTalksToAServerAndTellsAnIdleOneFromAClosedOne() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 4, LOOPBACK);
                TcpConnection c = TcpConnection.open(LOOPBACK, server.getLocalPort(), 2000);
                Socket s = server.accept()) {
            assertThat(c.remoteAddress()).isEqualTo("127.0.0.1");
            assertThat(c.localPort()).isEqualTo(s.getPort());
            assertThat(c.idleAndOpen()).isTrue();

            s.getOutputStream().write("stray".getBytes(StandardCharsets.US_ASCII));
            c.setReadTimeout(2000);
            for (long end = System.nanoTime() + 2_000_000_000L; c.input().available() < 5 && System.nanoTime() < end; ) {
                Thread.onSpinWait();
            }
            assertThat(c.input().available()).isEqualTo(5);
            assertThat(c.idleAndOpen()).as("bytes nobody asked for: out of step").isFalse();
            assertThat(c.input().readNBytes(5)).isEqualTo("stray".getBytes(StandardCharsets.US_ASCII));
            assertThat(c.idleAndOpen()).isTrue();

            c.quickAck();
            c.output().write("ok".getBytes(StandardCharsets.US_ASCII));
            assertThat(s.getInputStream().readNBytes(2)).isEqualTo("ok".getBytes(StandardCharsets.US_ASCII));

            s.close();
            for (long end = System.nanoTime() + 2_000_000_000L; c.idleAndOpen() && System.nanoTime() < end; ) {
                Thread.onSpinWait();
            }
            assertThat(c.idleAndOpen()).as("closed by the server").isFalse();
            assertThat(c.input().read()).isEqualTo(-1);
        }
    }

    @Test
    void connectingWhereNothingListensIsRefusedClearly() throws Exception {
        int port;
        try (ServerSocket gone = new ServerSocket(0, 1, LOOPBACK)) {
            port = gone.getLocalPort();
        }
        assertThatThrownBy(() -> TcpConnection.open(LOOPBACK, port, 2000)).isInstanceOf(ConnectException.class)
                .hasMessageContaining("nothing listens on 127.0.0.1:" + port);
        assertThatThrownBy(() -> TcpConnection.open(LOOPBACK, 0, 2000)).isInstanceOf(IllegalArgumentException.class);
    }
}
