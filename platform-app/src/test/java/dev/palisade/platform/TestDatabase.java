package dev.palisade.platform;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One real PostgreSQL for the whole test JVM, shared by every Spring test context; it goes
 * away with the JVM. Tests set spring.datasource.url to it, as an operator with an external
 * database would.
 */
public final class TestDatabase {

    private static EmbeddedPostgres postgres;

    private TestDatabase() {
    }

    public static synchronized String url() {
        if (postgres == null) {
            try {
                postgres = EmbeddedPostgres.builder().start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return postgres.getJdbcUrl("postgres", "postgres");
    }

    /**
     * A database of its own on the same server, made on first use: for tests whose workloads no
     * other test context's worker may claim (every context that runs a worker polls {@link #url()}).
     */
    public static synchronized String own(String name) {
        url();
        try (var c = postgres.getPostgresDatabase().getConnection(); var s = c.createStatement();
                var exists = s.executeQuery("select 1 from pg_database where datname = '" + name + "'")) {
            if (!exists.next()) {
                s.execute("create database " + name);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("could not create database " + name, e);
        }
        return postgres.getJdbcUrl("postgres", name);
    }
}
