package dev.palisade.platform.tenantdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Tenant databases on an external server (the node's own Debian PostgreSQL, started by the test
 * as the {@code postgres} account in a directory of its own), and their backup and restore through
 * the API with that server's {@code pg_dump} and {@code pg_restore}: the round trip the embedded
 * server cannot show here, since no {@code pg_dump} of its version is packaged for this system.
 */
@DirtiesContext // the context is configured for this test's server only
class ExternalTenantServerTests extends TenantDatabaseTestSupport {

    static Server server;

    /** Before the context loads (its properties below are read then): without a packaged server the class skips. */
    @BeforeAll
    static void startServer() throws Exception {
        server = Server.start();
    }

    @DynamicPropertySource
    static void externalServer(DynamicPropertyRegistry registry) {
        registry.add("palisade.data-dir", () -> server.dir.resolve("platform").toString());
        registry.add("palisade.tenant-databases.url", () -> "jdbc:postgresql://127.0.0.1:" + server.port + "/postgres");
        registry.add("palisade.tenant-databases.username", () -> "postgres");
        registry.add("palisade.tenant-databases.password", () -> server.password);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void aDatabaseOnAnExternalServerIsDumpedAndRestoredThroughTheApi() throws Exception {
        create(tenantAdmin, tenant, "{\"name\":\"kept\",\"secretName\":\"KEPT_DB\"}");
        Url url = databaseUrl(tenantAdmin, tenant, "KEPT_DB");
        assertThat(url.port()).as("the external server's port").isEqualTo(server.port);
        try (Connection c = url.connect(); Statement s = c.createStatement()) {
            s.execute("create table note (body text)");
            s.execute("insert into note values ('a'), ('b'), ('c')");
        }

        byte[] archive = dump(tenantAdmin, tenant, "kept");

        try (Connection c = url.connect(); Statement s = c.createStatement()) {
            s.execute("delete from note");
            s.execute("insert into note values ('lost')");
        }
        restore(tenantAdmin, tenant, "kept", archive);
        try (Connection c = url.connect(); Statement s = c.createStatement()) {
            var rs = s.executeQuery("select string_agg(body, ',' order by body) from note");
            rs.next();
            assertThat(rs.getString(1)).as("the rows as they were dumped").isEqualTo("a,b,c");
            rs = s.executeQuery("select tableowner from pg_tables where tablename = 'note'");
            rs.next();
            assertThat(rs.getString(1)).as("restored as the database's own role").isEqualTo(url.user());
            rs = s.executeQuery("select count(*) from pg_roles where rolname like 'restore_%'");
            rs.next();
            assertThat(rs.getInt(1)).as("the restore's throw-away role is gone").isZero();
        }
    }

    /** The node's newest packaged PostgreSQL server, run as {@code postgres} on a free loopback port. */
    static final class Server {
        final Path dir;
        final int port;
        final String password;
        private final Path bin;

        private Server(Path dir, int port, String password, Path bin) {
            this.dir = dir;
            this.port = port;
            this.password = password;
            this.bin = bin;
        }

        static Server start() throws Exception {
            Path bin = newestServer();
            if (run("id", "-u", "postgres") != 0) {
                throw new TestAbortedException("no postgres account to run the packaged server as");
            }
            Path dir = Files.createTempDirectory("palisade-external-pg");
            Path data = dir.resolve("data");
            Path pwfile = dir.resolve("pw");
            String password = "external-" + System.nanoTime();
            Files.writeString(pwfile, password + "\n");
            if (run("chown", "-R", "postgres", dir.toString()) != 0) {
                throw new TestAbortedException("cannot give " + dir + " to the postgres account");
            }
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            check(run("runuser", "-u", "postgres", "--", bin.resolve("initdb").toString(), "-D", data.toString(), "-U",
                    "postgres", "--auth=scram-sha-256", "--pwfile=" + pwfile, "-E", "UTF8"), "initdb");
            check(run("runuser", "-u", "postgres", "--", bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w",
                    "-l", dir.resolve("log").toString(), "-o",
                    "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1", "start"), "pg_ctl start");
            return new Server(dir, port, password, bin);
        }

        void stop() throws Exception {
            run("runuser", "-u", "postgres", "--", bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(),
                    "-m", "immediate", "stop");
        }

        private static Path newestServer() throws IOException {
            List<Path> found = new ArrayList<>();
            Path root = Path.of("/usr/lib/postgresql");
            if (Files.isDirectory(root)) {
                try (Stream<Path> dirs = Files.list(root)) {
                    dirs.map(d -> d.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("postgres"))
                            && Files.isExecutable(b.resolve("pg_dump"))).forEach(found::add);
                }
            }
            return found.stream().max(Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString())))
                    .orElseThrow(() -> new TestAbortedException("no packaged PostgreSQL server (postgresql) here"));
        }

        private static void check(int status, String what) {
            if (status != 0) {
                throw new IllegalStateException(what + " of the external test server failed with status " + status);
            }
        }

        private static int run(String... command) throws Exception {
            Process p = new ProcessBuilder(command).inheritIO().start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        }
    }
}
