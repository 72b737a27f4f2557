package dev.palisade.platform.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded PostgreSQL admits nobody without the platform's password: not a JDBC connection
 * without it, not another local account with psql; and a data directory made when it trusted
 * every local connection is closed in place at its next start, its data kept.
 */
class EmbeddedPostgresPasswordTests {

    @TempDir
    Path dataDir;

    @Test
    void aNewDataDirectoryAdmitsNobodyWithoutThePassword() throws Exception {
        EmbeddedPostgresPassword password = EmbeddedPostgresPassword.of(dataDir);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(password.file()))).isEqualTo("rw-------");
        assertThat(password.value()).hasSizeGreaterThanOrEqualTo(40);
        try (EmbeddedPostgres postgres = EmbeddedPostgresConfiguration.start(dataDir, password)) {
            assertNothingTrusted();
            assertClosedToOthers(postgres.getPort());
            try (Connection c = connect(postgres.getPort(), password.value())) {
                assertThat(c.isValid(5)).isTrue();
            }
        }
        // and the next start, on a server that already wants the password, comes up with it
        try (EmbeddedPostgres again = EmbeddedPostgresConfiguration.start(dataDir, EmbeddedPostgresPassword.of(dataDir))) {
            assertClosedToOthers(again.getPort());
        }
    }

    @Test
    void aDataDirectoryThatTrustedEveryLocalConnectionIsClosedAtItsNextStartWithItsDataKept() throws Exception {
        // made as the platform made it before: initdb -A trust, no password
        try (EmbeddedPostgres old = EmbeddedPostgres.builder().setDataDirectory(dataDir.resolve("postgres"))
                .setCleanDataDirectory(false).setOverrideWorkingDirectory(dataDir.resolve("pg-bin").toFile())
                .setRegisterShutdownHook(false).start()) {
            try (Connection c = connect(old.getPort(), null)) {
                c.createStatement().execute("create table kept (x int); insert into kept values (42)");
            }
            if (canRunAsNobody()) {
                assertThat(psqlAsNobody(old.getPort()).exit()).as("the hole this closes").isZero();
            }
        }
        EmbeddedPostgresPassword password = EmbeddedPostgresPassword.of(dataDir);
        try (EmbeddedPostgres postgres = EmbeddedPostgresConfiguration.start(dataDir, password)) {
            assertNothingTrusted();
            assertClosedToOthers(postgres.getPort());
            try (Connection c = connect(postgres.getPort(), password.value());
                    var rs = c.createStatement().executeQuery("select x from kept")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(42);
            }
        }
    }

    private void assertNothingTrusted() throws Exception {
        List<String> rules = Files.readAllLines(dataDir.resolve("postgres/pg_hba.conf"), StandardCharsets.UTF_8).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertThat(rules).isNotEmpty().noneMatch(l -> l.matches(".*\\btrust\\b.*"))
                .allMatch(l -> l.endsWith("scram-sha-256"));
    }

    private static void assertClosedToOthers(int port) throws Exception {
        assertThatThrownBy(() -> connect(port, null).close()).isInstanceOf(SQLException.class)
                .hasMessageContaining("password");
        assertThatThrownBy(() -> connect(port, "not-the-password").close()).isInstanceOf(SQLException.class)
                .hasMessageContaining("password authentication failed");
        if (canRunAsNobody()) {
            Psql nobody = psqlAsNobody(port);
            assertThat(nobody.exit()).as(nobody.output()).isNotZero();
            assertThat(nobody.output()).contains("password");
        }
    }

    private static Connection connect(int port, String password) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/postgres?user=postgres"
                + (password == null ? "" : "&password=" + password));
    }

    private record Psql(int exit, String output) {
    }

    private static boolean canRunAsNobody() {
        return "root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/sbin/runuser"))
                && Files.isExecutable(Path.of("/usr/bin/psql"));
    }

    /** Another local account asks the server for a superuser session, over TCP, never prompting for a password. */
    private static Psql psqlAsNobody(int port) throws Exception {
        Process p = new ProcessBuilder("/usr/sbin/runuser", "-u", "nobody", "--", "/usr/bin/psql", "-w", "-h",
                "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres", "-d", "postgres", "-c", "select 1")
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Psql(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
