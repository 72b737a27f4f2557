package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.platform.ingress.NettyIngress;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The dedicated ingress port ({@code palisade.services.ingress.port}, the Netty front): the same
 * services, in the real sandbox, reached over real HTTP on that port; hostile requests written
 * byte by byte on a raw socket, and checked never to reach the service (the echo server counts
 * what it got).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class NettyIngressTests extends ServiceTestSupport {

    @Autowired
    NettyIngress lean;

    String admin;
    String tenant;
    String member;

    @BeforeEach
    void tenantWithAMember() throws Exception {
        assumeTrue(new PtracePlatform().unavailableReason().isEmpty(), "the ptrace platform needs root on Linux x86-64");
        admin = adminToken();
        tenant = createTenant(admin);
        member = userToken(admin, tenant, unique("dev"), "TENANT_MEMBER");
    }

    private URI lean(String path) {
        return URI.create("http://127.0.0.1:" + lean.port() + path);
    }

    /** A request to the service's host name on the ingress port (the address resolves to loopback). */
    private HttpRequest.Builder lean(String service, String path) {
        return HttpRequest.newBuilder(lean(path)).header("Host", host(tenant, service) + ":" + lean.port());
    }

    private HttpResponse<String> get(String service, String path) throws Exception {
        return http.send(lean(service, path).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Writes the bytes on a new connection to the ingress port and reads until the server closes it. */
    private String raw(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", lean.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return untilClosed(s.getInputStream());
        }
    }

    /** What the server sent before it closed (a reset after the answer, for bytes it left unread, ends it too). */
    private static String untilClosed(InputStream in) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] b = new byte[8192];
        try {
            for (int n; (n = in.read(b)) >= 0; ) {
                got.write(b, 0, n);
            }
        } catch (java.net.SocketException reset) {
            assertThat(got.size()).as("reset before any answer").isPositive();
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    private void deployEcho(String name) throws Exception {
        deploy(member, tenant, """
                {"name":"%s","port":9000,"command":["python3","-c",%s,"9000"]}""".formatted(name, json(ECHO)));
        awaitService(member, tenant, name, statusIs("HEALTHY"));
    }

    @Autowired
    ServiceRegistry registry;

    @Test
    void aServiceThatClosesEveryConnectionGetsTheNextRequestOnAConnectionOpenedAhead() throws Exception {
        deploy(member, tenant, """
                {"name":"closer","port":8000,"command":["python3","-c",%s,"8000","0"]}"""
                .formatted(json(ServiceIngressTests.COUNTING)));
        awaitService(member, tenant, "closer", statusIs("HEALTHY"));
        assertThat(get("closer", "/").body()).startsWith("1 ");
        InstanceConnections connections = registry.route(tenant, "closer").orElseThrow().connections();
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!connections.hasStandby() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertThat(connections.hasStandby()).as("a standby connection was opened after the answer").isTrue();

        Thread.sleep(300);
        // the server accepted this request's connection before the request came: it was the standby
        String[] second = get("closer", "/").body().split(" ");
        assertThat(second[0]).isEqualTo("2");
        assertThat(Double.parseDouble(second[1])).isGreaterThanOrEqualTo(0.25);
        // one after another, each on the standby the last one left: none waits for a connect of its own
        for (int i = 3; i <= 20; i++) {
            String[] next = get("closer", "/").body().split(" ");
            assertThat(next[0]).isEqualTo(String.valueOf(i));
        }
        end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!connections.hasStandby() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertThat(connections.hasStandby()).as("the standby is opened again after each").isTrue();
    }

    @Test
    void aPythonHttpServerServesItsFileThroughTheIngressPortWhichServesNothingOfThePlatform() throws Exception {
        deploy(member, tenant, pythonHttpServer("web", "hello-from-the-lean-port"));
        awaitService(member, tenant, "web", statusIs("HEALTHY"));
        assertThat(lean.port()).isPositive().isNotEqualTo(port);

        HttpResponse<String> r = get("web", "/hello.txt");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("hello-from-the-lean-port\n");
        assertThat(get("web", "/missing").statusCode()).isEqualTo(404);
        // a dot segment climbing out of the root is refused, as Tomcat refuses it on the platform port
        assertThat(get("web", "/%2e%2e/other/hello.txt").statusCode()).isEqualTo(400);
        // only the service's own host name: another name under the apps domain, or the old path form, finds nothing
        assertThat(http.send(HttpRequest.newBuilder(lean("/hello.txt")).header("Host", "web." + tenant + ".elsewhere"
                + ".apps.localhost").build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
        HttpResponse<String> oldForm = http.send(HttpRequest.newBuilder(lean("/apps/" + tenant + "/web/hello.txt"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(oldForm.statusCode()).isEqualTo(404);
        assertThat(oldForm.body()).doesNotContain("hello-from-the-lean-port");

        // HTTP/1.0: answered, then the connection closes
        String old = raw("GET /hello.txt HTTP/1.0\r\nHost: " + host(tenant, "web") + "\r\n\r\n");
        assertThat(old).startsWith("HTTP/1.0 200 ").endsWith("\r\n\r\nhello-from-the-lean-port\n");

        // nothing of the platform answers here: not the API, the actuator, the console or the login
        for (String platform : new String[] {"/api/v1/tenants", "/actuator/health", "/actuator/prometheus", "/",
                "/login", "/v3/api-docs"}) {
            HttpResponse<String> p = http.send(HttpRequest.newBuilder(lean(platform))
                    .header("Authorization", "Bearer " + admin).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(p.statusCode()).as(platform).isEqualTo(404);
            assertThat(p.body()).as(platform).contains("hosted services only").doesNotContain("tenant\"");
        }
        // counted per service like the platform port's requests (the redirect and the refused path are the ingress's own)
        String shown = service(member, tenant, "web");
        assertThat((Integer) JsonPath.read(shown, "$.requests.total")).isEqualTo(3);
        assertThat((Integer) JsonPath.read(shown, "$.requests.byStatus.200")).isEqualTo(2);
    }

    @Test
    void forwardingHeadersAreThePlatformsAndBodiesPassByteForByteBothWays() throws Exception {
        deployEcho("echo");
        HttpResponse<String> r = http.send(lean("echo", "/x/y?q=1")
                .header("X-Forwarded-For", "6.6.6.6").header("X-Forwarded-Host", "evil.example")
                .header("X-Forwarded-Proto", "https").header("Forwarded", "for=6.6.6.6").header("X-Real-IP", "6.6.6.6")
                .header("X-Palisade-Node-Secret", "guess").POST(HttpRequest.BodyPublishers.ofString("ping body")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        String h = host(tenant, "echo") + ":" + lean.port();
        assertThat(r.body()).doesNotContain("6.6.6.6").doesNotContain("evil.example").doesNotContain("x-palisade")
                .doesNotContain("x-real-ip").doesNotContain("x-forwarded-prefix")
                .contains("x-forwarded-for=127.0.0.1\n", "x-forwarded-proto=http\n", "x-forwarded-host=" + h + "\n",
                        "forwarded=for=\"127.0.0.1\";proto=http;host=\"" + h + "\"\n", "path=/x/y?q=1\n", "body=ping body");

        // 3 MiB of random bytes up with a length and back in the answer; then up chunked (streamed)
        byte[] big = new byte[3 << 20];
        new Random(7).nextBytes(big);
        HttpResponse<byte[]> counted = http.send(lean("echo", "/up")
                .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(counted.statusCode()).isEqualTo(200);
        assertThat(tail(counted.body(), big.length)).isEqualTo(big);
        HttpResponse<byte[]> chunked = http.send(lean("echo", "/up")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(chunked.statusCode()).isEqualTo(200);
        assertThat(new String(chunked.body(), 0, 4096, StandardCharsets.ISO_8859_1)).contains("transfer-encoding=chunked");
        assertThat(tail(chunked.body(), big.length)).isEqualTo(big);

        // a chunked request written by hand, with an extension and a trailer, arrives whole
        String byHand = raw("POST /hand HTTP/1.1\r\nHost: " + host(tenant, "echo") + "\r\nTransfer-Encoding: chunked\r\n"
                + "Connection: close\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
        assertThat(byHand).startsWith("HTTP/1.1 200 ").contains("body=hello world").doesNotContain("x-trailer");
        // an Upgrade goes on to the service (which here declines it and answers as usual)
        String upgrade = raw("GET /ws HTTP/1.1\r\nHost: " + host(tenant, "echo") + "\r\nConnection: Upgrade, close\r\n"
                + "Upgrade: websocket\r\n\r\n");
        assertThat(upgrade).startsWith("HTTP/1.1 200 ").contains("upgrade=websocket\n", "connection=Upgrade\n");
        // an obs-folded header line is unfolded into one (RFC 9112 §5.2), so the service reads what the ingress read
        assertThat(raw("GET /fold HTTP/1.1\r\nHost: " + host(tenant, "echo") + "\r\nConnection: close\r\nX-A: a\r\n"
                + " folded\r\n\r\n")).startsWith("HTTP/1.1 200 ").contains("x-a=a folded\n");
    }

    private static byte[] tail(byte[] all, int n) {
        return Arrays.copyOfRange(all, all.length - n, all.length);
    }

    @Test
    void aKeptAliveClientConnectionCarriesRequestAfterRequestAndChunkedAnswers() throws Exception {
        deploy(member, tenant, keepAlive("kept", 60));
        awaitService(member, tenant, "kept", statusIs("HEALTHY"));
        try (Socket s = new Socket("127.0.0.1", lean.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            String first = null;
            for (String path : new String[] {"/", "/chunked", "/"}) {
                out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host(tenant, "kept") + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                Map<String, String> head = new LinkedHashMap<>();
                String body = readResponse(in, head);
                assertThat(head.get(":status")).isEqualTo("HTTP/1.1 200 OK");
                assertThat(head).doesNotContainKey("connection");
                assertThat(body).startsWith("kept ");
                if (first == null) {
                    first = body;
                }
                // the service's own connection is kept too: the same port of origin each time
                assertThat(body).isEqualTo(first);
                // an answer of unknown length goes on chunked, so that the connection stays in step
                assertThat(head.get("transfer-encoding")).isEqualTo(path.equals("/chunked") ? "chunked" : null);
            }
        }
        // and an idle kept connection is closed after the idle timeout (2 s in these tests)
        try (Socket s = new Socket("127.0.0.1", lean.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host(tenant, "kept") + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            readResponse(s.getInputStream(), new LinkedHashMap<>());
            long start = System.nanoTime();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(1500), Duration.ofSeconds(6));
        }
    }

    @Test
    void anHttp10ClientKeepsItsConnectionOnlyWhenItAsksAndTheAnswerHasALength() throws Exception {
        deploy(member, tenant, keepAlive("kept10", 60));
        awaitService(member, tenant, "kept10", statusIs("HEALTHY"));
        try (Socket s = new Socket("127.0.0.1", lean.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int i = 0; i < 2; i++) {
                out.write(("GET / HTTP/1.0\r\nHost: " + host(tenant, "kept10") + "\r\nConnection: Keep-Alive\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                Map<String, String> head = new LinkedHashMap<>();
                assertThat(readResponse(in, head)).startsWith("kept10 ");
                assertThat(head.get(":status")).isEqualTo("HTTP/1.0 200 OK");
                assertThat(head.get("connection")).isEqualTo("keep-alive");
            }
            // an answer of unknown length can only end with the connection for an HTTP/1.0 client
            out.write(("GET /chunked HTTP/1.0\r\nHost: " + host(tenant, "kept10") + "\r\nConnection: keep-alive\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            String answer = untilClosed(in);
            assertThat(answer).startsWith("HTTP/1.0 200 OK\r\n").contains("\r\nConnection: close\r\n")
                    .doesNotContainIgnoringCase("transfer-encoding").contains("\r\n\r\nkept10 ");
        }
        // without asking, an HTTP/1.0 connection ends after its answer
        String plain = raw("GET / HTTP/1.0\r\nHost: " + host(tenant, "kept10") + "\r\n\r\n");
        assertThat(plain).startsWith("HTTP/1.0 200 OK\r\n").contains("\r\nConnection: close\r\n").contains("kept10 ");
    }

    /** One response: the head into {@code head} (":status" and lower-case names), the body (counted or chunked) returned. */
    private static String readResponse(InputStream in, Map<String, String> head) throws Exception {
        head.put(":status", line(in));
        for (String l; !(l = line(in)).isEmpty(); ) {
            int colon = l.indexOf(':');
            head.put(l.substring(0, colon).trim().toLowerCase(), l.substring(colon + 1).trim());
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if ("chunked".equals(head.get("transfer-encoding"))) {
            for (int n; (n = Integer.parseInt(line(in), 16)) > 0; ) {
                body.write(in.readNBytes(n));
                assertThat(line(in)).isEmpty();
            }
            assertThat(line(in)).isEmpty();
        } else {
            body.write(in.readNBytes(Integer.parseInt(head.get("content-length"))));
        }
        return body.toString(StandardCharsets.ISO_8859_1);
    }

    private static String line(InputStream in) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            assertThat(c).as("the connection ended within a line").isNotEqualTo(-1);
            b.append((char) c);
        }
        assertThat(b).endsWith("\r");
        return b.substring(0, b.length() - 1);
    }

    @Test
    void malformedRequestsAreRefusedWithTheirStatusAndNeverReachTheService() throws Exception {
        deployEcho("victim");
        String to = "/x";
        String h = host(tenant, "victim");
        Map<String, String> hostile = new LinkedHashMap<>();
        hostile.put("400 both Content-Length and Transfer-Encoding", "POST " + to + " HTTP/1.1\r\nHost: " + h + "\r\n"
                + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n");
        hostile.put("400 two different Content-Lengths", "POST " + to + " HTTP/1.1\r\nHost: " + h + "\r\nContent-Length: 5\r\n"
                + "Content-Length: 6\r\n\r\nhello!");
        hostile.put("400 a Content-Length that is not a number", "POST " + to + " HTTP/1.1\r\nHost: " + h + "\r\n"
                + "Content-Length: +5\r\n\r\nhello");
        hostile.put("400 a control character in a value", "GET " + to + " HTTP/1.1\r\nHost: " + h + "\r\nX-A: a\u0001b\r\n\r\n");
        hostile.put("400 a NUL in a value", "GET " + to + " HTTP/1.1\r\nHost: " + h + "\r\nX-A: a\u0000b\r\n\r\n");
        hostile.put("400 a bare CR in a value", "GET " + to + " HTTP/1.1\r\nHost: " + h + "\r\nX-A: a\rX-B: b\r\n\r\n");
        hostile.put("400 a bare LF", "GET " + to + " HTTP/1.1\nHost: " + h + "\n\n");
        hostile.put("400 whitespace before the colon", "GET " + to + " HTTP/1.1\r\nHost : h\r\n\r\n");
        hostile.put("400 an unknown Transfer-Encoding beside a length", "POST " + to + " HTTP/1.1\r\nHost: " + h + "\r\n"
                + "Transfer-Encoding: xchunked\r\nContent-Length: 3\r\n\r\nabc");
        hostile.put("400 chunked twice", "POST " + to + " HTTP/1.1\r\nHost: " + h + "\r\n"
                + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n");
        hostile.put("400 a non-chunked Transfer-Encoding", "POST " + to + " HTTP/1.1\r\nHost: " + h + "\r\n"
                + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
        hostile.put("400 Transfer-Encoding in HTTP/1.0", "POST " + to + " HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\n");
        hostile.put("400 a bad chunk size", "POST " + to + " HTTP/1.1\r\nHost: " + h + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "zz\r\nhello\r\n0\r\n\r\n");
        hostile.put("400 an oversized chunk size", "POST " + to + " HTTP/1.1\r\nHost: " + h + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "fffffffffffffffff\r\nhello\r\n0\r\n\r\n");
        hostile.put("400 a chunk size with a sign", "POST " + to + " HTTP/1.1\r\nHost: " + h + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "-5\r\nhello\r\n0\r\n\r\n");
        hostile.put("400 no Host in HTTP/1.1", "GET " + to + " HTTP/1.1\r\n\r\n");
        hostile.put("400 two Hosts", "GET " + to + " HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
        hostile.put("400 absolute-form", "GET http://127.0.0.1" + to + " HTTP/1.1\r\nHost: " + h + "\r\n\r\n");
        hostile.put("400 authority-form", "GET 127.0.0.1:80 HTTP/1.1\r\nHost: " + h + "\r\n\r\n");
        hostile.put("405 CONNECT", "CONNECT " + to + " HTTP/1.1\r\nHost: " + h + "\r\n\r\n");
        hostile.put("400 a space in the target", "GET " + to + " x HTTP/1.1\r\nHost: " + h + "\r\n\r\n");
        hostile.put("400 a malformed method", "G(T " + to + " HTTP/1.1\r\nHost: " + h + "\r\n\r\n");
        hostile.put("400 an encoded slash", "GET /..%2f..%2fx HTTP/1.1\r\nHost: " + host(tenant, "victim") + "\r\n\r\n");
        hostile.put("505 HTTP/2.0", "GET " + to + " HTTP/2.0\r\nHost: " + h + "\r\n\r\n");
        hostile.put("400 not HTTP", "GET " + to + " SPDY/3\r\nHost: " + h + "\r\n\r\n");
        hostile.put("417 an unknown expectation", "GET " + to + " HTTP/1.1\r\nHost: " + h + "\r\nExpect: magic\r\n\r\n");
        hostile.put("431 an oversized head", "GET " + to + " HTTP/1.1\r\nHost: " + h + "\r\nX-Big: " + "a".repeat(20_000)
                + "\r\n\r\n");
        hostile.put("431 too many header lines", "GET " + to + " HTTP/1.1\r\nHost: " + h + "\r\n" + "X-A: a\r\n".repeat(101) + "\r\n");
        for (Map.Entry<String, String> e : hostile.entrySet()) {
            String answer = raw(e.getValue());   // returns once the server closed the connection
            String code = e.getKey().substring(0, 3);
            assertThat(answer).as(e.getKey()).matches("(?s)HTTP/1\\.[01] " + code + " .*")
                    .contains("Connection: close").contains("The request was refused").doesNotContain("echo")
                    .doesNotContainIgnoringCase("exception");
        }
        // a body that breaks off after its first chunk went up: the service got a request it cannot finish
        // (nothing complete), the client an error; the body cut short by the client is not answered 200 either
        String broken = raw("POST " + to + " HTTP/1.1\r\nHost: " + h + "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n");
        assertThat(broken).startsWith("HTTP/1.1 400 ");

        // none of them reached the service: the first request it gets is this one
        HttpResponse<String> good = get("victim", to);
        assertThat(good.statusCode()).isEqualTo(200);
        assertThat(good.body()).contains("count=1\n").doesNotContain("smuggled");
    }

    @Test
    void aPriorKnowledgePrefaceSplitAcrossPacketsOpensHttp2AndOneThatOnlyStartsLikeItIsHttp11() throws Exception {
        try (Socket s = new Socket("127.0.0.1", lean.port())) {
            s.setSoTimeout(10_000);
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Thread.sleep(200);   // the rest of the preface comes in a read of its own
            out.write("\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});   // the client's (empty) SETTINGS frame
            out.flush();
            byte[] frame = s.getInputStream().readNBytes(9);
            assertThat(frame).as("the server's first frame").hasSize(9);
            assertThat(frame[3]).as("a SETTINGS frame, not an HTTP/1.1 answer").isEqualTo((byte) 4);
            assertThat(frame[4] & 1).as("its own settings, not an acknowledgement").isZero();
        }
        // bytes that start like the preface and then differ are HTTP/1.1's: a request line of HTTP/2.0, refused
        assertThat(raw("PRI * HTTP/2.0\r\n\r\nXY\r\n\r\n")).startsWith("HTTP/1.1 505 ").contains("The request was refused");
    }

    /** Writes its answer's head, then its body half a second later: with a length at /length, chunked at /stream. */
    static final String SLOW_BODY = """
            import http.server, sys, time
            class H(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def do_GET(self):
                    self.send_response(200)
                    if self.path == "/stream":
                        self.send_header("Transfer-Encoding", "chunked")
                    else:
                        self.send_header("Content-Length", "10")
                    self.end_headers()
                    time.sleep(0.5)
                    self.wfile.write(b"a\\r\\nlater-body\\r\\n0\\r\\n\\r\\n" if self.path == "/stream" else b"later-body")
                def log_message(self, *args):
                    pass
            http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
            """;

    @Test
    void anAnswersHeadGoesDownWithTheFirstBytesOfItsBodyUnlessTheAnswerStreams() throws Exception {
        deploy(member, tenant, """
                {"name":"slowbody","port":8000,"command":["python3","-c",%s,"8000"]}""".formatted(json(SLOW_BODY)));
        awaitService(member, tenant, "slowbody", statusIs("HEALTHY"));
        for (String path : List.of("/length", "/stream")) {
            try (Socket s = new Socket("127.0.0.1", lean.port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host(tenant, "slowbody")
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                byte[] b = new byte[8192];
                int n = s.getInputStream().read(b);
                String first = new String(b, 0, n, StandardCharsets.ISO_8859_1);
                String rest = untilClosed(s.getInputStream());
                assertThat(first).as(path).startsWith("HTTP/1.1 200 ");
                if (path.equals("/length")) {
                    // one write to the client: it wakes once for the whole answer
                    assertThat(first).as("the head waited for the body").endsWith("\r\n\r\nlater-body");
                } else {
                    // an answer of unknown length may stream: its head goes down at once
                    assertThat(first).as("the head came ahead of the body").doesNotContain("later-body");
                    assertThat(rest).contains("later-body");
                }
            }
        }
    }

    /** Listens and never accepts: once one connection waits in its queue, the kernel drops every new handshake. */
    static final String NEVER_ACCEPTS = """
            import socket, time
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 8000))
            s.listen(0)
            time.sleep(3600)
            """;

    @Test
    void aServiceWhoseAcceptQueueIsFullHoldsUpOnlyItsOwnRequests() throws Exception {
        deploy(member, tenant, """
                {"name":"stuck","port":8000,"command":["python3","-c",%s]}""".formatted(json(NEVER_ACCEPTS)));
        deployEcho("echo");
        awaitService(member, tenant, "stuck", statusIs("HEALTHY"));
        // several requests at once, on connections of their own, so that every event loop has one whose
        // connect the kernel keeps waiting: a connect made on an event loop would stall its other connections
        List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            waiting.add(http.sendAsync(lean("stuck", "/").timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        Thread.sleep(500);
        for (int i = 0; i < 10; i++) {
            long start = System.nanoTime();
            HttpResponse<String> r = get("echo", "/ping");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("request %d to another service", i)
                    .isLessThan(Duration.ofSeconds(2));
        }
        for (var f : waiting) {
            // the connect gives up (5 s): the ingress's own page, not a hang
            assertThat(f.get(30, TimeUnit.SECONDS).statusCode()).isIn(502, 503, 504);
        }
    }

    @Test
    void aRequestWaitsInLineForAPermitAndTheNextReleaseServesIt() throws Exception {
        deployEcho("busy");
        RequestPermits permits = registry.permits(tenant, "busy");
        int held = 0;
        while (permits.tryAcquire()) {
            held++; // every request permit of the service in use
        }
        assertThat(held).isEqualTo(permits.max());
        try {
            CompletableFuture<HttpResponse<String>> inLine = http.sendAsync(lean("busy", "/line")
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            try (Socket gone = new Socket("127.0.0.1", lean.port())) {
                gone.getOutputStream().write(("GET /gone HTTP/1.1\r\nHost: " + host(tenant, "busy") + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                awaitTrue(() -> permits.waiting() == 2, "both requests in line");
            }
            // a client that went away leaves the line: the next permit goes to the one still there
            awaitTrue(() -> permits.waiting() == 1, "the closed connection's place given up");
            long start = System.nanoTime();
            permits.release();
            held--;
            HttpResponse<String> served = inLine.get(30, TimeUnit.SECONDS);
            assertThat(served.statusCode()).isEqualTo(200);
            assertThat(served.body()).contains("path=/line");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            awaitTrue(() -> permits.availablePermits() == 1, "the served request's permit back");
            assertThat(permits.tryAcquire()).isTrue();
            held++;
            // none comes within the queue timeout: the ingress's own page, and the line is empty again
            HttpResponse<String> busy = get("busy", "/late");
            assertThat(busy.statusCode()).isEqualTo(503);
            assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(busy.body()).contains("too many requests in flight");
            assertThat(permits.waiting()).isZero();
        } finally {
            for (; held > 0; held--) {
                permits.release();
            }
        }
        assertThat(permits.availablePermits()).isEqualTo(permits.max());
        assertThat(get("busy", "/after").statusCode()).isEqualTo(200);
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() < end).as(what).isTrue();
            Thread.sleep(10);
        }
    }

    @Test
    void aSlowClientIsCutOffAfterTheHeaderTimeoutAndOthersAreStillServed() throws Exception {
        deployEcho("patient");
        long start = System.nanoTime();
        String answer;
        try (Socket s = new Socket("127.0.0.1", lean.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: " + host(tenant, "patient") + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            // a header byte every 200 ms, never the end of the head (slowloris), until the server answers
            for (int i = 0; i < 50 && s.getInputStream().available() == 0; i++) {
                out.write('X');
                out.flush();
                Thread.sleep(200);
            }
            answer = untilClosed(s.getInputStream());
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the slow client was never cut off");
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).as("cut off after the 1 s header timeout").isLessThan(Duration.ofSeconds(5));
        assertThat(answer).startsWith("HTTP/1.1 408 ");
        // a connection that never says anything is closed too
        try (Socket s = new Socket("127.0.0.1", lean.port())) {
            s.setSoTimeout(10_000);
            long quiet = System.nanoTime();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - quiet)).isLessThan(Duration.ofSeconds(5));
        }
        // the service never got a request from them, and answers others meanwhile
        HttpResponse<String> good = get("patient", "/");
        assertThat(good.statusCode()).isEqualTo(200);
        assertThat(good.body()).contains("count=1\n");
    }

    @Test
    void connectionsThatSayNothingHoldNoThread() throws Exception {
        // more silent connections than the port has threads (64): they wait in the kernel until
        // their first bytes come (TCP_DEFER_ACCEPT), so a client with a request is served at once
        // rather than after the 1 s header timeout has freed a thread
        List<Socket> silent = new ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) {
                silent.add(new Socket("127.0.0.1", lean.port()));
            }
            long start = System.nanoTime();
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(lean("/")).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(answer.statusCode()).isEqualTo(404);
            assertThat(took).as("served while 100 silent connections are open").isLessThan(Duration.ofMillis(800));
        } finally {
            for (Socket s : silent) {
                s.close();
            }
        }
    }

    @Test
    void aStoppedServiceAnswers503AndAnUnknownOne404OnTheIngressPort() throws Exception {
        deploy(member, tenant, pythonHttpServer("site", "x"));
        awaitService(member, tenant, "site", statusIs("HEALTHY"));
        assertThat(get("site", "/hello.txt").statusCode()).isEqualTo(200);
        mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/services/site/stop"))).andExpect(status().isOk());
        awaitService(member, tenant, "site", b -> "CANCELLED".equals(JsonPath.read(b, "$.state")));
        HttpResponse<String> r = get("site", "/hello.txt");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        assertThat(r.body()).contains("Service site of tenant " + tenant + " is not running");
        assertThat(get("nothing-here", "/").statusCode()).isEqualTo(404);
    }

    @Test
    void aStopClosesThePortAndCutsIdleConnectionsAtOnce() throws Exception {
        deploy(member, tenant, pythonHttpServer("brief", "y"));
        awaitService(member, tenant, "brief", statusIs("HEALTHY"));
        int before = lean.port();
        try (Socket kept = new Socket("127.0.0.1", before)) {
            kept.setSoTimeout(10_000);
            kept.getOutputStream().write(("GET /hello.txt HTTP/1.1\r\nHost: " + host(tenant, "brief") + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            assertThat(readResponse(kept.getInputStream(), new LinkedHashMap<>())).isEqualTo("y\n");
            long start = System.nanoTime();
            lean.stop();
            try {
                assertThat(kept.getInputStream().read()).as("the idle connection is cut").isEqualTo(-1);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
                assertThat(lean.isRunning()).isFalse();
                assertThatThrownBy(() -> new Socket("127.0.0.1", before).close()).isInstanceOf(java.net.ConnectException.class);
            } finally {
                lean.start();
            }
        }
        assertThat(get("brief", "/hello.txt").body()).isEqualTo("y\n");
    }

    /** Answers every connection with a head that hides a second header behind a bare CR, then closes it. */
    static final String SPLITTER = """
            import socket, sys
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(16)
            while True:
                c, _ = s.accept()
                c.settimeout(5)
                try:
                    data = b''
                    while b'\\r\\n\\r\\n' not in data:
                        more = c.recv(4096)
                        if not more:
                            break
                        data += more
                    if data:
                        c.sendall(b'HTTP/1.1 200 OK\\r\\nX-A: a\\rX-Injected: b\\r\\nX\\rY: c\\r\\nContent-Length: 2\\r\\n\\r\\nok')
                except OSError:
                    pass
                c.close()
            """;

    @Test
    void aServiceCannotSplitItsAnswerWithABareCrInAHeader() throws Exception {
        deploy(member, tenant, """
                {"name":"splitter","port":9000,"command":["python3","-c",%s,"9000"]}""".formatted(json(SPLITTER)));
        awaitService(member, tenant, "splitter", statusIs("HEALTHY"));
        // the ingress port refuses such an answer whole (the codec validates a service's headers as a client's)
        try (Socket s = new Socket("127.0.0.1", lean.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host(tenant, "splitter") + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            Map<String, String> head = new LinkedHashMap<>();
            assertThat(readResponse(s.getInputStream(), head)).contains("sent no valid answer").doesNotContain("Injected");
            assertThat(head.get(":status")).startsWith("HTTP/1.1 502");
        }
        // the platform port drops the header that hides the split
        for (int port : new int[] {this.port}) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host(tenant, "splitter") + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                Map<String, String> head = new LinkedHashMap<>();
                assertThat(readResponse(s.getInputStream(), head)).isEqualTo("ok");
                assertThat(head.get(":status")).startsWith("HTTP/1.1 200");   // Tomcat sends no reason phrase
                assertThat(String.join("\n", head.keySet()) + String.join("\n", head.values())).as("port " + port)
                        .doesNotContain("\r").doesNotContainIgnoringCase("x-injected");
            }
        }
    }
}
