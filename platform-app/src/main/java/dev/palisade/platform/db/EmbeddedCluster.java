package dev.palisade.platform.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A further PostgreSQL server the platform runs besides its own, with the same binaries and the
 * same care: data in {@code <dataDir>/<name>} kept across restarts, its superuser's password in
 * {@code <dataDir>/<name>.password} (0600), a lock {@code <dataDir>/<name>.lock} held while it
 * runs so that a server left by a killed platform is known to be a leftover and stopped.
 */
public final class EmbeddedCluster implements AutoCloseable {

    private final DataDirectoryLock lock;
    private final EmbeddedPostgresPassword password;
    private final EmbeddedPostgres postgres;
    private final Path pgData;

    private EmbeddedCluster(DataDirectoryLock lock, EmbeddedPostgresPassword password, EmbeddedPostgres postgres,
            Path pgData) {
        this.lock = lock;
        this.password = password;
        this.postgres = postgres;
        this.pgData = pgData;
    }

    /** Starts the cluster {@code name} on {@code port} (0: any free one) with {@code serverConfig}. */
    public static EmbeddedCluster start(Path dataDir, String name, int port, Map<String, String> serverConfig)
            throws IOException {
        Path dir = dataDir.toAbsolutePath().normalize();
        Files.createDirectories(dir);
        DataDirectoryLock lock = DataDirectoryLock.acquire(dir, name + ".lock");
        try {
            EmbeddedPostgresPassword password = EmbeddedPostgresPassword.of(dir, name + ".password");
            EmbeddedPostgres postgres = EmbeddedPostgresConfiguration.start(dir, name, password, port, serverConfig);
            return new EmbeddedCluster(lock, password, postgres, dir.resolve(name));
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    public EmbeddedPostgres postgres() {
        return postgres;
    }

    /** The superuser ({@code postgres}) password. */
    public String password() {
        return password.value();
    }

    /** Its data directory ({@code pg_hba.conf} is there). */
    public Path pgData() {
        return pgData;
    }

    public int port() {
        return postgres.getPort();
    }

    @Override
    public void close() throws IOException {
        try {
            postgres.close();
        } finally {
            lock.close();
        }
    }
}
