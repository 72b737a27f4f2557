package dev.palisade.platform.tenantdb;

import dev.palisade.platform.config.PalisadeProperties;
import dev.palisade.platform.db.EmbeddedCluster;
import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.egress.EgressNetwork;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.postgresql.Driver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.springframework.util.StringUtils;

/**
 * The PostgreSQL server that holds tenants' databases. Embedded (the default): a second cluster in
 * {@code <data dir>/tenant-postgres}, started when the first database is made (or at start when
 * databases exist) and stopped with the platform; it listens on loopback only, sandboxes reach it
 * through their tenant's gate on the node's service address ({@link DatabaseGates}), and its
 * {@code pg_hba.conf}, written at every start, admits the superuser from loopback only and any
 * other role only to the database of its own name, always with scram-sha-256. External:
 * {@code palisade.tenant-databases.url}, as a role allowed to create roles and databases; its own
 * {@code pg_hba.conf} is the operator's.
 */
@Component
public class TenantServer {

    static final String CLUSTER = "tenant-postgres";
    private static final Logger log = LoggerFactory.getLogger(TenantServer.class);

    private final TenantDatabaseProperties properties;
    private final Path dataDir;
    private EmbeddedCluster cluster;
    private boolean serviceAddress;

    TenantServer(TenantDatabaseProperties properties, PalisadeProperties palisade) {
        this.properties = properties;
        this.dataDir = palisade.dataDir().toAbsolutePath().normalize();
    }

    /** Where tenants' programs reach a database: the host and port of its {@code DATABASE_URL}. */
    public record Endpoint(String host, int port) {
    }

    /** Starts the embedded cluster if it does not run yet (nothing for an external server). */
    public synchronized void start() {
        if (properties.external() || cluster != null) {
            return;
        }
        try {
            int port = keptPort();
            Map<String, String> config = new LinkedHashMap<>();
            try {
                EgressNetwork.ensureServiceAddress();
                serviceAddress = true;
            } catch (SandboxException e) {
                log.warn("Tenant databases are reachable from this node only, not from sandboxes: {}", e.getMessage());
            }
            // sandboxes come in through their tenant's gate on the service address, never straight here
            config.put("listen_addresses", "127.0.0.1");
            // tenants' rows are kept as any database keeps them (the library's default is off)
            config.put("synchronous_commit", "on");
            config.put("password_encryption", "scram-sha-256");
            cluster = EmbeddedCluster.start(dataDir, CLUSTER, port, config);
            writeHba(cluster.pgData());
            try (Connection c = admin(); Statement s = c.createStatement()) {
                s.execute("select pg_reload_conf()");
                // tenant roles reach their own database only (pg_hba says so too)
                s.execute("revoke connect on database postgres from public");
                s.execute("revoke connect on database template1 from public");
            }
            log.info("Tenant database server (embedded) on port {}{}", port,
                    serviceAddress ? ", reached by sandboxes through their tenant's gate on " + EgressNetwork.serviceAddress() : "");
        } catch (IOException e) {
            throw new UncheckedIOException("the tenant database server could not start: " + e.getMessage(), e);
        } catch (SQLException e) {
            throw new IllegalStateException("the tenant database server could not be set up: " + e.getMessage(), e);
        }
    }

