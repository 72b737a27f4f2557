package dev.palisade.sandbox.platform.kvm;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.PLATFORM;
import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.assumeKvm;
import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.have;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.sandbox.DeniedCall;
import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.NetworkPolicy;
import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.nativeinterop.TcpConnection;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hosted services on the KVM platform: a static single-threaded HTTP server written in C
 * listens on the sandbox's own loopback (the Sentry's sockets), and the platform reaches it only
 * through {@link Sandbox#connect}; the program itself reaches no network.
 */
class KvmServiceTest {

    @TempDir
    static Path bin;

    @BeforeAll
    static void buildServer() throws Exception {
        if (!have("gcc") && !have("musl-gcc")) {
            return;
        }
        String cc = have("musl-gcc") ? "musl-gcc" : "gcc";
        Path src = bin.resolve("tinyhttp.c");
        try (InputStream in = KvmServiceTest.class.getResourceAsStream("/kvm/tinyhttp.c")) {
            Files.copy(in, src);
        }
        Process p = new ProcessBuilder(cc, "-static", "-O2", "-w", "-o", bin.resolve("tinyhttp").toString(), src.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(log).isZero();
    }

    private static SandboxSpec server(NetworkPolicy network, Limits limits, String... args) {
        List<String> cmd = new ArrayList<>(List.of("/bin-test/tinyhttp"));
        cmd.addAll(List.of(args));
        return SandboxSpec.builder(cmd)
                .bind(new SandboxSpec.Bind(bin, "/bin-test", true))
                .network(network)
                .limits(limits)
                .build();
    }

    private static SandboxSpec server(String... args) {
        return server(NetworkPolicy.LOOPBACK, Limits.DEFAULT.withWallMillis(30_000).withCpuMillis(10_000), args);
    }

    private static void assumeServer() {
        assumeKvm();
        assumeTrue(Files.exists(bin.resolve("tinyhttp")), "no C compiler for the static test server");
    }

    /** Sends one HTTP/1.0 request over a fresh connection into the sandbox and returns the whole answer. */
    private static String get(Sandbox s, int port, String path) throws IOException {
        try (TcpConnection ch = s.connect(port)) {
            assertThat(ch.isOpen()).isTrue();
            assertThat(ch.remoteAddress()).isEqualTo("127.0.0.1");
            ch.output().write(("GET " + path + " HTTP/1.0\r\nHost: sandbox\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            ch.setReadTimeout(20_000);
            return new String(ch.input().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"4", "6"})
    void a_static_c_server_serves_sequential_requests_through_connect(String family) throws Exception {
        assumeServer();
        try (Sandbox s = PLATFORM.start(server("8000", family))) {
            BufferedReader out = new BufferedReader(new InputStreamReader(s.stdout(), StandardCharsets.US_ASCII));
            assertThat(out.readLine()).isEqualTo("listening on 8000");
            for (int i = 1; i <= 5; i++) {
                String answer = get(s, 8000, "/page/" + i);
                String body = "request " + i + ": GET /page/" + i + " HTTP/1.0\n";
                assertThat(answer).isEqualTo("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body);
            }
            assertThat(get(s, 8000, "/quit")).endsWith("request 6: GET /quit HTTP/1.0\n");
            assertThat(out.readLine()).isEqualTo("served 6");
            SandboxResult r = s.await(Duration.ofSeconds(20)).orElseThrow();
            assertThat(r.termination()).as(r.message()).isEqualTo(Termination.EXITED);
            assertThat(r.exitCode()).isZero();
            assertThat(r.syscallCounts()).containsKeys("socket", "bind", "listen", "accept4", "poll", "writev", "shutdown",
                    "epoll_ctl");
            assertThat(r.syscallCounts().keySet()).containsAnyOf("select", "pselect6").containsAnyOf("epoll_wait", "epoll_pwait");
        }
    }

    /** SO_RCVTIMEO applies: a client that sends nothing gets the answer to an empty request after the server's 1 s. */
    @Test
    void a_silent_client_meets_the_servers_receive_timeout() throws Exception {
        assumeServer();
        try (Sandbox s = PLATFORM.start(server("8000"))) {
            BufferedReader out = new BufferedReader(new InputStreamReader(s.stdout(), StandardCharsets.US_ASCII));
            assertThat(out.readLine()).isEqualTo("listening on 8000");
            long t0 = System.nanoTime();
            String answer;
            try (TcpConnection ch = s.connect(8000)) {
                ch.setReadTimeout(20_000);
                answer = new String(ch.input().readAllBytes(), StandardCharsets.US_ASCII);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(answer).endsWith("\r\n\r\nrequest 1: \n");
            assertThat(ms).isBetween(900L, 10_000L);
            assertThat(get(s, 8000, "/quit")).endsWith("request 2: GET /quit HTTP/1.0\n");   // even: peeked first
            SandboxResult r = s.await(Duration.ofSeconds(20)).orElseThrow();
            assertThat(r.exitCode()).as(r.message()).isZero();
            assertThat(r.syscallCounts()).containsKeys("setsockopt", "recvfrom");
        }
    }

    @Test
    void a_request_larger_than_one_read_arrives_whole() throws Exception {
        assumeServer();
        try (Sandbox s = PLATFORM.start(server("8080"))) {
            BufferedReader out = new BufferedReader(new InputStreamReader(s.stdout(), StandardCharsets.US_ASCII));
            assertThat(out.readLine()).isEqualTo("listening on 8080");
            String longPath = "/" + "x".repeat(7000);
            String answer = get(s, 8080, longPath);
            assertThat(answer).startsWith("HTTP/1.0 200 OK\r\n").endsWith("\r\n\r\nrequest 1: GET " + longPath + " HTTP/1.0\n");
            s.kill();
        }
    }

    @Test
    void the_program_reaches_no_network_and_binds_only_its_loopback() throws Exception {
        assumeServer();
        // a host listener and another sandbox's service, both on 127.0.0.1: natively the first would connect
        try (ServerSocket host = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Sandbox other = PLATFORM.start(server("8000"));
                Sandbox s = PLATFORM.start(server("probe", Integer.toString(host.getLocalPort()), "8000"))) {
            BufferedReader otherOut = new BufferedReader(new InputStreamReader(other.stdout(), StandardCharsets.US_ASCII));
            assertThat(otherOut.readLine()).isEqualTo("listening on 8000");
            s.stdin().close();
            String out = new String(s.stdout().readAllBytes(), StandardCharsets.US_ASCII);
            SandboxResult r = s.await(Duration.ofSeconds(20)).orElseThrow();
            // ENETUNREACH, ECONNREFUSED, EAFNOSUPPORT, ESOCKTNOSUPPORT, EADDRNOTAVAIL, EADDRINUSE, EAGAIN, ENOTCONN
            assertThat(out).isEqualTo("""
                    connect 1.1.1.1:80: errno 101
                    connect 127.0.0.1:22: errno 111
                    connect to a host listener: errno 111
                    connect to another sandbox's port: errno 111
                    netlink socket: errno 97
                    udp socket: errno 94
                    bind 10.0.0.1: errno 99
                    bind 127.0.0.1:8080: ok
                    bind again: errno 98
                    listen: ok
                    accept nonblocking: errno 11
                    read unconnected: errno 107
                    """);
            assertThat(r.exitCode()).isZero();
            assertThat(r.deniedCalls()).extracting(DeniedCall::name).containsExactly("connect", "connect", "connect", "connect");
            assertThat(get(other, 8000, "/untouched")).contains("request 1: GET /untouched");
            host.setSoTimeout(200);
            assertThatThrownBy(host::accept).as("nothing reached the host listener").isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void connecting_to_a_port_nobody_listens_on_fails_clearly() throws Exception {
        assumeServer();
        try (Sandbox s = PLATFORM.start(server("8000"))) {
            BufferedReader out = new BufferedReader(new InputStreamReader(s.stdout(), StandardCharsets.US_ASCII));
            assertThat(out.readLine()).isEqualTo("listening on 8000");
            assertThatThrownBy(() -> s.connect(8001)).isInstanceOf(ConnectException.class)
                    .hasMessageContaining("nothing listens on port 8001");
            assertThat(get(s, 8000, "/still-serving")).contains("request 1: GET /still-serving");
            s.kill();
            assertThat(s.await(Duration.ofSeconds(10)).orElseThrow().termination()).isEqualTo(Termination.KILLED);
            assertThatThrownBy(() -> s.connect(8000)).isInstanceOf(IOException.class).hasMessageContaining("ended");
        }
    }

    @Test
    void a_sandbox_with_network_policy_none_cannot_be_connected_to() throws Exception {
        assumeServer();
        try (Sandbox s = PLATFORM.start(server(NetworkPolicy.NONE, Limits.DEFAULT.withWallMillis(30_000), "8000"))) {
            BufferedReader out = new BufferedReader(new InputStreamReader(s.stdout(), StandardCharsets.US_ASCII));
            assertThat(out.readLine()).isEqualTo("listening on 8000");
            assertThatThrownBy(() -> s.connect(8000)).isInstanceOf(ConnectException.class)
                    .hasMessageContaining("network policy is NONE");
            s.kill();
        }
    }

    @Test
    void cancelling_a_server_blocked_in_accept_ends_it_promptly_and_the_wait_costs_no_cpu() throws Exception {
        assumeServer();
        try (Sandbox s = PLATFORM.start(server("8000"))) {
            BufferedReader out = new BufferedReader(new InputStreamReader(s.stdout(), StandardCharsets.US_ASCII));
            assertThat(out.readLine()).isEqualTo("listening on 8000");
            Thread.sleep(1000);   // blocked in poll on the listening socket
            long t0 = System.nanoTime();
            s.kill();
            SandboxResult r = s.await(Duration.ofSeconds(10)).orElseThrow();
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(r.termination()).isEqualTo(Termination.KILLED);
            assertThat(tookMs).as("kill to end").isLessThan(2_000);
            assertThat(r.cpuNanos()).as("CPU used while blocked for a second").isLessThan(r.wallNanos() / 4);
        }
    }

    @Test
    void a_server_blocked_in_accept_still_hits_the_wall_limit() throws Exception {
        assumeServer();
        try (Sandbox s = PLATFORM.start(server(NetworkPolicy.LOOPBACK, Limits.DEFAULT.withWallMillis(700), "8000"))) {
            SandboxResult r = s.await(Duration.ofSeconds(10)).orElseThrow();
            assertThat(r.termination()).isEqualTo(Termination.WALL_LIMIT);
        }
    }
}
