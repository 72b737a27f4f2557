package dev.palisade.platform.db;

import com.zaxxer.hikari.HikariDataSource;
import dev.palisade.platform.config.PalisadeProperties;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/**
 * With no database configured, the platform runs its own PostgreSQL: a real server whose data
 * stays in {@code <palisade.data-dir>/postgres}, so a restart loses nothing. Being a DataSource
 * bean, it is up before Flyway and JPA need it, and it is stopped after the pool is closed.
 * Nobody reaches it without the password in {@code <palisade.data-dir>/postgres.password}
 * ({@link EmbeddedPostgresPassword}).
 */
@Configuration(proxyBeanMethods = false)
@Conditional(NoExternalDatabaseCondition.class)
class EmbeddedPostgresConfiguration {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresConfiguration.class);

    @Bean(destroyMethod = "close")
    DataDirectoryLock dataDirectoryLock(PalisadeProperties properties) throws IOException {
        Path dataDir = properties.dataDir().toAbsolutePath().normalize();
        Files.createDirectories(dataDir);
        return DataDirectoryLock.acquire(dataDir);
    }

    @Bean
    EmbeddedPostgresPassword embeddedPostgresPassword(PalisadeProperties properties, DataDirectoryLock lock)
            throws IOException {
        return EmbeddedPostgresPassword.of(properties.dataDir().toAbsolutePath().normalize());
    }

    /** Started after the lock is held and stopped before it is released. */
    @Bean(destroyMethod = "close")
    EmbeddedPostgres embeddedPostgres(PalisadeProperties properties, DataDirectoryLock lock,
            EmbeddedPostgresPassword password) throws IOException {
        return start(properties.dataDir().toAbsolutePath().normalize(), password);
    }

    /**
     * Starts the server on {@code <dataDir>/postgres}: a new one is made with password
     * authentication only; one made before (with {@code trust}) is closed to anyone without the
     * password before anything else uses it.
     */
    static EmbeddedPostgres start(Path dataDir, EmbeddedPostgresPassword password) throws IOException {
        return start(dataDir, "postgres", password, 0, Map.of());
    }

    /**
     * Starts a server on {@code <dataDir>/<name>} with the binaries beside it, on {@code port}
     * (0: any free one) with {@code serverConfig} over the library's defaults.
     */
    static EmbeddedPostgres start(Path dataDir, String name, EmbeddedPostgresPassword password, int port,
            Map<String, String> serverConfig) throws IOException {
        Path pgData = dataDir.resolve(name);
        LeftoverPostmaster.stop(pgData, Duration.ofSeconds(60));
        log.info("Starting embedded PostgreSQL with its data in {}", pgData);
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(pgData)
                // keep the data across restarts; initdb runs only when the directory is new
                .setCleanDataDirectory(false)
                // initdb's own options: scram-sha-256 on the socket and TCP alike, the superuser's password from the file
                .setLocaleConfig("auth", "scram-sha-256")
                .setLocaleConfig("pwfile", password.file().toString())
                .setConnectConfig("password", password.value())
                // unpack the binaries beside the data rather than in a shared /tmp folder
                .setOverrideWorkingDirectory(dataDir.resolve("pg-bin").toFile())
                .setPGStartupWait(Duration.ofSeconds(60))
                // stopped by this context's close (destroyMethod), after the dispatcher handed its
                // runs back: a JVM shutdown hook of its own stopped it meanwhile, so the hand-back
                // and the node's last write waited for a dead database (40 s, then gave up)
                .setRegisterShutdownHook(false);
        if (port > 0) {
            builder.setPort(port);
        }
        serverConfig.forEach(builder::setServerConfig);
        EmbeddedPostgres postgres = builder.start();
        try {
            password.enforce(postgres, pgData);
        } catch (IOException | RuntimeException e) {
            postgres.close();
            throw e;
        }
        return postgres;
    }

    @Bean
    DataSource dataSource(EmbeddedPostgres postgres, EmbeddedPostgresPassword password) {
        HikariDataSource ds = new HikariDataSource();
        ds.setJdbcUrl(postgres.getJdbcUrl("postgres", "postgres"));
        ds.setUsername("postgres");
        ds.setPassword(password.value());
        ds.setMaximumPoolSize(10);
        ds.setPoolName("palisade-embedded");
        return ds;
    }
}
