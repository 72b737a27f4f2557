package dev.palisade.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Two app processes against one PostgreSQL, each with its own worker, driven over HTTP: every
 * workload runs exactly once; a cancel or a log follow works through the instance that does
 * not run the workload; and when one instance is killed with {@code kill -9}, every workload it
 * held reaches a final state within the lease timeout (or is retried where the spec asks).
 */
class WorkloadsIT {

    private static final String ADMIN_PASSWORD = "two-instances-admin-pw";
    private static final Duration LEASE = Duration.ofSeconds(3);

    private static EmbeddedPostgres postgres;
    private final HttpClient http = HttpClient.newHttpClient();
    private final JsonMapper json = new JsonMapper();

    @BeforeAll
    static void database() throws IOException {
        assumeTrue(Host.runsAsRoot(), "workloads run in the ptrace sandbox, which needs root");
        postgres = EmbeddedPostgres.builder().start();
    }

    @AfterAll
    static void stopDatabase() throws IOException {
        if (postgres != null) {
            postgres.close();
        }
    }

    private static Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("SPRING_DATASOURCE_URL", postgres.getJdbcUrl("postgres", "postgres"));
        env.put("SPRING_DATASOURCE_USERNAME", "postgres");
        env.put("SPRING_DATASOURCE_PASSWORD", "postgres");
        env.put("PALISADE_ADMIN_PASSWORD", ADMIN_PASSWORD);
        env.put("PALISADE_DISPATCHER_CAPACITY", "4");
        env.put("PALISADE_DISPATCHER_HEARTBEAT", "500ms");
        env.put("PALISADE_DISPATCHER_LEASE_TIMEOUT", LEASE.toMillis() + "ms");
        env.put("PALISADE_DISPATCHER_SHUTDOWN_GRACE", "1s");
        return env;
    }

    @Test
    void twoInstancesRunEachWorkloadOnceAndAKilledOnesWorkEndsWithinTheLease(@TempDir Path dirA, @TempDir Path dirB)
            throws Exception {
        try (PalisadeProcess a = PalisadeProcess.start(dirA, env());
                PalisadeProcess b = PalisadeProcess.start(dirB, env())) {
            String admin = token(a.baseUrl());
            call(a.baseUrl(), "POST", "/api/v1/tenants", admin, "{\"slug\":\"acme\",\"displayName\":\"Acme\"}", 201);
            call(a.baseUrl(), "PUT", "/api/v1/tenants/acme/quota", admin, """
                    {"maxConcurrentWorkloads":8,"maxCpuMillis":5000,"maxWallMillis":60000,"maxMemoryBytes":268435456,
                     "maxProcesses":16,"maxOutputBytes":65536,"cpuSecondsPerMonth":36000,"storageBytes":104857600}""", 200);
            List<String> bases = List.of(a.baseUrl(), b.baseUrl());

            // 100 submissions, spread over both instances by 8 concurrent clients
            List<String> ids = new ArrayList<>();
            ExecutorService clients = Executors.newFixedThreadPool(8);
            List<Future<String>> submitted = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String base = bases.get(i % 2);
                int n = i;
                submitted.add(clients.submit(() -> submit(base, admin, "{\"name\":\"true-" + n + "\",\"command\":[\"/bin/true\"]}")));
            }
            for (Future<String> f : submitted) {
                ids.add(f.get());
            }
            clients.shutdown();
            Set<String> nodes = new HashSet<>();
            for (String id : ids) {
                JsonNode w = awaitEnd(a.baseUrl(), admin, id, Duration.ofSeconds(120));
                assertThat(w.get("state").asString()).as(w.toString()).isEqualTo("SUCCEEDED");
                assertThat(w.get("attempts").asInt()).as("claimed exactly once: " + w).isEqualTo(1);
                nodes.add(w.get("node").asString());
            }
            assertThat(nodes).as("both instances ran workloads").hasSize(2);

            // a log followed live (SSE) and a cancel, each through the instance that does not run the workload
            String counting = submit(a.baseUrl(), admin,
                    "{\"name\":\"count\",\"command\":[\"/bin/sh\",\"-c\",\"for i in 1 2 3; do echo line $i; sleep 0.3; done\"]}");
            JsonNode running = awaitState(a.baseUrl(), admin, counting, "RUNNING", Duration.ofSeconds(20));
            String other = otherBase(running, a, b);
            assertThat(followLog(other, admin, counting)).containsExactly("line 1", "line 2", "line 3", "end:SUCCEEDED");

            String nap = submit(a.baseUrl(), admin, "{\"name\":\"nap\",\"command\":[\"sleep\",\"600\"]}");
            running = awaitState(a.baseUrl(), admin, nap, "RUNNING", Duration.ofSeconds(20));
            long start = System.nanoTime();
            call(otherBase(running, a, b), "POST", "/api/v1/tenants/acme/workloads/" + nap + "/cancel", admin, null, 200);
            JsonNode cancelled = awaitEnd(a.baseUrl(), admin, nap, Duration.ofSeconds(10));
            assertThat(cancelled.get("state").asString()).isEqualTo("CANCELLED");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));

            // B crashes while it runs work: what it held ends within the lease timeout, retried where asked
            List<String> sleepers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                sleepers.add(submit(b.baseUrl(), admin, "{\"name\":\"sleeper-" + i + "\",\"command\":[\"sleep\",\"4\"],"
                        + "\"maxAttempts\":" + (i % 2 == 0 ? 1 : 2) + "}"));
            }
            String nodeB = null;
            List<String> heldByB = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (heldByB.isEmpty() && System.nanoTime() < deadline) {
                for (String id : sleepers) {
                    JsonNode w = get(a.baseUrl(), admin, id);
                    if (w.get("state").asString().equals("RUNNING") && isB(w, b, a, admin)) {
                        heldByB.add(id);
                        nodeB = w.get("node").asString();
                    }
                }
                Thread.sleep(100);
            }
            assertThat(heldByB).as("instance B runs some of the sleepers").isNotEmpty();
            b.kill9();
            long killed = System.nanoTime();
            for (String id : heldByB) {
                JsonNode w = get(a.baseUrl(), admin, id);
                if (w.get("maxAttempts").asInt() == 1) {
                    w = awaitEnd(a.baseUrl(), admin, id, LEASE.plusSeconds(3));
                    assertThat(w.get("state").asString()).as(w.toString()).isEqualTo("FAILED");
                    assertThat(w.get("terminationReason").asString()).isEqualTo("worker_lost");
                    // the message is the tenant's to read: it names no node (the admin sees the node in its field)
                    assertThat(w.get("message").asString()).contains("worker lost").doesNotContain(nodeB);
                    assertThat(w.get("node").asString()).isEqualTo(nodeB);
                } else {
                    w = awaitEnd(a.baseUrl(), admin, id, LEASE.plusSeconds(20));
                    assertThat(w.get("state").asString()).as(w.toString()).isEqualTo("SUCCEEDED");
                    assertThat(w.get("attempts").asInt()).isEqualTo(2);
                }
            }
            assertThat(Duration.ofNanos(System.nanoTime() - killed)).isLessThan(LEASE.plusSeconds(25));
            // the workspaces B's runs had mounted outlive it; B's next start on its data directory removes them
            assertThat(Host.mountsUnder(dirB)).as("workspaces the killed instance left mounted").isNotEmpty();
            try (PalisadeProcess again = PalisadeProcess.start(dirB, env())) {
                assertThat(Host.mountsUnder(dirB)).isEmpty();
            }
            for (String id : sleepers) {
                assertThat(awaitEnd(a.baseUrl(), admin, id, Duration.ofSeconds(30)).get("state").asString())
                        .isIn("SUCCEEDED", "FAILED");
            }

            // a normal stop hands what still runs back to the queue (grace 1 s here), for another node to run
            String handed = submit(a.baseUrl(), admin, "{\"name\":\"long\",\"command\":[\"sleep\",\"600\"]}");
            awaitState(a.baseUrl(), admin, handed, "RUNNING", Duration.ofSeconds(20));
            a.close();
            try (var c = postgres.getPostgresDatabase().getConnection();
                    var q = c.prepareStatement("select state, node, attempts from workload where id = ?::uuid")) {
                q.setString(1, handed);
                try (var rs = q.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).isEqualTo("QUEUED");
                    assertThat(rs.getString(2)).isNull();
                    assertThat(rs.getInt(3)).isZero();
                }
            }
        }
    }

    private static String otherBase(JsonNode running, PalisadeProcess a, PalisadeProcess b) {
        // node ids are host:pid:suffix; the instance whose pid is not in it is "the other"
        return running.get("node").asString().contains(":" + a.pid() + ":") ? b.baseUrl() : a.baseUrl();
    }

    private boolean isB(JsonNode w, PalisadeProcess b, PalisadeProcess a, String admin) {
        return w.get("node").asString().contains(":" + b.pid() + ":");
    }

    private List<String> followLog(String base, String token, String id) throws Exception {
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(
                        URI.create(base + "/api/v1/tenants/acme/workloads/" + id + "/logs"))
                .header("Authorization", "Bearer " + token).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        List<String> events = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String event = null;
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    String data = line.substring(5);
                    events.add(event != null && event.equals("end") ? "end:" + data.trim() : data);
                }
            }
        }
        return events;
    }

    private String submit(String base, String token, String spec) throws Exception {
        return json.readTree(call(base, "POST", "/api/v1/tenants/acme/workloads", token, spec, 201)).get("id").asString();
    }

    private JsonNode get(String base, String token, String id) throws Exception {
        return json.readTree(call(base, "GET", "/api/v1/tenants/acme/workloads/" + id, token, null, 200));
    }

    private JsonNode awaitState(String base, String token, String id, String state, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode w = get(base, token, id);
            if (w.get("state").asString().equals(state)) {
                return w;
            }
            assertThat(System.nanoTime()).as("%s did not reach %s: %s", id, state, w).isLessThan(end);
            Thread.sleep(50);
        }
    }

    private JsonNode awaitEnd(String base, String token, String id, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode w = get(base, token, id);
            String s = w.get("state").asString();
            if (!s.equals("QUEUED") && !s.equals("RUNNING")) {
                return w;
            }
            assertThat(System.nanoTime()).as("%s did not end within %s: %s", id, timeout, w).isLessThan(end);
            Thread.sleep(50);
        }
    }

    private String token(String base) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/tokens"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        ("admin:" + ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"it\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return json.readTree(r.body()).get("token").asString();
    }

    private String call(String base, String method, String path, String token, String body, int expected) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + token);
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isEqualTo(expected);
        return r.body();
    }
}
