package dev.palisade.acceptance.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.acceptance.Host;
import dev.palisade.acceptance.drill.DrillClient.Answer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * Ingress across nodes, with two processes of the packaged jar on one PostgreSQL: one with role
 * {@code api} (the edge: it receives every client request and runs no workload) and one with
 * role {@code worker} (it runs the services and receives forwarded requests on its internal
 * listener). Every request here goes to the API instance; the services run on the worker.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CrossNodeIngressIT {

    private static final String ADMIN_PASSWORD = "route-admin-password";
    /** The tiny echo server of ServiceIngressTests (one file for both): it answers with the headers and the body it saw. */
    private static final Path ECHO = Path.of("../platform-app/src/test/resources/services/echo_server.py");

    private Path root;
    private int pgPort;
    private int internalPort;
    private String secret;
    private EmbeddedPostgres postgres;
    private AppProcess api;
    private AppProcess worker;
    private final DrillClient client = new DrillClient();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final String tenant = "route";

    @BeforeAll
    void startTwoInstances() throws Exception {
        assumeTrue(Host.runsAsRoot(), "services run in the ptrace sandbox, which needs root");
        root = Files.createTempDirectory("palisade-route-");
        pgPort = freePort();
        internalPort = freePort();
        byte[] key = new byte[24];
        new SecureRandom().nextBytes(key);
        secret = HexFormat.of().formatHex(key);
        postgres = EmbeddedPostgres.builder().setPort(pgPort).setDataDirectory(root.resolve("pg"))
                .setPGStartupWait(Duration.ofSeconds(60)).start();
        Map<String, String> env = Map.of(
                "SPRING_DATASOURCE_URL", "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres",
                "SPRING_DATASOURCE_USERNAME", "postgres", "SPRING_DATASOURCE_PASSWORD", "postgres",
                "PALISADE_ADMIN_PASSWORD", ADMIN_PASSWORD,
                // the secret comes in through the environment, as from a Kubernetes Secret
                "PALISADE_NODE_INTERNAL_SECRET", secret);
        // the API instance keeps where a service runs for a minute: only a failed hop or the node's 421 makes it look again
        List<String> common = List.of("--palisade.dispatcher.heartbeat=500ms", "--palisade.dispatcher.lease-timeout=10s",
                "--palisade.dispatcher.shutdown-grace=1s", "--palisade.dispatcher.capacity=6",
                // one tenant runs every service of this drill: no share of the node is kept for others
                "--palisade.dispatcher.service-capacity=6", "--palisade.dispatcher.tenant-share=1",
                "--palisade.services.route-cache-ttl=60s");
        api = new AppProcess("api", "api", env, common);
        List<String> workerArgs = new java.util.ArrayList<>(common);
        workerArgs.addAll(List.of("--palisade.dispatcher.node-id=worker", "--palisade.node.internal-port=" + internalPort));
        worker = new AppProcess("worker", "worker", env, workerArgs);
        // both migrate at once: Flyway serialises them with a lock in PostgreSQL
        api.start(root.resolve("api"));
        worker.start(root.resolve("worker"));
        api.awaitReady(Duration.ofMinutes(3));
        worker.awaitReady(Duration.ofMinutes(3));

        client.login(api.url(), "admin", ADMIN_PASSWORD);
        check(client.post(api.url() + "/api/v1/tenants", "{\"slug\":\"" + tenant + "\",\"displayName\":\"Route\"}"), 201);
        check(client.put(tenantUrl() + "/quota", """
                {"maxConcurrentWorkloads":6,"maxCpuMillis":60000,"maxWallMillis":600000,"maxMemoryBytes":268435456,
                 "maxProcesses":32,"maxOutputBytes":1048576,"cpuSecondsPerMonth":360000,"storageBytes":1073741824}"""), 200);
        check(client.post(tenantUrl() + "/services", """
                {"name":"web","port":8000,"healthPath":"/hello.txt","command":["/bin/sh","-c",
                 "mkdir -p site && echo hello-from-the-worker > site/hello.txt && cd site && exec python3 -m http.server 8000 --bind 127.0.0.1"]}"""),
                201);
        check(client.post(tenantUrl() + "/services", "{\"name\":\"echo\",\"port\":8001,\"command\":[\"python3\",\"-c\","
                + DrillClient.JSON.writeValueAsString(Files.readString(ECHO)) + ",\"8001\"]}"), 201);
        awaitService("web", s -> s.get("status").asString().equals("HEALTHY"));
        awaitService("echo", s -> s.get("status").asString().equals("HEALTHY"));
    }

    @AfterAll
    void stopAll() throws Exception {
        for (AppProcess p : new AppProcess[] {api, worker}) {
            if (p != null) {
                p.stop();
            }
        }
        if (postgres != null) {
            postgres.close();
        }
        if (root != null) {
            Host.unmountUnder(root); // the last test kills the worker: its service's workspace stays mounted
        }
    }

    @Test
    @Order(1)
    void theApiInstanceServesAFileFromTheWorkspaceOfAServiceOnTheWorker() throws Exception {
        JsonNode web = service("web");
        assertThat(web.get("node").asString()).isEqualTo("worker");
        try (Connection c = jdbc(); ResultSet r = c.createStatement().executeQuery(
                "select id, ingress_address from node order by id")) {
            assertThat(r.next()).isTrue();
            assertThat(r.getString(1)).as("only the worker registers as a node").isEqualTo("worker");
            assertThat(r.getString(2)).isEqualTo("127.0.0.1:" + internalPort);
            assertThat(r.next()).isFalse();
        }

        HttpResponse<String> r = get(api.url() + "/hello.txt", at("web"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("hello-from-the-worker\n");
        assertThat(get(api.url() + "/", at("web")).body()).contains("hello.txt");
        assertThat(get(api.url() + "/missing", at("web")).statusCode()).isEqualTo(404);

        // counted at the edge: the API shows the counts, and the API instance's metrics carry them
        JsonNode counted = service("web");
        assertThat(counted.get("requests").get("total").asLong()).isGreaterThanOrEqualTo(3);
        assertThat(counted.get("requests").get("byStatus").get("200").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(scrape(api)).containsPattern(
                "palisade_ingress_requests_seconds_count\\{[^}]*service=\"web\"[^}]*status=\"200\"[^}]*} [2-9]");
    }

    @Test
    @Order(2)
    void aPostBodyStreamsThroughBothHopsAndTheServiceSeesOnlyTheEdgesView() throws Exception {
        byte[] payload = new byte[1 << 20];
        new SecureRandom().nextBytes(payload);
        String hex = HexFormat.of().formatHex(payload);   // 2 MiB of text, sent without a length (chunked)
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api.url() + "/upload?x=1"))
                .timeout(Duration.ofSeconds(60)).header("Host", host("echo"))
                .header("X-Forwarded-For", "6.6.6.6").header("X-Forwarded-Host", "evil.example")
                .header("X-Forwarded-Prefix", "/evil").header("Forwarded", "for=6.6.6.6")
                .header(SECRET_HEADER, "a-guess")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(hex.getBytes(StandardCharsets.US_ASCII))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        String seen = r.body();
        assertThat(seen).contains("path=/upload?x=1\n");
        assertThat(seen).endsWith("body=" + hex);
        String head = seen.substring(0, seen.indexOf("body="));
        // the service sees the edge's view of the client, set once at the edge and passed on unchanged by the hop
        assertThat(head).contains("x-forwarded-for=127.0.0.1\n", "x-forwarded-host=" + host("echo") + "\n",
                "x-forwarded-proto=http\n", "forwarded=for=\"127.0.0.1\";proto=http;host=\"" + host("echo") + "\"\n",
                "host=" + host("echo") + "\n");
        assertThat(head).doesNotContain("6.6.6.6", "evil", "x-forwarded-prefix", "127.0.0.1:" + internalPort);
        // neither the client's guess nor the nodes' own secret reaches a service
        assertThat(head.toLowerCase()).doesNotContain("x-palisade", secret);
        assertThat(head.lines().filter(l -> l.startsWith("x-forwarded-for=")).count()).isEqualTo(1);

        // a body with a length, and a binary one: byte for byte
        byte[] small = java.util.Arrays.copyOf(payload, 200_000);
        HttpResponse<byte[]> b = http.send(HttpRequest.newBuilder(URI.create(api.url() + "/bin"))
                .timeout(Duration.ofSeconds(60)).header("Host", host("echo")).POST(HttpRequest.BodyPublishers.ofByteArray(small)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(b.statusCode()).isEqualTo(200);
        byte[] body = b.body();
        byte[] tail = java.util.Arrays.copyOfRange(body, body.length - small.length, body.length);
        assertThat(tail).isEqualTo(small);
    }

    @Test
    @Order(3)
    void theInternalListenerRefusesARequestWithoutOrWithAWrongSecret() throws Exception {
        String internal = "http://127.0.0.1:" + internalPort;
        String path = "/hello.txt";
        HttpResponse<String> none = get(internal + path, Map.of());
        assertThat(none.statusCode()).isEqualTo(403);
        HttpResponse<String> wrong = get(internal + path, Map.of(SECRET_HEADER, secret.substring(1) + "0"));
        assertThat(wrong.statusCode()).isEqualTo(403);
        assertThat(wrong.body()).doesNotContain("hello-from-the-worker").doesNotContainIgnoringCase("exception");
        // with the secret it is the real thing (as the API instance uses it)...
        HttpResponse<String> right = get(internal + path, Map.of(SECRET_HEADER, secret, SERVICE_HEADER, tenant + "/web"));
        assertThat(right.statusCode()).isEqualTo(200);
        assertThat(right.body()).isEqualTo("hello-from-the-worker\n");
        // a service that does not run there is answered 421, on which the edge looks again (the client never sees it)
        assertThat(get(internal + "/", Map.of(SECRET_HEADER, secret, SERVICE_HEADER, tenant + "/nothing")).statusCode())
                .isEqualTo(421);
        // ...and nothing but the ingress answers on it, secret or not
        for (String other : List.of("/api/v1/tenants", "/actuator/health", "/login", "/")) {
            assertThat(get(internal + other, Map.of()).statusCode()).as(other).isEqualTo(403);
            assertThat(get(internal + other, Map.of(SECRET_HEADER, secret)).statusCode()).as(other).isEqualTo(404);
        }
        // the secret is never logged by either instance
        assertThat(Files.readString(worker.logFile())).doesNotContain(secret).contains("Refused a request on the internal listener");
        assertThat(Files.readString(api.logFile())).doesNotContain(secret);
    }

    @Test
    @Order(4)
    void aSandboxedProgramCannotReachTheInternalListener() throws Exception {
        String probe = """
                import socket
                s = socket.socket()
                s.settimeout(2)
                try:
                    s.connect(('127.0.0.1', %d)); print('REACHED', flush=True)
                except OSError as e:
                    print('refused', type(e).__name__, flush=True)
                """.formatted(internalPort);
        // as a job (network none) and as a service (its own loopback), both on the worker that listens
        Answer job = client.post(tenantUrl() + "/workloads", "{\"name\":\"probe\",\"image\":\"host\",\"command\":[\"python3\",\"-c\","
                + DrillClient.JSON.writeValueAsString(probe) + "]}");
        check(job, 201);
        Answer svc = client.post(tenantUrl() + "/services", "{\"name\":\"probe\",\"port\":8002,\"restartPolicy\":\"NEVER\","
                + "\"command\":[\"python3\",\"-c\"," + DrillClient.JSON.writeValueAsString(probe) + "]}");
        check(svc, 201);
        for (String id : List.of(job.json().get("id").asString(), svc.json().get("workloadId").asString())) {
            String log = awaitLog(id);
            assertThat(client.get(tenantUrl() + "/workloads/" + id).json().get("node").asString()).isEqualTo("worker");
            assertThat(log).as(log).contains("refused").doesNotContain("REACHED");
        }
    }

    @Test
    @Order(5)
    void aStoppedServiceAnswers503AtTheEdge() throws Exception {
        assertThat(get(api.url() + "/hello.txt", at("web")).statusCode()).isEqualTo(200);
        check(client.post(tenantUrl() + "/services/web/stop", "{}"), 200);
        awaitService("web", s -> s.get("state").asString().equals("CANCELLED"));
        // the API instance still has the worker for web: the worker answers 421, the API instance looks again at once
        HttpResponse<String> r = get(api.url() + "/hello.txt", at("web"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.body()).contains("Service web of tenant " + tenant + " is not running (stopped").doesNotContain("Exception");
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
    }

    @Test
    @Order(6)
    void aWorkerThatIsGoneAnswers503NamingNothingInternal() throws Exception {
        assertThat(get(api.url() + "/", at("echo")).statusCode()).isEqualTo(200);
        worker.kill9();
        // its lease is still live for a while: the API instance tries the node, finds it gone, and says so
        HttpResponse<String> r = get(api.url() + "/", at("echo"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.body()).contains("Service echo runs on another node, which cannot be reached right now")
                .doesNotContain("127.0.0.1:" + internalPort, "Exception", "worker");
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
    }

    // ---- helpers

    private static final String SECRET_HEADER = "X-Palisade-Node-Secret";
    private static final String SERVICE_HEADER = "X-Palisade-Service";

    /** The Host header that names one of the tenant's services on the API instance's port. */
    private Map<String, String> at(String service) {
        return Map.of("Host", host(service));
    }

    private String host(String service) {
        return service + "." + tenant + ".apps.localhost:" + api.port;
    }

    private String tenantUrl() {
        return api.url() + "/api/v1/tenants/" + tenant;
    }

    private JsonNode service(String name) {
        Answer a = client.get(tenantUrl() + "/services/" + name);
        check(a, 200);
        return a.json();
    }

    private void awaitService(String name, Predicate<JsonNode> until) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode s = null;
        while (System.nanoTime() < end) {
            s = service(name);
            if (until.test(s)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("service " + name + " never got there: " + s + "\nworker:\n" + worker.tail());
    }

    private String awaitLog(String id) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            JsonNode w = client.get(tenantUrl() + "/workloads/" + id).json();
            if (!w.get("state").asString().equals("QUEUED") && !w.get("state").asString().equals("RUNNING")) {
                return client.get(tenantUrl() + "/workloads/" + id + "/logs").body();
            }
            Thread.sleep(200);
        }
        throw new AssertionError("workload " + id + " did not end");
    }

    private HttpResponse<String> get(String url, Map<String, String> headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String scrape(AppProcess p) throws IOException, InterruptedException {
        HttpResponse<String> r = get(p.managementUrl() + "/actuator/prometheus", Map.of());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private Connection jdbc() throws java.sql.SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres", "postgres", "postgres");
    }

    private static void check(Answer a, int status) {
        if (a.status() != status) {
            throw new AssertionError("expected " + status + ", got " + a);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
