package dev.palisade.platform.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded PostgreSQL's superuser password: random, made once, kept in
 * {@code <palisade.data-dir>/postgres.password} readable by the platform's account only (0600).
 * A data directory made before the password existed trusted every local connection; at its next
 * start the password is set and every {@code trust} line of {@code pg_hba.conf} becomes
 * {@code scram-sha-256}.
 */
record EmbeddedPostgresPassword(Path file, String value) {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresPassword.class);
    private static final Pattern TRUST = Pattern.compile("^(\\s*(?:local|host\\w*)\\s.*?)\\btrust\\b(.*)$");

    /** The password of the data directory, made now if it has none. */
    static EmbeddedPostgresPassword of(Path dataDir) throws IOException {
        return of(dataDir, "postgres.password");
    }

    /** The password kept in {@code <dataDir>/<fileName>}, made now if there is none. */
    static EmbeddedPostgresPassword of(Path dataDir, String fileName) throws IOException {
        Path file = dataDir.resolve(fileName);
        if (!Files.exists(file)) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            String made = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            Path partial = Files.createTempFile(dataDir, fileName, ".new",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(partial, made + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
            Files.move(partial, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        // whoever made it, it stays readable by this account only
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return new EmbeddedPostgresPassword(file, Files.readString(file, StandardCharsets.UTF_8).trim());
    }

    /**
     * After the server started: a {@code pg_hba.conf} with {@code trust} lines (a data directory
     * of an older version) gets the password set and those lines changed, and the server reloads
     * them before anything else connects through the platform.
     */
    void enforce(EmbeddedPostgres postgres, Path pgData) throws IOException {
        Path hba = pgData.resolve("pg_hba.conf");
        List<String> lines = Files.readAllLines(hba, StandardCharsets.UTF_8);
        List<String> closed = lines.stream().map(l -> TRUST.matcher(l).replaceAll("$1scram-sha-256$2")).toList();
        if (closed.equals(lines)) {
            return;
        }
        log.warn("The embedded PostgreSQL in {} trusted every local connection: setting its password and "
                + "requiring it (scram-sha-256)", pgData);
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("set password_encryption = 'scram-sha-256'");
            s.execute("alter role postgres password '" + value.replace("'", "''") + "'");
            Files.writeString(hba, closed.stream().collect(Collectors.joining("\n", "", "\n")), StandardCharsets.UTF_8);
            s.execute("select pg_reload_conf()");
        } catch (SQLException e) {
            throw new IOException("could not set the embedded PostgreSQL's password", e);
        }
    }
}
