package dev.palisade.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded PostgreSQL's data directory survives a hard kill and is never shared by two
 * instances; a normal stop hands running work back before the database stops and leaves nothing
 * mounted.
 */
class DataDirectoryIT {

    private static final String ADMIN_PASSWORD = "acceptance-admin-password";
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aSecondInstanceIsRefusedAndAHardKilledOneRestartsWithItsData(@TempDir Path dataDir) throws Exception {
        Map<String, String> env = Map.of("PALISADE_ADMIN_PASSWORD", ADMIN_PASSWORD);
        PalisadeProcess first = PalisadeProcess.start(dataDir, env);
        try {
            assertThat(createTenant(first, "survivor")).isEqualTo(201);

            assertThatThrownBy(() -> PalisadeProcess.start(dataDir, env).close())
                    .hasMessageContaining("is in use by another running Palisade");
            assertThat(get(first, "/api/v1/tenants/survivor")).isEqualTo(200);
        } finally {
            first.kill9();
        }

        PalisadeProcess again = PalisadeProcess.start(dataDir, env);
        try {
            assertThat(again.output()).contains("left running by an earlier Palisade");
            assertThat(get(again, "/api/v1/tenants/survivor")).isEqualTo(200);
            if (Host.runsAsRoot()) {
                running(again, "survivor", "{\"command\":[\"sleep\",\"600\"]}");
                assertThat(Host.mountsUnder(dataDir)).as("the running workload's workspace").isNotEmpty();
            }
        } finally {
            long t0 = System.nanoTime();
            again.close();
            // the database used to stop by a shutdown hook of its own, at the same time: the hand-back
            // then waited for it in vain (40 s) and the workspace stayed mounted
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
        }
        assertThat(again.output()).doesNotContain("Could not mark node");
        assertThat(Host.mountsUnder(dataDir)).as("mounts left by a normal stop").isEmpty();
    }

    /** Submits {@code spec} and waits until it runs. */
    private void running(PalisadeProcess app, String tenant, String spec) throws Exception {
        String body = http.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/api/v1/tenants/" + tenant + "/workloads"))
                .header("Authorization", "Bearer " + token(app)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(spec)).build(), HttpResponse.BodyHandlers.ofString()).body();
        String id = body.replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            String w = http.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/api/v1/tenants/" + tenant
                    + "/workloads/" + id)).header("Authorization", "Bearer " + token(app)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            if (w.contains("\"state\":\"RUNNING\"")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("workload " + id + " did not start: " + body);
    }

    private int createTenant(PalisadeProcess app, String slug) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/api/v1/tenants"))
                .header("Authorization", "Bearer " + token(app)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"slug\":\"" + slug + "\",\"displayName\":\"S\"}")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private int get(PalisadeProcess app, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + path))
                .header("Authorization", "Bearer " + token(app)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private String token(PalisadeProcess app) throws Exception {
        String basic = java.util.Base64.getEncoder().encodeToString(("admin:" + ADMIN_PASSWORD).getBytes());
        String body = http.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/api/v1/tokens"))
                .header("Authorization", "Basic " + basic).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"it\"}")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return body.replaceAll(".*\"token\":\"([^\"]+)\".*", "$1");
    }
}
