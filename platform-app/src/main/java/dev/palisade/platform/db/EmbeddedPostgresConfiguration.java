package dev.palisade.platform.db;

import com.zaxxer.hikari.HikariDataSource;
import dev.palisade.platform.config.PalisadeProperties;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    /** Started after the lock is held and stopped before it is released. */
    @Bean(destroyMethod = "close")
    EmbeddedPostgres embeddedPostgres(PalisadeProperties properties, DataDirectoryLock lock) throws IOException {
        Path dataDir = properties.dataDir().toAbsolutePath().normalize();
        Path pgData = dataDir.resolve("postgres");
        LeftoverPostmaster.stop(pgData, Duration.ofSeconds(60));
        log.info("Starting embedded PostgreSQL with its data in {}", pgData);
        return EmbeddedPostgres.builder()
                .setDataDirectory(pgData)
                // keep the data across restarts; initdb runs only when the directory is new
                .setCleanDataDirectory(false)
                // unpack the binaries beside the data rather than in a shared /tmp folder
                .setOverrideWorkingDirectory(dataDir.resolve("pg-bin").toFile())
                .setPGStartupWait(Duration.ofSeconds(60))
                // stopped by this context's close (destroyMethod), after the dispatcher handed its
                // runs back: a JVM shutdown hook of its own stopped it meanwhile, so the hand-back
                // and the node's last write waited for a dead database (40 s, then gave up)
                .setRegisterShutdownHook(false)
                .start();
    }

    @Bean
    DataSource dataSource(EmbeddedPostgres postgres) {
        HikariDataSource ds = new HikariDataSource();
        ds.setJdbcUrl(postgres.getJdbcUrl("postgres", "postgres"));
        ds.setUsername("postgres");
        ds.setMaximumPoolSize(10);
        ds.setPoolName("palisade-embedded");
        return ds;
    }
}
