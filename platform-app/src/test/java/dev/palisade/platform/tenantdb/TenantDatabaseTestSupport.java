package dev.palisade.platform.tenantdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.jayway.jsonpath.JsonPath;
import dev.palisade.platform.api.ApiTestSupport;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.http.MediaType;

/**
 * What tenant database tests share: a tenant with an admin, databases made through the API and
 * dropped after each test, jobs on the ptrace platform, and the connection string as a job given
 * the secret sees it.
 */
abstract class TenantDatabaseTestSupport extends ApiTestSupport {

    String admin;
    String tenant;
    String tenantAdmin;
    final List<String[]> made = new ArrayList<>();

    @BeforeEach
    void aTenantWithAnAdmin() throws Exception {
        admin = adminToken();
        tenant = createTenant(admin);
        tenantAdmin = userToken(admin, tenant, unique("ops"), "TENANT_ADMIN");
    }

    /** Leaves no database behind in the shared test database's rows (another context would start a server for it). */
    @AfterEach
    void dropWhatWasMade() throws Exception {
        for (String[] m : made) {
            mvc.perform(as(admin, delete("/api/v1/tenants/" + m[0] + "/databases/" + m[1])));
        }
    }

    String create(String token, String slug, String json) throws Exception {
        String body = mvc.perform(as(token, post("/api/v1/tenants/" + slug + "/databases"), json))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        made.add(new String[] {slug, JsonPath.read(body, "$.name")});
        return body;
    }

    /** Runs a Python job on the ptrace platform and returns its log; {@code extra}: more of its spec's JSON. */
    String job(String token, String slug, String script, String extra, String... args) throws Exception {
        assumeTrue(new PtracePlatform().unavailableReason().isEmpty(), "a job runs on the ptrace platform");
        StringBuilder command = new StringBuilder("[\"python3\",\"-c\",\"")
                .append(JsonStringEncoder.getInstance().quoteAsString(script)).append('"');
        for (String a : args) {
            command.append(",\"").append(a).append('"');
        }
        String json = "{\"name\":\"db\",\"platform\":\"ptrace\",\"command\":" + command + "]" + extra + "}";
        String body = mvc.perform(as(token, post("/api/v1/tenants/" + slug + "/workloads"), json))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        String id = JsonPath.read(body, "$.id");
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            String w = mvc.perform(as(token, get("/api/v1/tenants/" + slug + "/workloads/" + id)))
                    .andReturn().getResponse().getContentAsString();
            String state = JsonPath.read(w, "$.state");
            if (!state.equals("QUEUED") && !state.equals("RUNNING")) {
                assertThat(state).as(w).isEqualTo("SUCCEEDED");
                return mvc.perform(as(token, get("/api/v1/tenants/" + slug + "/workloads/" + id + "/logs")))
                        .andReturn().getResponse().getContentAsString();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("workload " + id + " did not end");
    }

    /** The connection string as a workload given the secret sees it (the only way a value comes out). */
    Url databaseUrl(String token, String slug, String secret) throws Exception {
        String log = job(token, slug, "import os; print('URL=' + os.environ['DB'])",
                ",\"secrets\":[{\"name\":\"" + secret + "\",\"env\":\"DB\"}]");
        String line = log.lines().filter(l -> l.contains("URL=")).findFirst().orElseThrow();
        return Url.parse(line.substring(line.indexOf("URL=") + 4).strip());
    }

    /** A {@code postgresql://user:password@host:port/database} URL. */
    record Url(String user, String password, String host, int port, String database) {
        static Url parse(String text) {
            URI u = URI.create(text);
            assertThat(u.getScheme()).isEqualTo("postgresql");
            String[] userInfo = u.getUserInfo().split(":", 2);
            return new Url(userInfo[0], userInfo[1], u.getHost(), u.getPort(), u.getPath().substring(1));
        }

        Connection connect() throws SQLException {
            return as(user, password, database);
        }

        Connection as(String user, String password, String database) throws SQLException {
            return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + database, user, password);
        }
    }

    /** A custom-format archive of the database through the API, checked as one. */
    byte[] dump(String token, String slug, String name) throws Exception {
        byte[] archive = mvc.perform(as(token, get("/api/v1/tenants/" + slug + "/databases/" + name + "/dump")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsByteArray();
        assertThat(new String(archive, 0, 5, StandardCharsets.US_ASCII)).isEqualTo("PGDMP");
        return archive;
    }

    /** Restores {@code archive} into the database through the API, which reads it whole. */
    void restore(String token, String slug, String name, byte[] archive) throws Exception {
        mvc.perform(as(token, put("/api/v1/tenants/" + slug + "/databases/" + name + "/dump"))
                        .contentType(MediaType.APPLICATION_OCTET_STREAM).content(archive))
                .andExpect(status().isOk()).andExpect(jsonPath("$.bytes").value(archive.length));
    }

    static int rows(Url url) throws SQLException {
        try (Connection c = url.connect(); Statement s = c.createStatement()) {
            var rs = s.executeQuery("select count(*) from note");
            rs.next();
            return rs.getInt(1);
        }
    }
}
