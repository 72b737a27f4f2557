package dev.palisade.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * DevOps' view, end to end: the packaged jar started as a process with its embedded PostgreSQL,
 * driven over HTTP only; then stopped and started again on the same data directory.
 */
class RestApiIT {

    private static final String MEMBER_PASSWORD = "member-password-1234";
    private final HttpClient http = HttpClient.newHttpClient();
    private final JsonMapper json = new JsonMapper();
    private String base;

    @Test
    void devOpsManageTenantsOverTheApiAndARestartKeepsEverything(@TempDir Path dataDir) throws Exception {
        String adminPassword;
        String adminToken;
        String memberToken;
        String firstOutput;

        try (PalisadeProcess app = PalisadeProcess.start(dataDir, Map.of())) {
            base = app.baseUrl();
            firstOutput = app.output();
            // first start on a fresh machine: the generated admin password is printed, with where to log in
            Matcher printed = Pattern.compile("password: (\\S+)").matcher(firstOutput);
            assertThat(printed.find()).as("generated admin password printed:\n%s", firstOutput).isTrue();
            adminPassword = printed.group(1);
            assertThat(firstOutput).contains(base + "/login");

            adminToken = mint(basic("admin", adminPassword), "ops").get("token").asString();
            assertThat(adminToken).matches("pal_[a-z0-9]{8}_[A-Za-z0-9_-]{43}");

            assertThat(send("POST", "/api/v1/tenants", adminToken, "{\"slug\":\"acme\",\"displayName\":\"Acme\"}").statusCode())
                    .isEqualTo(201);
            assertThat(send("POST", "/api/v1/tenants", adminToken, "{\"slug\":\"globex\",\"displayName\":\"Globex\"}").statusCode())
                    .isEqualTo(201);
            HttpResponse<String> quota = send("PUT", "/api/v1/tenants/acme/quota", adminToken, """
                    {"maxConcurrentWorkloads":2,"maxCpuMillis":5000,"maxWallMillis":10000,"maxMemoryBytes":268435456,
                     "maxProcesses":16,"maxOutputBytes":65536,"cpuSecondsPerMonth":3600,"storageBytes":104857600}""");
            assertThat(quota.statusCode()).isEqualTo(200);

            assertThat(send("POST", "/api/v1/tenants/acme/users", adminToken,
                    "{\"username\":\"bob\",\"password\":\"" + MEMBER_PASSWORD + "\",\"role\":\"TENANT_MEMBER\"}").statusCode())
                    .isEqualTo(201);
            memberToken = mint(basic("bob@acme", MEMBER_PASSWORD), "laptop").get("token").asString();

            // the member sees its tenant's quota, cannot change it, and cannot see another tenant
            HttpResponse<String> ownQuota = send("GET", "/api/v1/tenants/acme/quota", memberToken, null);
            assertThat(ownQuota.statusCode()).isEqualTo(200);
            assertThat(json.readTree(ownQuota.body()).get("maxConcurrentWorkloads").asInt()).isEqualTo(2);
            assertThat(send("PUT", "/api/v1/tenants/acme/quota", memberToken, quota.body()).statusCode()).isEqualTo(403);
            HttpResponse<String> other = send("GET", "/api/v1/tenants/globex/quota", memberToken, null);
            assertThat(other.statusCode()).isEqualTo(404);
            assertThat(other.headers().firstValue("Content-Type")).hasValueSatisfying(
                    ct -> assertThat(ct).startsWith("application/problem+json"));

            // a revoked token stops at once
            JsonNode spare = mint("Bearer " + memberToken, "spare");
            assertThat(send("DELETE", "/api/v1/tokens/" + spare.get("id").asString(), memberToken, null).statusCode())
                    .isEqualTo(204);
            assertThat(send("GET", "/api/v1/tokens", spare.get("token").asString(), null).statusCode()).isEqualTo(401);

            JsonNode audit = json.readTree(send("GET", "/api/v1/audit?tenant=acme&size=50", adminToken, null).body());
            assertThat(audit.get("content").findValuesAsString("action"))
                    .contains("tenant.create", "quota.update", "user.create", "token.mint", "token.revoke");

            assertThat(send("GET", "/v3/api-docs", null, null).body()).contains("/api/v1/tenants/{tenant}/quota");

            // a body too large is refused with a problem, whether its length is declared or it comes chunked
            String huge = "{\"slug\":\"big\",\"displayName\":\"" + "x".repeat(200_000) + "\"}";
            HttpResponse<String> declared = send("POST", "/api/v1/tenants", adminToken, huge);
            HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/tenants"))
                    .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofInputStream(
                            () -> new java.io.ByteArrayInputStream(huge.getBytes(StandardCharsets.UTF_8))))
                    .build(), HttpResponse.BodyHandlers.ofString());
            for (HttpResponse<String> tooLarge : java.util.List.of(declared, chunked)) {
                assertThat(tooLarge.statusCode()).as(tooLarge.body()).isEqualTo(413);
                assertThat(tooLarge.headers().firstValue("Content-Type")).hasValueSatisfying(
                        ct -> assertThat(ct).startsWith("application/problem+json"));
            }
        }

        try (PalisadeProcess again = PalisadeProcess.start(dataDir, Map.of())) {
            base = again.baseUrl();
            String secondOutput = again.output();
            assertThat(secondOutput).as("no new admin on restart").doesNotContain("password:");

            JsonNode tenants = json.readTree(send("GET", "/api/v1/tenants?sort=slug", adminToken, null).body());
            assertThat(tenants.get("content").findValuesAsString("slug")).containsExactly("acme", "globex");
            assertThat(json.readTree(send("GET", "/api/v1/tenants/acme/quota", memberToken, null).body())
                    .get("maxProcesses").asInt()).isEqualTo(16);
            assertThat(mint(basic("admin", adminPassword), "after-restart").get("owner").asString()).isEqualTo("admin");

            for (String output : new String[] {firstOutput, again.output()}) {
                assertThat(output).doesNotContain(adminToken).doesNotContain(memberToken).doesNotContain(MEMBER_PASSWORD);
            }
        }
        assertThat(Files.isDirectory(dataDir.resolve("postgres"))).isTrue();
    }

    private JsonNode mint(String authorization, String name) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/tokens"))
                .header("Authorization", authorization).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return json.readTree(response.body());
    }

    private HttpResponse<String> send(String method, String path, String token, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
