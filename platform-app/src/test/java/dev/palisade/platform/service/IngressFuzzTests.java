package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.platform.ingress.NettyIngress;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * A seeded fuzz of the ingress port's front ({@code -Dpalisade.fuzz.seed}, {@code -Dpalisade.fuzz.cases}):
 * thousands of malformed, split, pipelined, smuggling and oversized requests, each on its own
 * connection, against a real echo service in the sandbox that counts the requests it got. Every
 * case must be answered (refused by the front, or answered by the service) and the connection
 * closed; a probe every few cases must find the service's count exactly where the answers say it
 * is (nothing reached it that was refused, no request hidden in another's body); no path the
 * service saw is a smuggled one; and at the end no client connection, request permit or thread
 * of the front is left over.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class IngressFuzzTests extends ServiceTestSupport {

    private static final Pattern COUNT = Pattern.compile("\ncount=(\\d+)\n");

    @Autowired
    NettyIngress ingress;

    @Autowired
    ServiceRegistry registry;

    @Autowired
    ServiceProperties properties;

    private enum Expect { PASS, REFUSE, EITHER }

    private record Case(String kind, Expect expect, List<byte[]> writes, int requests) {
    }

    @Test
    void thousandsOfHostileRequestsNeverReachTheServiceAndLeakNothing() throws Exception {
        assumeTrue(new PtracePlatform().unavailableReason().isEmpty(), "the ptrace platform needs root on Linux x86-64");
        long seed = Long.getLong("palisade.fuzz.seed", 22L);
        int cases = Integer.getInteger("palisade.fuzz.cases", 2000);
        System.out.println("Ingress fuzz: seed " + seed + ", " + cases + " cases");
        String admin = adminToken();
        String tenant = createTenant(admin);
        String member = userToken(admin, tenant, unique("dev"), "TENANT_MEMBER");
        deploy(member, tenant, """
                {"name":"target","port":9000,"command":["python3","-c",%s,"9000"]}""".formatted(json(ECHO)));
        awaitService(member, tenant, "target", statusIs("HEALTHY"));
        String host = host(tenant, "target");
        long threadsBefore = ingressThreads();

        Random random = new Random(seed);
        long counted = probe(host);
        int refused = 0, passed = 0;
        for (int i = 0; i < cases; i++) {
            Case c = generate(random, host, i);
            String answer = send(c, random);
            List<String> responses = responses(answer);
            assertThat(responses).as("case %d (%s): %s", i, c.kind(), answer).isNotEmpty();
            int fromService = 0;
            for (String r : responses) {
                Matcher m = COUNT.matcher(r);
                if (m.find()) {
                    fromService++;
                    assertThat(Long.parseLong(m.group(1))).as("case %d (%s)", i, c.kind()).isEqualTo(counted + fromService);
                    assertThat(r).as("case %d (%s)", i, c.kind()).doesNotContain("path=/smuggled");
                } else {
                    assertThat(r).as("case %d (%s)", i, c.kind()).doesNotContainIgnoringCase("exception");
                }
            }
            counted += fromService;
            switch (c.expect()) {
                case PASS -> assertThat(fromService).as("case %d (%s): %s", i, c.kind(), answer).isEqualTo(c.requests());
                case REFUSE -> {
                    assertThat(fromService).as("case %d (%s): %s", i, c.kind(), answer).isZero();
                    assertThat(answer).as("case %d (%s)", i, c.kind()).contains("The request was refused");
                }
                case EITHER -> { }
            }
            if (fromService > 0) {
                passed++;
            } else {
                refused++;
            }
            if (i % 25 == 24) {
                // the next well-formed request is answered, and nothing reached the service unseen meanwhile
                long now = probe(host);
                assertThat(now).as("after case %d (%s)", i, c.kind()).isEqualTo(counted + 1);
                counted = now;
            }
        }
        System.out.println("Ingress fuzz: " + passed + " cases reached the service, " + refused + " were refused");
        assertThat(probe(host)).isEqualTo(counted + 1);

        // nothing left over: client connections, the service's request permits, threads of the front
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        // the front closes the client before it hands the upstream back, so the permit may come a moment later
        while ((ingress.openConnections() > 0
                || registry.permits(tenant, "target").availablePermits() < properties.maxConcurrentRequests())
                && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        assertThat(ingress.openConnections()).as("client connections still open").isZero();
        assertThat(registry.permits(tenant, "target").availablePermits()).as("request permits")
                .isEqualTo(properties.maxConcurrentRequests());
        assertThat(ingressThreads()).as("threads of the front").isLessThanOrEqualTo(threadsBefore + 4);
    }

    private static long ingressThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("ingress")).count();
    }

    private long probe(String host) throws Exception {
        String answer = send(new Case("probe", Expect.PASS, List.of(bytes("GET /probe HTTP/1.1\r\nHost: " + host
                + "\r\nConnection: close\r\n\r\n")), 1), null);
        assertThat(answer).startsWith("HTTP/1.1 200 ");
        Matcher m = COUNT.matcher(answer);
        assertThat(m.find()).as(answer).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** Writes the case (each part flushed apart, a moment between them) and reads until the front closes. */
    private String send(Case c, Random random) throws Exception {
        try (Socket s = new Socket("127.0.0.1", ingress.port())) {
            s.setSoTimeout(15_000);
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            try {
                for (byte[] part : c.writes()) {
                    out.write(part);
                    out.flush();
                    if (c.writes().size() > 1 && random != null && random.nextInt(4) == 0) {
                        Thread.sleep(1);
                    }
                }
            } catch (SocketException e) {
                // refused before it was all written: the answer is already on its way
            }
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] b = new byte[8192];
            try {
                for (int n; (n = in.read(b)) >= 0; ) {
                    got.write(b, 0, n);
                }
            } catch (SocketException reset) {
                // a reset after the answer (bytes left unread) ends it too
            }
            return got.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** The responses in what came back, each with its head and its (counted) body. */
    private static List<String> responses(String all) {
        List<String> out = new ArrayList<>();
        int at = 0;
        while (at < all.length() && all.startsWith("HTTP/1.", at)) {
            int headEnd = all.indexOf("\r\n\r\n", at);
            if (headEnd < 0) {
                break;
            }
            String head = all.substring(at, headEnd);
            Matcher len = Pattern.compile("(?i)\r\ncontent-length: *(\\d+)").matcher(head);
            int bodyStart = headEnd + 4;
            int end = len.find() ? Math.min(all.length(), bodyStart + Integer.parseInt(len.group(1))) : all.length();
            if (head.startsWith("HTTP/1.1 100 ")) {
                end = bodyStart;
            } else {
                out.add(all.substring(at, end));
            }
            at = end;
        }
        return out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Characters a method (a token) may not have. */
    private static final String SEPARATORS = "()<>@,;:\\\"[]{}/?= ";
    private static final String[] CODINGS_REFUSED = {"xchunked", "gzip, chunked", "chunked, chunked", "identity",
        "chunked;q=1", "chunked\u000b", "chunk"};
    private static final String[] CODINGS_ANY = {"Chunked", "CHUNKED", " chunked", "chunked ", "\tchunked"};

    private Case generate(Random r, String host, int i) {
        String path = "/fuzz/" + i;
        String h = "Host: " + host + "\r\n";
        String close = "Connection: close\r\n";
        String smuggled = "GET /smuggled/" + i + " HTTP/1.1\r\n" + h + "\r\n";
        int kind = r.nextInt(17);
        return switch (kind) {
            case 0 -> new Case("valid GET", Expect.PASS, one("GET " + path + " HTTP/1.1\r\n" + h + close
                    + "X-Pad: " + "p".repeat(r.nextInt(200)) + "\r\n\r\n"), 1);
            case 1 -> {
                String body = randomText(r, r.nextInt(3000));
                yield new Case("valid POST", Expect.PASS, one("POST " + path + " HTTP/1.1\r\n" + h + close
                        + "Content-Length: " + body.length() + "\r\n\r\n" + body), 1);
            }
            case 2 -> {
                StringBuilder b = new StringBuilder("POST " + path + " HTTP/1.1\r\n" + h + close
                        + "Transfer-Encoding: chunked\r\n\r\n");
                for (int n = r.nextInt(5); n >= 0; n--) {
                    String chunk = randomText(r, 1 + r.nextInt(500));
                    b.append(Integer.toHexString(chunk.length())).append(r.nextBoolean() ? ";ext=" + n : "").append("\r\n")
                            .append(chunk).append("\r\n");
                }
                b.append("0\r\n").append(r.nextBoolean() ? "X-Trailer: t\r\n" : "").append("\r\n");
                yield new Case("valid chunked", Expect.PASS, one(b.toString()), 1);
            }
            case 3 -> {
                String body = randomText(r, r.nextInt(400));
                byte[] all = bytes("POST " + path + " HTTP/1.1\r\n" + h + close + "Content-Length: " + body.length()
                        + "\r\n\r\n" + body);
                yield new Case("split", Expect.PASS, split(r, all), 1);
            }
            case 4 -> {
                int n = 2 + r.nextInt(4);
                StringBuilder b = new StringBuilder();
                for (int k = 0; k < n; k++) {
                    b.append("GET ").append(path).append('/').append(k).append(" HTTP/1.1\r\n").append(h)
                            .append(k == n - 1 ? close : "").append("\r\n");
                }
                yield new Case("pipelined", Expect.PASS, r.nextBoolean() ? one(b.toString()) : split(r, bytes(b.toString())), n);
            }
            case 5 -> new Case("CL+TE", Expect.REFUSE, one("POST " + path + " HTTP/1.1\r\n" + h
                    + (r.nextBoolean() ? "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"
                    : "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n") + "\r\n0\r\n\r\n" + smuggled), 0);
            case 6 -> new Case("two lengths", Expect.REFUSE, one("POST " + path + " HTTP/1.1\r\n" + h + "Content-Length: "
                    + (5 + r.nextInt(5)) + "\r\nContent-Length: " + (20 + r.nextInt(5)) + "\r\n\r\nhello" + smuggled), 0);
            case 7 -> {
                boolean refused = r.nextBoolean();
                String coding = refused ? CODINGS_REFUSED[r.nextInt(CODINGS_REFUSED.length)]
                        : CODINGS_ANY[r.nextInt(CODINGS_ANY.length)];
                yield new Case("coding " + coding.strip(), refused ? Expect.REFUSE : Expect.EITHER, one("POST " + path
                        + " HTTP/1.1\r\n" + h + close + "Transfer-Encoding: " + coding + "\r\nContent-Length: 5\r\n\r\n"
                        + "0\r\n\r\n" + smuggled), 0);
            }
            case 8 -> {
                char ctl = (char) switch (r.nextInt(4)) {
                    case 0 -> 0;
                    case 1 -> 0x7f;
                    case 2 -> 1 + r.nextInt(8);
                    default -> 0x0e + r.nextInt(0x12);
                };
                yield new Case("control character", Expect.REFUSE, one("GET " + path + " HTTP/1.1\r\n" + h
                        + "X-A: a" + ctl + "b\r\n\r\n"), 0);
            }
            case 9 -> new Case("bare CR or LF", Expect.REFUSE, one(r.nextBoolean()
                    ? "GET " + path + " HTTP/1.1\r\n" + h + "X-A: a\rX-Smuggled: b\r\n\r\n"
                    : "GET " + path + " HTTP/1.1\n" + h.replace("\r\n", "\n") + "\n"), 0);
            case 10 -> switch (r.nextInt(3)) {
                case 0 -> new Case("oversized head", Expect.REFUSE, one("GET " + path + " HTTP/1.1\r\n" + h + "X-Big: "
                        + "a".repeat(17_000 + r.nextInt(10_000)) + "\r\n\r\n"), 0);
                case 1 -> new Case("many header lines", Expect.REFUSE, one("GET " + path + " HTTP/1.1\r\n" + h
                        + "X-A: a\r\n".repeat(101 + r.nextInt(50)) + "\r\n"), 0);
                default -> new Case("oversized line", Expect.REFUSE, one("GET " + path + "?" + "q".repeat(17_000)
                        + " HTTP/1.1\r\n" + h + "\r\n"), 0);
            };
            case 11 -> {
                // the codec reads a chunk size up to the first space (" 5", "5 5": 5) and frames the body anew for
                // the service, so those two never disagree; what follows a request that closes must never be served
                int size = r.nextInt(6);
                yield new Case("bad chunk size", size < 4 ? Expect.REFUSE : Expect.EITHER, one("POST " + path
                        + " HTTP/1.1\r\n" + h + close + "Transfer-Encoding: chunked\r\n\r\n"
                        + new String[] {"zz", "-5", "fffffffffffffffff", "0x5", " 5", "5 5"}[size]
                        + "\r\nhello\r\n0\r\n\r\n" + smuggled), 0);
            }
            case 12 -> new Case("space before colon", Expect.REFUSE, one("GET " + path + " HTTP/1.1\r\n" + h
                    + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"), 0);
            case 13 -> new Case("bad method", Expect.REFUSE, one("G" + SEPARATORS.charAt(r.nextInt(SEPARATORS.length())) + "T "
                    + path + " HTTP/1.1\r\n" + h + "\r\n"), 0);
            case 14 -> {
                String[] forms = {"GET http://127.0.0.1" + path + " HTTP/1.1\r\n" + h + "\r\n",
                    "GET 127.0.0.1:80 HTTP/1.1\r\n" + h + "\r\n", "CONNECT " + path + " HTTP/1.1\r\n" + h + "\r\n",
                    "GET " + path + " HTTP/2.0\r\n" + h + "\r\n", "GET " + path + " HTTP/1.1\r\n\r\n",
                    "GET " + path + " HTTP/1.1\r\n" + h + h + "\r\n", "GET " + path + " HTTP/1.1\r\n" + h
                        + "Expect: magic\r\n\r\n"};
                yield new Case("form", Expect.REFUSE, one(forms[r.nextInt(forms.length)]), 0);
            }
            case 15 -> {
                byte[] garbage = new byte[1 + r.nextInt(300)];
                r.nextBytes(garbage);
                yield new Case("garbage", Expect.EITHER, List.of(garbage), 0);
            }
            default -> new Case("encoded path", Expect.REFUSE, one("GET /" + new String[] {"..%2f", "%2e%2e/", "a%00",
                "..%5c", "a\\b"}[r.nextInt(5)] + "x HTTP/1.1\r\n" + h + "\r\n"), 0);
        };
    }

    private static List<byte[]> one(String s) {
        return List.of(bytes(s));
    }

    private static List<byte[]> split(Random r, byte[] all) {
        List<byte[]> parts = new ArrayList<>();
        for (int at = 0; at < all.length; ) {
            int n = Math.min(all.length - at, 1 + r.nextInt(40));
            byte[] p = new byte[n];
            System.arraycopy(all, at, p, 0, n);
            parts.add(p);
            at += n;
        }
        return parts;
    }

    private static String randomText(Random r, int n) {
        StringBuilder b = new StringBuilder(n);
        for (int k = 0; k < n; k++) {
            b.append((char) (' ' + r.nextInt(95)));
        }
        return b.toString();
    }
}
