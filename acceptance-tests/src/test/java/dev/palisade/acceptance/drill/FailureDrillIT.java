package dev.palisade.acceptance.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.acceptance.Host;
import dev.palisade.acceptance.drill.DrillClient.Answer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * The failure drill of issue 6, on this machine: one PostgreSQL (started here, so it can be
 * stopped and started again), one API process and two workers, all from the packaged jar.
 * <ol>
 * <li>a worker is killed with {@code kill -9} while it runs workloads;</li>
 * <li>PostgreSQL is stopped and started again while workloads run and clients call the API;</li>
 * <li>a tenant's queue is filled past its bound;</li>
 * <li>the API process is restarted while a client follows a live log.</li>
 * </ol>
 * After each, the same checks: no workload lost (every one submitted reaches a final state), none
 * ran twice (at most its allowed attempts, one result), none stays RUNNING without a live lease,
 * every client call got an HTTP answer (a result or a clear error) or a refused connection while
 * its server was down, and the system went on without a restart by hand. It prints what it did
 * and what it found, line by line, prefixed {@code DRILL}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FailureDrillIT {

    private static final String ADMIN_PASSWORD = "drill-admin-password";
    private static final Duration LEASE = Duration.ofSeconds(5);

    private Path root;
    private int pgPort;
    private EmbeddedPostgres postgres;
    private AppProcess api;
    private AppProcess worker1;
    private AppProcess worker2;
    private final DrillClient client = new DrillClient();
    /** Every workload the drill submitted and got a 201 for: none may be lost. */
    private final Set<String> submitted = ConcurrentHashMap.newKeySet();
    private String tenant;

    @BeforeAll
    void startCluster() throws Exception {
        assumeTrue(Host.runsAsRoot(), "the failure drill runs workloads in the ptrace sandbox, which needs root");
        root = Files.createTempDirectory("palisade-drill-");
        pgPort = freePort();
        startPostgres();
        say("PostgreSQL on 127.0.0.1:%d (data in %s)", pgPort, root.resolve("pg"));
        Map<String, String> env = Map.of(
                "SPRING_DATASOURCE_URL", "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres",
                "SPRING_DATASOURCE_USERNAME", "postgres", "SPRING_DATASOURCE_PASSWORD", "postgres",
                "PALISADE_ADMIN_PASSWORD", ADMIN_PASSWORD,
                // roles split: the instances share the secret that authenticates a forwarded ingress request
                "PALISADE_NODE_INTERNAL_SECRET", "drill-node-secret");
        List<String> args = List.of("--palisade.dispatcher.capacity=3", "--palisade.dispatcher.heartbeat=500ms",
                "--palisade.dispatcher.lease-timeout=" + LEASE.toSeconds() + "s", "--palisade.dispatcher.shutdown-grace=2s",
                "--palisade.workloads.max-queued-per-tenant=12",
                // in-flight requests (a followed log) get 5 s to finish on a normal stop, as in production they get
                // what is left of terminationGracePeriodSeconds
                "--spring.lifecycle.timeout-per-shutdown-phase=5s");
        // as the Kubernetes Job does: migrations once, then every instance with Flyway off
        AppProcess migrate = new AppProcess("migrate", "api", env, List.of());
        int status = migrate.runToExit(List.of("--palisade.node.migrate-and-exit=true",
                "--server.port=0", "--palisade.node.role=api",
                "--palisade.data-dir=" + root.resolve("migrate")), Duration.ofMinutes(3));
        say("migration run (palisade.node.migrate-and-exit) exited with %d", status);
        assertThat(status).as("the migration run:\n%s", migrate.tail()).isZero();
        Map<String, String> noFlyway = new java.util.HashMap<>(env);
        noFlyway.put("SPRING_FLYWAY_ENABLED", "false");
        api = new AppProcess("api", "api", noFlyway, args);
        worker1 = new AppProcess("worker1", "worker", noFlyway, withNodeId(args, "worker1"));
        worker2 = new AppProcess("worker2", "worker", noFlyway, withNodeId(args, "worker2"));
        api.start(root.resolve("api"));
        worker1.start(root.resolve("worker1"));
        worker2.start(root.resolve("worker2"));
        api.awaitReady(Duration.ofMinutes(3));
        worker1.awaitReady(Duration.ofMinutes(3));
        worker2.awaitReady(Duration.ofMinutes(3));
        say("started api (role api, :%d), worker1 and worker2 (role worker, :%d, :%d), lease %ss",
                api.port, worker1.port, worker2.port, LEASE.toSeconds());

        client.login(api.url(), "admin", ADMIN_PASSWORD);
        tenant = "drill";
        check(client.post(api.url() + "/api/v1/tenants", "{\"slug\":\"drill\",\"displayName\":\"Drill\"}"), 201);
        check(client.put(tenantUrl() + "/quota", """
                {"maxConcurrentWorkloads":6,"maxCpuMillis":60000,"maxWallMillis":120000,"maxMemoryBytes":268435456,
                 "maxProcesses":32,"maxOutputBytes":1048576,"cpuSecondsPerMonth":360000,"storageBytes":1073741824}"""), 200);
        // a worker serves nothing but health and metrics
        assertThat(client.get(worker1.url() + "/api/v1/tenants").status()).isEqualTo(404);
    }

    @AfterAll
    void stopCluster() throws Exception {
        for (AppProcess p : new AppProcess[] {api, worker1, worker2}) {
            if (p != null) {
                p.stop();
            }
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    @Order(1)
    void killAWorkerWithSigkill() throws Exception {
        say("== 1. kill -9 a worker while it runs workloads");
        List<String> ids = submitMany(6, "sleep 3; echo done", 2);
        awaitCondition("worker1 runs something", Duration.ofSeconds(60), () -> !runningOn(worker1Node()).isEmpty());
        List<String> victims = runningOn(worker1Node());
        worker1.kill9();
        Instant killed = Instant.now();
        say("killed worker1 (kill -9) while it ran %d workloads: %s", victims.size(), victims);
        awaitAllFinal(ids, Duration.ofSeconds(90));
        say("all %d workloads final %.1fs after the kill", ids.size(), Duration.between(killed, Instant.now()).toMillis() / 1000.0);
        for (String id : victims) {
            JsonNode w = workload(id);
            say("  %s was on worker1: now %s after %d attempt(s) on %s (%s)", id, w.get("state").asString(),
                    w.get("attempts").asInt(), w.path("node").asString(""), w.path("terminationReason").asString(""));
            assertThat(w.get("attempts").asInt()).isEqualTo(2);
            assertThat(w.get("state").asString()).isEqualTo("SUCCEEDED");
        }
        assertInvariants(ids);
        worker1.start(root.resolve("worker1"));
        worker1.awaitReady(Duration.ofMinutes(3));
        say("worker1 started again by the drill, as systemd or Kubernetes would (the rest needed no hand)");
    }

    @Test
    @Order(2)
    void stopAndRestartPostgresMidRun() throws Exception {
        say("== 2. stop and restart PostgreSQL while workloads run and clients call");
        List<String> ids = submitMany(4, "sleep 4; echo done", 2);
        awaitCondition("something runs", Duration.ofSeconds(60), () -> countState(ids, "RUNNING") > 0);
        postgres.close();
        Instant stopped = Instant.now();
        say("PostgreSQL stopped (fast shutdown) with %d workloads submitted", ids.size());
        List<Answer> during = new ArrayList<>();
        Answer readiness = null;
        while (during.size() < 6 || Duration.between(stopped, Instant.now()).toSeconds() < 4) {
            during.add(client.get(tenantUrl() + "/workloads/" + ids.get(0)));
            during.add(client.post(tenantUrl() + "/workloads", spec("echo during-outage", 1)));
            readiness = readiness(api);
        }
        startPostgres();
        say("PostgreSQL started again after %.1fs", Duration.between(stopped, Instant.now()).toMillis() / 1000.0);
        Map<Integer, Integer> statuses = new LinkedHashMap<>();
        during.forEach(a -> statuses.merge(a.status(), 1, Integer::sum));
        say("during the outage: %d calls answered %s; readiness said %s", during.size(), statuses,
                readiness == null ? "?" : readiness.status());
        for (Answer a : during) {
            assertThat(a.status()).as("every call gets an HTTP answer: %s", a).isNotZero();
            assertThat(a.status()).as("no bare 500: %s", a).isNotEqualTo(500);
            if (a.status() == 201) {
                submitted.add(a.json().get("id").asString());
            }
        }
        assertThat(readiness.status()).as("readiness false while the database is down").isEqualTo(503);
        awaitCondition("api ready again", Duration.ofSeconds(60), () -> readiness(api).status() == 200);
        awaitAllFinal(ids, Duration.ofSeconds(120));
        say("after the restart: api ready again; all %d workloads final: %s", ids.size(), states(ids));
        assertInvariants(ids);
    }

    @Test
    @Order(3)
    void fillTheQueuePastItsBound() throws Exception {
        say("== 3. fill a tenant's queue past its bound (palisade.workloads.max-queued-per-tenant=12)");
        Map<Integer, Integer> statuses = new LinkedHashMap<>();
        List<String> accepted = new ArrayList<>();
        String refusal = null;
        for (int i = 0; i < 30; i++) {
            // long enough that the workers (6 slots) cannot drain the queue while the submits arrive
            Answer a = client.post(tenantUrl() + "/workloads", spec("sleep 5", 1));
            statuses.merge(a.status(), 1, Integer::sum);
            if (a.status() == 201) {
                String id = a.json().get("id").asString();
                accepted.add(id);
                submitted.add(id);
            } else if (refusal == null) {
                refusal = a.toString();
            }
        }
        say("30 submits at once answered %s; a refusal reads: %s", statuses, refusal);
        assertThat(statuses.keySet()).as("only accepted or refused as over quota").containsAnyOf(201).isSubsetOf(201, 429);
        assertThat(statuses.getOrDefault(429, 0)).as("the bound holds").isPositive();
        awaitAllFinal(accepted, Duration.ofSeconds(120));
        say("the %d accepted ones all final: %s", accepted.size(), states(accepted));
        Answer after = client.post(tenantUrl() + "/workloads", spec("echo after", 1));
        say("a submit after the queue drained: %d", after.status());
        assertThat(after.status()).isEqualTo(201);
        submitted.add(after.json().get("id").asString());
        assertInvariants(accepted);
    }

    @Test
    @Order(4)
    void restartTheApiDuringALiveLogStream() throws Exception {
        say("== 4. restart the API while a client follows a live log");
        Answer a = client.post(tenantUrl() + "/workloads",
                spec("for i in $(seq 1 80); do echo line $i; sleep 0.25; done", 1));
        check(a, 201);
        String id = a.json().get("id").asString();
        submitted.add(id);
        List<String> first = new CopyOnWriteArrayList<>();
        AtomicBoolean streamEnded = new AtomicBoolean();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<String> firstStream = pool.submit(() -> {
            try {
                return client.follow(tenantUrl() + "/workloads/" + id + "/logs", first::add);
            } finally {
                streamEnded.set(true);
            }
        });
        awaitCondition("some lines streamed", Duration.ofSeconds(60), () -> first.size() >= 5);
        say("stopping the API (SIGTERM) while the client follows the log (%d lines so far)", first.size());
        Instant stopping = Instant.now();
        api.stop();
        say("API stopped after %.1fs; the client had %d lines", Duration.between(stopping, Instant.now()).toMillis() / 1000.0,
                first.size());
        String end1 = null;
        try {
            end1 = firstStream.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            say("the stream broke off: %s", e.getCause().toString());
        }
        assertThat(streamEnded.get()).as("the client is not left hanging").isTrue();
        Answer whileDown = client.get(tenantUrl() + "/workloads/" + id);
        say("first stream ended with %s; a call while the API is down: %s", end1 == null ? "no end event (cut off)" : end1, whileDown);
        api.start(root.resolve("api"));
        api.awaitReady(Duration.ofMinutes(3));
        say("API started again");
        List<String> second = new ArrayList<>();
        String end2 = client.follow(tenantUrl() + "/workloads/" + id + "/logs", second::add);
        pool.shutdownNow();
        say("reconnected: %d lines, end event %s; the workload is %s", second.size(), end2, workload(id).get("state").asString());
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= 80; i++) {
            expected.add("line " + i);
        }
        assertThat(end2).isEqualTo("SUCCEEDED");
        assertThat(second).as("the whole log, once, in order, after reconnecting").isEqualTo(expected);
        assertThat(first).as("what the first stream got was a prefix of it").isEqualTo(expected.subList(0, first.size()));
        assertInvariants(List.of(id));
    }

    @Test
    @Order(5)
    void nothingWasLostOverTheWholeDrill() throws Exception {
        awaitAllFinal(new ArrayList<>(submitted), Duration.ofSeconds(120));
        try (Connection c = jdbc(); Statement s = c.createStatement()) {
            ResultSet r = s.executeQuery("select count(*) from workload where state = 'RUNNING'"
                    + " and (lease_expires_at is null or lease_expires_at < now())");
            r.next();
            int orphaned = r.getInt(1);
            ResultSet all = s.executeQuery("select state, count(*) from workload group by state order by state");
            Map<String, Integer> byState = new LinkedHashMap<>();
            while (all.next()) {
                byState.put(all.getString(1), all.getInt(2));
            }
            say("== end: %d workloads submitted and accepted over the drill, by state %s; RUNNING without a live lease: %d",
                    submitted.size(), byState, orphaned);
            assertThat(orphaned).isZero();
        }
        assertInvariants(new ArrayList<>(submitted));
        // what the metrics say about it, scraped without credentials on the management ports
        String metrics = scrape(worker1) + scrape(worker2) + scrape(api);
        for (String series : List.of("palisade_worker_leases_lost_total", "palisade_workloads_finished_total{",
                "palisade_queue_depth", "palisade_nodes_alive", "palisade_leases_expired", "palisade_tenant_cpu_seconds_total{",
                "palisade_workload_queue_wait_seconds_count", "palisade_sandbox_start_seconds_count{")) {
            List<String> lines = metrics.lines().filter(l -> l.startsWith(series)).toList();
            say("metrics: %s", lines.isEmpty() ? series + " (absent)" : String.join("  ", lines));
            assertThat(lines).as(series).isNotEmpty();
        }
    }

    private String scrape(AppProcess p) {
        try {
            var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(p.managementUrl() + "/actuator/prometheus")).timeout(Duration.ofSeconds(10)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("prometheus on %s's management port", p.name).isEqualTo(200);
            return r.body();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    // ---- checks

    /** No workload lost, none run more than it may, none RUNNING without a live lease. */
    private void assertInvariants(List<String> ids) throws Exception {
        try (Connection c = jdbc(); Statement s = c.createStatement()) {
            for (String id : ids) {
                ResultSet r = s.executeQuery("select state, attempts, max_attempts, lease_expires_at, finished_at from workload"
                        + " where id = '" + id + "'");
                assertThat(r.next()).as("workload %s exists", id).isTrue();
                String state = r.getString(1);
                assertThat(state).as("%s is final", id).isIn("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "REJECTED");
                assertThat(r.getInt(2)).as("%s ran at most max_attempts times", id).isLessThanOrEqualTo(r.getInt(3));
                assertThat(r.getTimestamp(5)).as("%s has a finish time", id).isNotNull();
            }
            ResultSet orphans = s.executeQuery("select count(*) from workload where state = 'RUNNING'"
                    + " and (lease_expires_at is null or lease_expires_at < now() - interval '1 second')");
            orphans.next();
            assertThat(orphans.getInt(1)).as("RUNNING without a live lease").isZero();
        }
        say("checked %d workloads: all final, none over its attempts, none RUNNING without a live lease", ids.size());
    }

    // ---- helpers

    private List<String> submitMany(int n, String script, int maxAttempts) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Answer a = client.post(tenantUrl() + "/workloads", spec(script, maxAttempts));
            check(a, 201);
            ids.add(a.json().get("id").asString());
        }
        submitted.addAll(ids);
        return ids;
    }

    private static List<String> withNodeId(List<String> args, String node) {
        List<String> all = new ArrayList<>(args);
        all.add("--palisade.dispatcher.node-id=" + node);
        return all;
    }

    private static String spec(String script, int maxAttempts) {
        return "{\"name\":\"drill\",\"image\":\"host\",\"platform\":\"ptrace\",\"command\":[\"/bin/sh\",\"-c\","
                + DrillClient.JSON.writeValueAsString(script) + "],\"limits\":{\"wallMillis\":60000},\"maxAttempts\":"
                + maxAttempts + "}";
    }

    private String tenantUrl() {
        return api.url() + "/api/v1/tenants/" + tenant;
    }

    private JsonNode workload(String id) {
        Answer a = client.get(tenantUrl() + "/workloads/" + id);
        check(a, 200);
        return a.json();
    }

    private String worker1Node() {
        return "worker1";
    }

    private List<String> runningOn(String node) throws Exception {
        try (Connection c = jdbc(); Statement s = c.createStatement()) {
            ResultSet r = s.executeQuery("select id from workload where state = 'RUNNING' and node = '" + node.replace("'", "") + "'");
            List<String> ids = new ArrayList<>();
            while (r.next()) {
                ids.add(r.getString(1));
            }
            return ids;
        }
    }

    private long countState(List<String> ids, String state) {
        return ids.stream().filter(id -> {
            Answer a = client.get(tenantUrl() + "/workloads/" + id);
            return a.status() == 200 && a.json().get("state").asString().equals(state);
        }).count();
    }

    private Map<String, Integer> states(List<String> ids) throws Exception {
        Map<String, Integer> out = new LinkedHashMap<>();
        try (Connection c = jdbc(); Statement s = c.createStatement()) {
            for (String id : ids) {
                ResultSet r = s.executeQuery("select state from workload where id = '" + id + "'");
                out.merge(r.next() ? r.getString(1) : "MISSING", 1, Integer::sum);
            }
        }
        return out;
    }

    private void awaitAllFinal(List<String> ids, Duration timeout) throws Exception {
        awaitCondition("all final", timeout, () -> {
            Map<String, Integer> s = states(ids);
            return !s.containsKey("QUEUED") && !s.containsKey("RUNNING") && !s.containsKey("MISSING");
        });
    }

    private Answer readiness(AppProcess p) {
        try {
            var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(p.managementUrl() + "/actuator/health/readiness")).timeout(Duration.ofSeconds(10)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body(), null);
        } catch (IOException | InterruptedException e) {
            return new Answer(0, "", e.toString());
        }
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    private void awaitCondition(String what, Duration timeout, Condition condition) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            try {
                if (condition.holds()) {
                    return;
                }
            } catch (java.sql.SQLException | IllegalStateException notYet) {
                // the database may be coming back
            }
            Thread.sleep(250);
        }
        throw new AssertionError("timed out waiting for: " + what + "\n--- api\n" + api.tail() + "\n--- worker1\n"
                + worker1.tail() + "\n--- worker2\n" + worker2.tail());
    }

    private void startPostgres() throws IOException {
        postgres = EmbeddedPostgres.builder().setPort(pgPort).setDataDirectory(root.resolve("pg"))
                .setCleanDataDirectory(false).setPGStartupWait(Duration.ofSeconds(60)).start();
    }

    private Connection jdbc() throws java.sql.SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres", "postgres", "postgres");
    }

    private static void check(Answer a, int status) {
        if (a.status() != status) {
            throw new AssertionError("expected " + status + ", got " + a);
        }
    }

    private static void say(String format, Object... args) {
        System.out.println("DRILL " + String.format(format, args));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @SuppressWarnings("unused")
    private static <T> List<T> unmodifiable(List<T> l) {
        return Collections.unmodifiableList(l);
    }
}