    /**
     * At start: the node that made the embedded cluster (its data directory exists) starts it
     * again now, not at first use, so that its tenants' programs reach their databases at once. A
     * failure is logged, not fatal: the platform serves everything else, and the next use retries.
     */
    @EventListener(ApplicationReadyEvent.class)
    void startIfMade() {
        if (!made()) {
            return;
        }
        try {
            start();
        } catch (RuntimeException e) {
            log.error("The tenant database server did not start: {}", e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
        }
    }

    /** The embedded cluster's port: configured, or chosen once and kept, since connection strings name it. */
    private int keptPort() throws IOException {
        if (properties.port() > 0) {
            return properties.port();
        }
        Path file = dataDir.resolve(CLUSTER + ".port");
        if (Files.isRegularFile(file)) {
            return Integer.parseInt(Files.readString(file, StandardCharsets.US_ASCII).trim());
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.createDirectories(dataDir);
        Files.writeString(file, port + "\n", StandardCharsets.US_ASCII);
        return port;
    }

    private static void writeHba(Path pgData) throws IOException {
        Files.writeString(pgData.resolve("pg_hba.conf"), String.join("\n",
                "# Written by Palisade at every start of the tenant database server: edits are lost.",
                "# The superuser from this node only; every other role only to the database of its own name.",
                "local   all       postgres                 scram-sha-256",
                "host    all       postgres  127.0.0.1/32   scram-sha-256",
                "host    all       postgres  all            reject",
                "host    sameuser  all       127.0.0.1/32   scram-sha-256",
                "# a restore's throw-away member of a database's role, from this node",
                "host    samerole  all       127.0.0.1/32   scram-sha-256",
                ""), StandardCharsets.UTF_8);
    }

    /** A connection as the server's administrator, on its {@code postgres} database; the caller closes it. */
    public Connection admin() throws SQLException {
        return admin(properties.external() ? Driver.parseURL(properties.url(), null).getProperty("PGDBNAME") : "postgres");
    }

    /** A connection as the administrator on {@code database}; the caller closes it. */
    public Connection admin(String database) throws SQLException {
        start();
        return connect(database, adminUser(), adminPassword());
    }

    /** A connection to {@code database} as {@code user}, from this node. */
    public Connection connect(String database, String user, String password) throws SQLException {
        start();
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("connectTimeout", "10");
        return DriverManager.getConnection(jdbcUrl(database), p);
    }

    /** The JDBC URL of {@code database} as this node reaches it. */
    public String jdbcUrl(String database) {
        if (properties.external()) {
            Properties p = Driver.parseURL(properties.url(), null);
            return "jdbc:postgresql://" + p.getProperty("PGHOST") + ":" + p.getProperty("PGPORT") + "/" + database;
        }
        return "jdbc:postgresql://127.0.0.1:" + cluster.port() + "/" + database;
    }

    private String adminUser() {
        return properties.external() ? properties.username() : "postgres";
    }

    private String adminPassword() {
        return properties.external() ? properties.password() : cluster.password();
    }

    /** How this node logs in as someone: for client tools ({@code pg_dump}), which take no JDBC URL. */
    public record Login(String host, int port, String user, String password) {
    }

    /** The administrator's login as this node reaches the server. */
    public Login adminLogin() {
        start();
        Properties p = Driver.parseURL(jdbcUrl("postgres"), null);
        return new Login(p.getProperty("PGHOST"), Integer.parseInt(p.getProperty("PGPORT")), adminUser(), adminPassword());
    }

    /** Where tenants' programs reach their databases when there are no gates ({@link #sandboxAddress()} empty). */
    public Endpoint endpoint() {
        start();
        if (properties.external()) {
            Properties p = Driver.parseURL(properties.url(), null);
            String host = StringUtils.hasText(properties.host()) ? properties.host() : p.getProperty("PGHOST");
            return new Endpoint(host, Integer.parseInt(p.getProperty("PGPORT")));
        }
        return new Endpoint("127.0.0.1", cluster.port());
    }

    /**
     * The address on which this node opens tenants' gates to the embedded server ({@link
     * DatabaseGates}); empty for an external server (a platform admin allowlists its address for
     * the tenant) or when the node has no service address.
     */
    public Optional<String> sandboxAddress() {
        if (properties.external()) {
            return Optional.empty();
        }
        start();
        return serviceAddress ? Optional.of(EgressNetwork.serviceAddress()) : Optional.empty();
    }

    /** The embedded cluster's port on loopback, where the gates connect. */
    synchronized int localPort() {
        start();
        return cluster.port();
    }

    /** Whether this node made the embedded cluster (its data directory exists). */
    boolean made() {
        return !properties.external() && Files.isDirectory(dataDir.resolve(CLUSTER));
    }

    /** Whether the embedded cluster runs now (an external server always counts as running). */
    public synchronized boolean running() {
        return properties.external() || cluster != null;
    }

    @PreDestroy
    synchronized void stop() throws IOException {
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }
}
