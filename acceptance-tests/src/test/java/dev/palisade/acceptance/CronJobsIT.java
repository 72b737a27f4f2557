package dev.palisade.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Cron jobs against two instances of the platform sharing one PostgreSQL: a job every minute,
 * run for a little over two minutes, fires exactly once per minute (one workload each, whichever
 * instance fired it); "forbid" skips a firing while the last run still runs; "replace" cancels it.
 * {@code -Dpalisade.cron-it.minutes=5} runs the minute job for five minutes instead (by hand: CI
 * keeps the two).
 */
class CronJobsIT {

    /** How many minute boundaries the minute job passes before it is suspended. */
    private static final int MINUTES = Integer.getInteger("palisade.cron-it.minutes", 2);

    private static final String ADMIN_PASSWORD = "cron-jobs-admin-pw";

    private static EmbeddedPostgres postgres;
    private final HttpClient http = HttpClient.newHttpClient();
    private final JsonMapper json = new JsonMapper();
    private String base;
    private String token;

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
        env.put("PALISADE_CRON_JOBS_POLLING_INTERVAL", "1s");
        return env;
    }

    @Test
    void aJobEveryMinuteFiresOncePerMinuteAcrossTwoInstancesAndThePoliciesHold(@TempDir Path dirA, @TempDir Path dirB)
            throws Exception {
        try (PalisadeProcess a = PalisadeProcess.start(dirA, env());
                PalisadeProcess b = PalisadeProcess.start(dirB, env())) {
            base = a.baseUrl();
            token = token();
            call("POST", "/api/v1/tenants", "{\"slug\":\"cron\",\"displayName\":\"Cron\"}", 201);
            call("PUT", "/api/v1/tenants/cron/quota", """
                    {"maxConcurrentWorkloads":8,"maxCpuMillis":5000,"maxWallMillis":700000,"maxMemoryBytes":268435456,
                     "maxProcesses":16,"maxOutputBytes":65536,"cpuSecondsPerMonth":36000,"storageBytes":104857600}""", 200);

            // not a cron expression, not a zone: refused, naming the field
            assertThat(json.readTree(call("POST", "/api/v1/tenants/cron/cron-jobs",
                    "{\"name\":\"bad\",\"cron\":\"every minute\",\"workload\":{\"command\":[\"/bin/true\"]}}", 400))
                    .at("/errors/0/field").asString()).isEqualTo("cron");
            assertThat(json.readTree(call("POST", "/api/v1/tenants/cron/cron-jobs", "{\"name\":\"bad\",\"cron\":\"* * * * *\","
                    + "\"timeZone\":\"Mars/Olympus\",\"workload\":{\"command\":[\"/bin/true\"]}}", 400))
                    .at("/errors/0/field").asString()).isEqualTo("timeZone");

            // created through one instance; the first minute boundary at least 15 s away, so that it clearly counts
            while (Instant.now().atZone(java.time.ZoneOffset.UTC).getSecond() > 45) {
                Thread.sleep(1000);
            }
            JsonNode tick = json.readTree(call("POST", "/api/v1/tenants/cron/cron-jobs", """
                    {"name":"tick","cron":"* * * * *","timeZone":"Europe/Berlin",
                     "workload":{"name":"tick","command":["/bin/echo","tick"]}}""", 201));
            Instant created = Instant.parse(tick.get("createdAt").asString());
            assertThat(Instant.parse(tick.get("nextFiringAt").asString()))
                    .isEqualTo(created.truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES));

            // fast ones through the other instance, with seconds: forbid and replace
            base = b.baseUrl();
            call("POST", "/api/v1/tenants/cron/cron-jobs", """
                    {"name":"slow","cron":"*/4 * * * * *","concurrencyPolicy":"FORBID",
                     "workload":{"name":"slow","command":["sleep","9"]}}""", 201);
            call("POST", "/api/v1/tenants/cron/cron-jobs", """
                    {"name":"nap","cron":"*/6 * * * * *","concurrencyPolicy":"REPLACE",
                     "workload":{"name":"nap","command":["sleep","600"]}}""", 201);
            Thread.sleep(26_000);
            call("PATCH", "/api/v1/tenants/cron/cron-jobs/slow", "{\"suspended\":true}", 200);
            call("PATCH", "/api/v1/tenants/cron/cron-jobs/nap", "{\"suspended\":true}", 200);

            List<JsonNode> slow = runs("slow");
            List<JsonNode> started = slow.stream().filter(r -> r.get("outcome").asString().equals("STARTED")).toList();
            assertThat(slow).as("%s", slow).anyMatch(r -> r.get("outcome").asString().equals("SKIPPED"));
            assertThat(started).as("%s", slow).hasSizeGreaterThanOrEqualTo(2);
            List<JsonNode> slowRuns = new ArrayList<>();
            for (JsonNode r : started) {
                slowRuns.add(awaitEnd(r.get("workloadId").asString()));
            }
            // newest first: each run started after the one before it had ended
            for (int i = 0; i + 1 < slowRuns.size(); i++) {
                Instant laterStart = Instant.parse(slowRuns.get(i).get("startedAt").asString());
                Instant earlierEnd = Instant.parse(slowRuns.get(i + 1).get("finishedAt").asString());
                assertThat(laterStart).as("forbid: no overlap").isAfterOrEqualTo(earlierEnd);
            }

            List<JsonNode> nap = runs("nap").stream().filter(r -> r.get("outcome").asString().equals("STARTED")).toList();
            assertThat(nap).hasSizeGreaterThanOrEqualTo(2);
            for (JsonNode replaced : nap.subList(1, nap.size())) {
                assertThat(awaitEnd(replaced.get("workloadId").asString()).get("state").asString())
                        .as("replace: the earlier run is cancelled").isEqualTo("CANCELLED");
            }
            call("POST", "/api/v1/tenants/cron/workloads/" + nap.get(0).get("workloadId").asString() + "/cancel", null, 200);

            // the minute job: suspended 20 s past the last boundary it is to fire at
            Instant last = created.truncatedTo(ChronoUnit.MINUTES).plus(MINUTES, ChronoUnit.MINUTES);
            Thread.sleep(Math.max(0, Duration.between(Instant.now(), last.plusSeconds(20)).toMillis()));
            JsonNode suspended = json.readTree(call("PATCH", "/api/v1/tenants/cron/cron-jobs/tick", "{\"suspended\":true}", 200));
            assertThat(suspended.has("nextFiringAt") && !suspended.get("nextFiringAt").isNull()).isFalse();
            Instant suspendedAt = Instant.parse(suspended.get("updatedAt").asString());

            List<Instant> boundaries = new ArrayList<>();
            for (Instant t = created.truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES); !t.isAfter(suspendedAt);
                    t = t.plus(1, ChronoUnit.MINUTES)) {
                boundaries.add(t);
            }
            assertThat(boundaries).hasSizeGreaterThanOrEqualTo(MINUTES);
            List<JsonNode> ticks = runs("tick");
            assertThat(ticks.stream().map(r -> Instant.parse(r.get("scheduledFor").asString())).sorted().toList())
                    .as("one firing per minute: %s", ticks).containsExactlyElementsOf(boundaries);
            Set<String> nodes = new HashSet<>();
            for (JsonNode r : ticks) {
                assertThat(r.get("outcome").asString()).isEqualTo("STARTED");
                JsonNode w = awaitEnd(r.get("workloadId").asString());
                assertThat(w.get("state").asString()).isEqualTo("SUCCEEDED");
                assertThat(w.get("attempts").asInt()).isEqualTo(1);
                nodes.add(r.get("node").asString());
            }
            // none twice: the workloads the job made, counted in the database itself
            try (Connection db = postgres.getPostgresDatabase().getConnection();
                    ResultSet rs = db.createStatement().executeQuery(
                            "select count(*), count(distinct r.scheduled_for) from workload w join tenant t on t.id = w.tenant_id "
                                    + "left join cron_job_run r on r.workload_id = w.id where t.slug = 'cron' and w.name = 'tick'")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(boundaries.size());
                assertThat(rs.getInt(2)).isEqualTo(boundaries.size());
            }
            System.out.printf("cron: %d firings of the minute job, by %s; forbid %s; replace %d runs%n",
                    boundaries.size(), nodes, slow.stream().map(r -> r.get("outcome").asString()).toList(), nap.size());

            // the history and the audit say who did what
            JsonNode audit = json.readTree(call("GET", "/api/v1/audit?tenant=cron&size=100", null, 200));
            assertThat(audit.get("content").findValuesAsString("action"))
                    .contains("cronjob.create", "cronjob.suspend", "workload.cancel");
        }
    }

    private List<JsonNode> runs(String job) throws Exception {
        List<JsonNode> runs = new ArrayList<>();
        json.readTree(call("GET", "/api/v1/tenants/cron/cron-jobs/" + job + "/runs", null, 200)).forEach(runs::add);
        return runs;
    }

    private JsonNode awaitEnd(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            JsonNode w = json.readTree(call("GET", "/api/v1/tenants/cron/workloads/" + id, null, 200));
            if (!w.get("finishedAt").isNull() || System.nanoTime() > deadline) {
                return w;
            }
            Thread.sleep(250);
        }
    }

    private String token() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/tokens"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        ("admin:" + ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"it\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return json.readTree(r.body()).get("token").asString();
    }

    private String call(String method, String path, String body, int expected) throws Exception {
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
