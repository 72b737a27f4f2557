package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.platform.secret.SealedColumns;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;

/**
 * Secrets given to a service and a job in the real sandbox: as an environment variable and as
 * a file under /run/secrets, read through the real ingress; the value appears in no API answer,
 * console or portal page, log line, audit detail or database column; rotating the key keeps it
 * readable; changing it redeploys the service that uses it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class ServiceSecretsTests extends ServiceTestSupport {

    @Autowired
    SealedColumns sealedElsewhere;


    /** Answers with the variable DB_PASSWORD and the file /run/secrets/api-key, as the program sees them. */
    static final String SHOW_SECRETS = """
            import http.server, os, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    try:
                        f = open('/run/secrets/api-key').read()
                    except OSError as e:
                        f = 'no file: %s' % e
                    out = ('env=%s\\nfile=%s\\n' % (os.environ.get('DB_PASSWORD'), f)).encode()
                    self.send_response(200)
                    self.send_header('Content-Length', str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                def log_message(self, *a):
                    pass
            print('listening', flush=True)
            http.server.HTTPServer(('127.0.0.1', 8000), H).serve_forever()
            """;

    @Value("${palisade.data-dir}")
    Path dataDir;

    @BeforeEach
    void tenantWithAnAdmin() throws Exception {
        newTenantWithAdmin();
    }

    private String putSecret(String token, String name, String value, int expected) throws Exception {
        return mvc.perform(as(token, put("/api/v1/tenants/" + tenant + "/secrets/" + name),
                        "{\"value\":" + json(value) + "}"))
                .andExpect(status().is(expected)).andReturn().getResponse().getContentAsString();
    }

    private String body(String token, MockHttpServletRequestBuilder request) throws Exception {
        return mvc.perform(as(token, request)).andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
    }

    /** A request to the tenant's service {@code vault} through the ingress. */
    private HttpResponse<String> request(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .header("Host", ServiceTestSupport.host(tenant, "vault")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String awaitBody(String path, String contains) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String last = null;
        while (System.nanoTime() < end) {
            HttpResponse<String> r = request(path);
            last = r.statusCode() + " " + r.body();
            if (r.statusCode() == 200 && r.body().contains(contains)) {
                return r.body();
            }
            Thread.sleep(100);
        }
        throw new AssertionError(path + " never answered with the expected body; last: " + last);
    }



    @Test
    void aSecretReachesTheServiceAsVariableAndFileAndNowhereElse(CapturedOutput output) throws Exception {
        String dbPassword = "db-" + UUID.randomUUID();
        String apiKey = "key-" + UUID.randomUUID();
        String created = putSecret(owner, "db-password", dbPassword, 201);
        assertThat((Integer) JsonPath.read(created, "$.version")).isEqualTo(1);
        putSecret(owner, "api-key", apiKey, 201);
        // a member may list them, but neither set nor delete them
        String member = userToken(admin, tenant, unique("dev"), "TENANT_MEMBER");
        putSecret(member, "db-password", "nope", 403);
        mvc.perform(as(member, delete("/api/v1/tenants/" + tenant + "/secrets/db-password"))).andExpect(status().isForbidden());
        // another tenant neither sees nor sets them
        String other = createTenant(admin);
        String stranger = userToken(admin, other, unique("x"), "TENANT_ADMIN");
        mvc.perform(as(stranger, get("/api/v1/tenants/" + tenant + "/secrets"))).andExpect(status().isNotFound());
        mvc.perform(as(stranger, put("/api/v1/tenants/" + tenant + "/secrets/db-password"), "{\"value\":\"x\"}"))
                .andExpect(status().isNotFound());
        // and cannot give a workload of its own a secret of this tenant
        mvc.perform(as(stranger, post("/api/v1/tenants/" + other + "/services"),
                        "{\"name\":\"thief\",\"port\":8000,\"command\":[\"true\"],\"secrets\":[{\"name\":\"db-password\"}]}"))
                .andExpect(status().isBadRequest());

        String deployed = deploy(owner, tenant, """
                {"name":"vault","port":8000,"command":["python3","-c",%s],
                 "secrets":[{"name":"db-password","env":"DB_PASSWORD"},{"name":"api-key"}]}""".formatted(json(SHOW_SECRETS)));
        String workload = JsonPath.read(deployed, "$.workloadId");
        awaitService(owner, tenant, "vault", statusIs("HEALTHY"));
        String seen = request("/").body();
        assertThat(seen).isEqualTo("env=" + dbPassword + "\nfile=" + apiKey + "\n");

        // the file is read-only to the program, and only its tenant's uid owns it on the host
        Path dir = secretDirOf(workload);
        assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(PosixFilePermissions.fromString("r-x------"));
        assertThat(Files.getPosixFilePermissions(dir.resolve("api-key"))).isEqualTo(PosixFilePermissions.fromString("r--------"));

        // everything the platform shows of the tenant, the service and the workload
        List<String> shown = new ArrayList<>();
        shown.add(created);
        shown.add(body(owner, get("/api/v1/tenants/" + tenant + "/secrets")));
        shown.add(body(owner, get("/api/v1/tenants/" + tenant + "/secrets/api-key")));
        shown.add(body(owner, get("/api/v1/tenants/" + tenant + "/services/vault")));
        shown.add(body(owner, get("/api/v1/tenants/" + tenant + "/services")));
        shown.add(body(owner, get("/api/v1/tenants/" + tenant + "/services/vault/deployments")));
        shown.add(body(owner, get("/api/v1/tenants/" + tenant + "/workloads/" + workload)));
        shown.add(body(owner, get("/api/v1/tenants/" + tenant + "/workloads")));
        shown.add(body(owner, get("/api/v1/tenants/" + tenant + "/workloads/" + workload + "/logs")));
        shown.add(body(admin, get("/api/v1/audit").param("tenant", tenant).param("size", "100")));
        MockHttpSession console = login("admin", ADMIN_PASSWORD);
        shown.add(page(console, "/admin/workloads/" + workload));
        shown.add(page(console, "/admin/workloads"));
        shown.add(page(console, "/admin/audit"));
        MockHttpSession portal = login(ownerName + "@" + tenant, PASSWORD);
        shown.add(page(portal, "/portal/workloads/" + workload));
        shown.add(page(portal, "/portal/secrets"));
        List<String> audit = jdbc.queryForList("select coalesce(target, '') || ' ' || coalesce(details::text, '') from audit_event "
                + "where tenant_slug = ?", String.class, tenant);
        shown.addAll(audit);
        for (String s : shown) {
            assertThat(s).doesNotContain(dbPassword).doesNotContain(apiKey);
        }
        assertThat(output.getAll()).doesNotContain(dbPassword).doesNotContain(apiKey);
        // the service shows which secrets it is given, by name
        assertThat(shown.get(3)).contains("\"name\":\"db-password\"").contains("\"env\":\"DB_PASSWORD\"");
        // each read by the platform is audited, with the workload
        assertThat(audit).contains("secret:db-password {\"workload\": \"" + workload + "\"}",
                "secret:api-key {\"workload\": \"" + workload + "\"}");

        // at rest: sealed bytes, not the value
        for (String name : List.of("db-password", "api-key")) {
            byte[] sealed = jdbc.queryForObject("select sealed from tenant_secret t join tenant n on n.id = t.tenant_id "
                    + "where n.slug = ? and t.name = ?", byte[].class, tenant, name);
            String asText = new String(sealed, StandardCharsets.ISO_8859_1);
            assertThat(sealed.length).isGreaterThan(28);
            assertThat(asText).doesNotContain(dbPassword).doesNotContain(apiKey);
        }
        // the key file is the owner's only
        assertThat(Files.getPosixFilePermissions(dataDir.resolve("secret-keys")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));

        // a deleted secret in use is refused, naming the service
        String refused = mvc.perform(as(owner, delete("/api/v1/tenants/" + tenant + "/secrets/api-key")))
                .andExpect(status().isConflict()).andReturn().getResponse().getContentAsString();
        assertThat(refused).contains("vault");

        // changing a secret redeploys the service that uses it, which then sees the new value
        String newPassword = "db2-" + UUID.randomUUID();
        String changed = putSecret(owner, "db-password", newPassword, 200);
        assertThat((Integer) JsonPath.read(changed, "$.version")).isEqualTo(2);
        assertThat((List<String>) JsonPath.read(changed, "$.restarted")).containsExactly("vault");
        assertThat(awaitBody("/", newPassword)).isEqualTo("env=" + newPassword + "\nfile=" + apiKey + "\n");
        assertThat(output.getAll()).doesNotContain(newPassword);
    }

    @Test
    void rotatingTheKeyReSealsEverySecretAndKeepsItReadable() throws Exception {
        String value = "rot-" + UUID.randomUUID();
        putSecret(owner, "token", value, 201);
        String before = jdbc.queryForObject("select key_id from tenant_secret t join tenant n on n.id = t.tenant_id "
                + "where n.slug = ? and t.name = 'token'", String.class, tenant);
        byte[] sealedBefore = jdbc.queryForObject("select sealed from tenant_secret t join tenant n on n.id = t.tenant_id "
                + "where n.slug = ? and t.name = 'token'", byte[].class, tenant);
        // only a platform admin rotates
        mvc.perform(as(owner, post("/api/v1/secret-keys/rotate"))).andExpect(status().isForbidden());
        String rotated = body(admin, post("/api/v1/secret-keys/rotate"));
        String keyId = JsonPath.read(rotated, "$.keyId");
        assertThat(keyId).isNotEqualTo(before);
        assertThat((Integer) JsonPath.read(rotated, "$.resealed")).isGreaterThanOrEqualTo(1);
        assertThat(jdbc.queryForObject("select count(*) from tenant_secret where key_id <> ?", Integer.class, keyId)).isZero();
        assertThat(jdbc.queryForObject("select sealed from tenant_secret t join tenant n on n.id = t.tenant_id "
                + "where n.slug = ? and t.name = 'token'", byte[].class, tenant)).isNotEqualTo(sealedBefore);
        // the old key is gone from the key file once no value sealed elsewhere still needs it (other test
        // classes leave TOTP secrets and certificate keys sealed with keys of their own contexts in this
        // shared database), and the value still opens: a job gets it
        int stillOlder = sealedElsewhere.sealedWithOlderKeys();
        if (stillOlder == 0) {
            assertThat(Files.readAllLines(dataDir.resolve("secret-keys"))).hasSize(1);
        } else {
            assertThat(Files.readAllLines(dataDir.resolve("secret-keys"))).as("kept for %d sealed values", stillOlder)
                    .hasSizeGreaterThan(1);
        }
        String job = mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/workloads"), """
                        {"name":"uses-secret","command":["/bin/sh","-c","printf %s \\"$TOKEN\\" | sha256sum; sha256sum < /run/secrets/token"],
                         "secrets":[{"name":"token","env":"TOKEN"},{"name":"token"}]}"""))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        String id = JsonPath.read(job, "$.id");
        String log = awaitJobLog(id);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        assertThat(log.lines().filter(l -> l.startsWith(sha)).count()).as(log).isEqualTo(2);
        assertThat(log).doesNotContain(value);
        // and the run's secret files are gone once it ended
        assertThat(secretDirOf(id)).doesNotExist();
    }

    @Test
    void aWorkloadCannotAskForASecretTheTenantHasNotOrAMalformedOne() throws Exception {
        for (String refs : List.of("[{\"name\":\"missing\"}]", "[{\"name\":\"../etc\"}]", "[{\"name\":\"a\",\"env\":\"1X\"}]")) {
            mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/workloads"),
                            "{\"command\":[\"true\"],\"secrets\":" + refs + "}"))
                    .andExpect(status().isBadRequest());
        }
        putSecret(owner, "..", "x", 400);
        putSecret(owner, "big", "x".repeat(40_000), 413);
    }

    private String awaitJobLog(String id) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end) {
            String w = body(owner, get("/api/v1/tenants/" + tenant + "/workloads/" + id));
            String state = JsonPath.read(w, "$.state");
            if (!state.equals("QUEUED") && !state.equals("RUNNING")) {
                assertThat(state).as(w).isEqualTo("SUCCEEDED");
                return body(owner, get("/api/v1/tenants/" + tenant + "/workloads/" + id + "/logs"));
            }
            Thread.sleep(100);
        }
        throw new AssertionError("job " + id + " did not end");
    }

    private Path secretDirOf(String workload) throws Exception {
        try (var dirs = Files.list(Path.of("/dev/shm/palisade-secrets"))) {
            for (Path d : dirs.toList()) {
                if (Files.exists(d.resolve(workload))) {
                    return d.resolve(workload);
                }
            }
        }
        return Path.of("/dev/shm/palisade-secrets/none", workload);
    }
}
