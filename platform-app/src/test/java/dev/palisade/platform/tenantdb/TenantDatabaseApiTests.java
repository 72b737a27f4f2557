package dev.palisade.platform.tenantdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Tenant databases through the API, on the real second PostgreSQL cluster the platform starts: a
 * tenant admin creates one, a job is given its {@code DATABASE_URL} secret as any secret, and with
 * those credentials rows are written; another tenant's role cannot get into it; past its size bound
 * the periodic check turns it read-only, ends its sessions and tells the tenant, and a program that
 * writes on regardless loses its login; deleting it drops it with its role and secret.
 */
@DirtiesContext // the context's tenant database server stops with it
class TenantDatabaseApiTests extends TenantDatabaseTestSupport {

    @DynamicPropertySource
    static void workDir(DynamicPropertyRegistry registry) throws Exception {
        Path dir = Files.createTempDirectory("palisade-tenantdb-tests");
        registry.add("palisade.data-dir", dir::toString);
    }

    @Autowired
    TenantDatabases databases;

    @Test
    void aTenantAdminCreatesADatabaseWhoseSecretUrlWritesRowsThatNoOtherTenantReaches() throws Exception {
        String member = userToken(admin, tenant, unique("dev"), "TENANT_MEMBER");
        mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/databases"), "{\"name\":\"main\"}"))
                .andExpect(status().isForbidden());
        mvc.perform(as(tenantAdmin, post("/api/v1/tenants/" + tenant + "/databases"), "{\"name\":\"Main-DB\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                .andExpect(jsonPath("$.errors[0].field").value("name"));
        mvc.perform(as(tenantAdmin, post("/api/v1/tenants/" + tenant + "/databases"), "{\"name\":\"main\",\"sizeBytes\":1}"))
                .andExpect(status().isBadRequest()).andExpect(jsonPath("$.errors[0].field").value("sizeBytes"));

        String body = create(tenantAdmin, tenant, "{\"name\":\"main\",\"connectionLimit\":5,\"statementTimeoutMs\":5000}");
        assertThat((String) JsonPath.read(body, "$.state")).isEqualTo("WRITABLE");
        assertThat((String) JsonPath.read(body, "$.secretName")).isEqualTo("DATABASE_URL");
        mvc.perform(as(tenantAdmin, post("/api/v1/tenants/" + tenant + "/databases"), "{\"name\":\"main\"}"))
                .andExpect(status().isConflict()).andExpect(content().contentTypeCompatibleWith("application/problem+json"));
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/databases")))
                .andExpect(status().isOk()).andExpect(jsonPath("$[0].name").value("main"))
                .andExpect(jsonPath("$[0].connectionLimit").value(5));
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/secrets")))
                .andExpect(jsonPath("$[0].name").value("DATABASE_URL"));
        assertThat(jdbc.queryForObject("select count(*) from audit_event where action = 'database.create' and tenant_slug = ?",
                Integer.class, tenant)).isEqualTo(1);

        Url url = databaseUrl(member, tenant, "DATABASE_URL");
        try (Connection c = url.connect(); Statement s = c.createStatement()) {
            s.execute("create table note (id serial primary key, body text)");
            s.execute("insert into note (body) values ('one'), ('two'), ('three')");
            var rs = s.executeQuery("select count(*), current_setting('statement_timeout') from note");
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(3);
            assertThat(rs.getString(2)).isEqualTo("5s");
            // the role owns its tables, not the database: its settings and limits are not its to change
            assertThatThrownBy(() -> s.execute("alter database " + url.database() + " connection limit 100"))
                    .hasMessageContaining("must be owner");
            assertThatThrownBy(() -> s.execute("alter role " + url.user() + " connection limit 100"))
                    .isInstanceOf(SQLException.class);
        }
        // nowhere else on the server: not the administrator's database
        assertThatThrownBy(() -> url.as(url.user(), url.password(), "postgres").close()).isInstanceOf(SQLException.class);

        // another tenant with a database of its own: its role cannot get into this one, even knowing the address
        String other = createTenant(admin);
        String otherAdmin = userToken(admin, other, unique("ops"), "TENANT_ADMIN");
        create(otherAdmin, other, "{\"name\":\"main\"}");
        Url theirs = databaseUrl(otherAdmin, other, "DATABASE_URL");
        assertThat(theirs.database()).isNotEqualTo(url.database());
        // not through this tenant's gate, which admits this tenant's roles only
        assertThatThrownBy(() -> url.as(theirs.user(), theirs.password(), url.database()).close())
                .isInstanceOf(SQLException.class).hasMessageContaining("may not log in at this address");
        // nor through its own, where the server admits a role to the database of its name only
        assertThatThrownBy(() -> theirs.as(theirs.user(), theirs.password(), url.database()).close())
                .isInstanceOf(SQLException.class).hasMessageContaining("no pg_hba.conf entry");
        assertThatThrownBy(() -> url.as(url.user(), theirs.password(), url.database()).close())
                .isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed");
        // and the other tenant sees none of it through the API
        mvc.perform(as(otherAdmin, get("/api/v1/tenants/" + tenant + "/databases"))).andExpect(status().isNotFound());
        // a deleted tenant's database goes with the next sweep, and only its own
        try (Connection c = theirs.connect()) {
            assertThat(c.isValid(5)).isTrue();
        }
        mvc.perform(as(admin, delete("/api/v1/tenants/" + other))).andExpect(status().isNoContent());
        made.removeIf(m -> m[0].equals(other));
        assertThat(databases.sweepDeletedTenants()).isEqualTo(1);
        assertThatThrownBy(() -> theirs.connect().close()).isInstanceOf(SQLException.class);
        if (!theirs.host().equals("127.0.0.1")) {
            // and its gate is closed: nothing listens at its address any more
            assertThatThrownBy(() -> new java.net.Socket(theirs.host(), theirs.port()).close())
                    .isInstanceOf(java.net.ConnectException.class);
        }
        try (Connection c = url.connect()) {
            assertThat(c.isValid(5)).isTrue();
        }

        // deleted: its data, role and secret go with it
        mvc.perform(as(tenantAdmin, delete("/api/v1/tenants/" + tenant + "/databases/main")))
                .andExpect(status().isNoContent());
        made.removeIf(m -> m[0].equals(tenant));
        assertThatThrownBy(() -> url.connect().close()).isInstanceOf(SQLException.class);
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/secrets"))).andExpect(jsonPath("$.length()").value(0));
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/databases/main"))).andExpect(status().isNotFound());
    }

    /** Adds rows of about 1.3 kB, 250 at a time, until the database is larger than {@code bytes}; its size then. */
    private static long growPast(Connection c, long bytes) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("create table if not exists blob (id int, body text)");
            while (true) {
                var rs = s.executeQuery("select pg_database_size(current_database())");
                rs.next();
                long size = rs.getLong(1);
                if (size > bytes) {
                    return size;
                }
                s.execute("insert into blob select g, repeat(md5(g::text), 40) from generate_series(1, 250) g");
            }
        }
    }

    @Test
    void pastItsSizeBoundADatabaseTurnsReadOnlyAndItsTenantIsTold() throws Exception {
        long bound = 16L << 20;
        create(tenantAdmin, tenant, "{\"name\":\"small\",\"sizeBytes\":" + bound + ",\"secretName\":\"SMALL_DB\"}");
        Url url = databaseUrl(tenantAdmin, tenant, "SMALL_DB");
        Connection open = url.connect();
        growPast(open, bound / 2);
        assertThat(databases.checkSizes()).as("under its bound").isZero();
        growPast(open, bound);
        assertThat(databases.checkSizes()).isEqualTo(1);

        String body = mvc.perform(as(tenantAdmin, get("/api/v1/tenants/" + tenant + "/databases/small")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        assertThat((String) JsonPath.read(body, "$.state")).isEqualTo("READ_ONLY");
        assertThat(((Number) JsonPath.read(body, "$.usedBytes")).longValue()).isGreaterThan(bound);
        // the session open before was ended; a new one reads but cannot write
        assertThatThrownBy(() -> open.createStatement().executeQuery("select 1")).isInstanceOf(SQLException.class);
        try (Connection c = url.connect(); Statement s = c.createStatement()) {
            var rs = s.executeQuery("select count(*) > 0 from blob");
            rs.next();
            assertThat(rs.getBoolean(1)).isTrue();
            assertThatThrownBy(() -> s.execute("insert into blob values (0, 'more')"))
                    .hasMessageContaining("read-only transaction");
        }
        assertThat(jdbc.queryForObject("select count(*) from audit_event where action = 'database.read_only' and tenant_slug = ?",
                Integer.class, tenant)).isEqualTo(1);
        assertThat(databases.checkSizes()).as("nothing changes while it stays over").isZero();

        // a program that overrides the read-only default and writes on loses its login past the margin
        try (Connection c = url.connect(); Statement s = c.createStatement()) {
            s.execute("set default_transaction_read_only = off");
            growPast(c, (long) (bound * (1 + TenantDatabases.HARD_MARGIN)));
        }
        databases.checkSizes();
        assertThatThrownBy(() -> url.connect().close()).isInstanceOf(SQLException.class)
                .hasMessageContaining("not permitted to log in");
    }

    /**
     * Writes rows with psycopg through the URL in {@code DB} (prints "rows N" or "failed ..."), then
     * knocks on each host:port of its arguments (prints "host:port ok" or "host:port refused errno").
     */
    private static final String CLIENT = """
            import os, socket, sys
            try:
                import psycopg
                with psycopg.connect(os.environ['DB'], connect_timeout=5) as c:
                    c.execute("create table if not exists note (body text)")
                    c.execute("insert into note values ('a'), ('b'), ('c')")
                    print('rows', c.execute('select count(*) from note').fetchone()[0], flush=True)
            except Exception as e:
                print('failed', type(e).__name__, str(e).replace('\\n', ' '), flush=True)
            for t in sys.argv[1:]:
                a, p = t.rsplit(':', 1)
                try:
                    socket.create_connection((a, int(p)), 3).close()
                    print(t, 'ok', flush=True)
                except OSError as e:
                    print(t, 'refused', e.errno, flush=True)
            """;

    @Test
    void onlyTheTenantsOwnSandboxesReachItsDatabase() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/nft")), "egress needs nftables");
        create(tenantAdmin, tenant, "{\"name\":\"app\"}");
        Url url = databaseUrl(tenantAdmin, tenant, "DATABASE_URL");
        assumeTrue(url.host().startsWith("10."), "the node has no service address for sandboxes (not root?)");
        String server = url.host() + ":" + url.port();
        String otherPort = url.host() + ":" + (url.port() == 1 ? 2 : 1);

        // the tenant's job with the egress policy and the secret writes rows; nothing else of the node opens
        String own = job(tenantAdmin, tenant, CLIENT, ",\"network\":\"egress\",\"secrets\":[{\"name\":\"DATABASE_URL\","
                + "\"env\":\"DB\"}]", server, otherPort);
        assertThat(own).contains("rows 3", server + " ok", otherPort + " refused");
        // without the egress policy there is no interface at all
        String none = job(tenantAdmin, tenant, CLIENT, ",\"secrets\":[{\"name\":\"DATABASE_URL\",\"env\":\"DB\"}]",
                server);
        assertThat(none).contains("failed", server + " refused");

        // another tenant's sandbox, even knowing the whole URL, reaches neither the database nor its server
        String other = createTenant(admin);
        String otherAdmin = userToken(admin, other, unique("ops"), "TENANT_ADMIN");
        String stolen = job(otherAdmin, other, CLIENT, ",\"network\":\"egress\",\"env\":{\"DB\":\""
                + "postgresql://" + url.user() + ":" + url.password() + "@" + server + "/" + url.database() + "\"}", server);
        assertThat(stolen).contains("failed", server + " refused").doesNotContain("rows");
        String events = mvc.perform(as(admin, get("/api/v1/security-events?tenant=" + other)))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        assertThat(events).contains("tcp " + server + " (policy)");

        // with a database of its own, the other tenant gets a gate of its own: the first tenant's stays shut to it
        create(otherAdmin, other, "{\"name\":\"app\"}");
        Url theirUrl = databaseUrl(otherAdmin, other, "DATABASE_URL");
        String theirGate = theirUrl.host() + ":" + theirUrl.port();
        assertThat(theirUrl.port()).as("one gate per tenant").isNotEqualTo(url.port());
        String stolenAgain = job(otherAdmin, other, CLIENT, ",\"network\":\"egress\",\"env\":{\"DB\":\""
                + "postgresql://" + url.user() + ":" + url.password() + "@" + server + "/" + url.database() + "\"}",
                server, theirGate);
        assertThat(stolenAgain).contains("failed", server + " refused", theirGate + " ok").doesNotContain("rows");

        // and its own gate admits only its own roles: the stolen credentials through it are refused and recorded
        String through = job(otherAdmin, other, CLIENT, ",\"network\":\"egress\",\"env\":{\"DB\":\""
                + "postgresql://" + url.user() + ":" + url.password() + "@" + theirGate + "/" + url.database() + "\"}");
        assertThat(through).contains("failed", "may not log in at this address").doesNotContain("rows");
        String recorded = "";
        for (long end = System.nanoTime() + Duration.ofSeconds(5).toNanos(); // the gate records off its event loop
                !recorded.contains("database_refused") && System.nanoTime() < end; Thread.sleep(50)) {
            recorded = mvc.perform(as(admin, get("/api/v1/security-events?tenant=" + other)))
                    .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        }
        assertThat(recorded).contains("database_refused", "login as role '" + url.user() + "'");
        assertThat(recorded.split(java.util.regex.Pattern.quote("tcp " + server + " (policy)"), -1).length - 1)
                .as("both knocks on the first tenant's gate recorded: " + recorded).isGreaterThanOrEqualTo(2);
        try (Connection c = theirUrl.connect(); Statement s = c.createStatement()) {
            s.execute("select 1");
        }
        assertThatThrownBy(() -> theirUrl.as(url.user(), url.password(), url.database()).close())
                .as("the test's own connection through the wrong gate").isInstanceOf(SQLException.class)
                .hasMessageContaining("may not log in at this address");
        try (Connection c = url.connect(); Statement s = c.createStatement()) {
            var rs = s.executeQuery("select count(*) from note");
            rs.next();
            assertThat(rs.getInt(1)).as("only the tenant's own job wrote").isEqualTo(3);
        }
    }

    @Test
    void aDatabaseIsBackedUpAndRestoredThroughTheApiOrTheRefusalSaysExactlyWhy() throws Exception {
        create(tenantAdmin, tenant, "{\"name\":\"kept\",\"secretName\":\"KEPT_DB\"}");
        Url url = databaseUrl(tenantAdmin, tenant, "KEPT_DB");
        int serverMajor;
        try (Connection c = url.connect(); Statement s = c.createStatement()) {
            s.execute("create table note (body text)");
            s.execute("insert into note values ('a'), ('b'), ('c')");
            var rs = s.executeQuery("show server_version_num");
            rs.next();
            serverMajor = Integer.parseInt(rs.getString(1)) / 10000;
        }
        String member = userToken(admin, tenant, unique("dev"), "TENANT_MEMBER");
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/databases/kept/dump"))).andExpect(status().isForbidden());

        // what pg_restore cannot read is refused and loses nothing
        mvc.perform(as(tenantAdmin, put("/api/v1/tenants/" + tenant + "/databases/kept/dump"))
                        .contentType(MediaType.APPLICATION_OCTET_STREAM).content("not an archive".getBytes()))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                .andExpect(jsonPath("$.errors[0].message").value(org.hamcrest.Matchers.containsString("pg_restore")));
        assertThat(rows(url)).isEqualTo(3);
        assertThat(jdbc.queryForObject("select count(*) from pg_roles where rolname like 'restore_%'", Integer.class))
                .as("checked on the platform's database: nothing there").isZero();

        var pgDump = DatabaseDumps.find("pg_dump");
        if (pgDump.isEmpty() || pgDump.get().major() < serverMajor) {
            // the embedded binaries have no pg_dump, and an older one refuses the server: said as it is
            mvc.perform(as(tenantAdmin, get("/api/v1/tenants/" + tenant + "/databases/kept/dump")))
                    .andExpect(status().isConflict())
                    .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                    .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.allOf(
                            org.hamcrest.Matchers.containsString("PostgreSQL " + serverMajor),
                            org.hamcrest.Matchers.containsString("postgresql-client-" + serverMajor),
                            org.hamcrest.Matchers.containsString("only initdb, pg_ctl and postgres"))));
            return;
        }
        byte[] archive = dump(tenantAdmin, tenant, "kept");
        try (Connection c = url.connect(); Statement s = c.createStatement()) {
            s.execute("delete from note");
            s.execute("create table stray (x int)");
        }
        restore(tenantAdmin, tenant, "kept", archive);
        assertThat(rows(url)).isEqualTo(3);
        try (Connection c = url.connect(); Statement s = c.createStatement()) {
            var rs = s.executeQuery("select tableowner from pg_tables where tablename = 'note'");
            rs.next();
            assertThat(rs.getString(1)).as("restored as the database's own role").isEqualTo(url.user());
        }
    }

}
