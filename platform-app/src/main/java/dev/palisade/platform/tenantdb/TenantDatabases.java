package dev.palisade.platform.tenantdb;

import dev.palisade.model.ConflictException;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.platform.secret.SecretVault;
import dev.palisade.platform.tenantdb.TenantDatabaseStore.Database;
import dev.palisade.sandbox.egress.EgressRules;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Tenants' databases on the {@link TenantServer}: made and dropped there with their rows here, the
 * connection string kept as a tenant secret, the size bound kept by {@link #checkSizes()}.
 *
 * <p>The administrator owns each database; the tenant's role (of the database's name) may connect,
 * owns its {@code public} schema, and has a connection limit of its own, so it can change neither
 * the database's settings nor its limits. A session may still override the defaults it is given
 * ({@code statement_timeout}, {@code default_transaction_read_only}): past its bound a database is
 * read-only for well-behaved programs, and a program that writes on regardless loses its login
 * once the database is {@link #HARD_MARGIN} over.
 */
@Component
public class TenantDatabases {

    private static final Logger log = LoggerFactory.getLogger(TenantDatabases.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** How far past its bound a read-only database may still grow before its role may no longer log in. */
    static final double HARD_MARGIN = 0.10;

    private final TenantServer server;
    private final DatabaseGates gates;
    private final TenantDatabaseStore store;
    private final SecretVault vault;
    private final AuditLog audit;
    private final TransactionTemplate tx;

    TenantDatabases(TenantServer server, DatabaseGates gates, TenantDatabaseStore store, SecretVault vault,
            AuditLog audit, TransactionTemplate tx) {
        this.server = server;
        this.gates = gates;
        this.store = store;
        this.vault = vault;
        this.audit = audit;
        this.tx = tx;
    }

    /** What a tenant asks for; checked by the caller. */
    public record Request(String name, String secretName, long sizeBytes, int connectionLimit, long statementTimeoutMs) {
    }

    /**
     * Makes the database and its role, and stores its connection string as the tenant secret
     * {@code secretName}. Past the storage quota an {@link dev.palisade.model.workload.AdmissionException};
     * a name or secret taken, or a server that refuses, a {@link ConflictException}.
     */
    public Database create(Tenant tenant, Request r, int maxPerTenant, String actor) {
        Database d = tx.execute(status -> {
            if (store.find(tenant.getId(), r.name()).isPresent()) {
                throw new ConflictException("database " + r.name() + " exists already");
            }
            if (store.count(tenant.getId()) >= maxPerTenant) {
                throw new ConflictException("a tenant keeps at most " + maxPerTenant + " databases");
            }
            if (vault.info(tenant.getId(), r.secretName()).isPresent()) {
                throw new ConflictException("secret " + r.secretName() + " exists already: name another secret for this "
                        + "database's connection string (secretName)");
            }
            return store.create(tenant.getId(), tenant.getSlug(), r.name(), r.secretName(), r.sizeBytes(),
                    r.connectionLimit(), r.statementTimeoutMs(), actor);
        });
        String password = password();
        try {
            make(d, password);
        } catch (SQLException | RuntimeException e) {
            String why = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            log.warn("Tenant database {} could not be made: {}", d.dbName(), why);
            dropQuietly(d);
            tx.executeWithoutResult(status -> store.delete(d, tenant.getSlug(), "platform"));
            throw new ConflictException("database " + r.name() + " could not be made: " + why);
        }
        TenantServer.Endpoint at = gates.endpoint(tenant.getId());
        String url = "postgresql://" + d.dbName() + ":" + password + "@" + at.host() + ":" + at.port() + "/" + d.dbName();
        try {
            tx.executeWithoutResult(status -> vault.set(tenant.getId(), tenant.getSlug(), r.secretName(),
                    url.getBytes(StandardCharsets.UTF_8), actor));
        } catch (RuntimeException e) {
            dropQuietly(d);
            tx.executeWithoutResult(status -> store.delete(d, tenant.getSlug(), "platform"));
            throw e;
        }
        return d;
    }

    /** 32 random bytes, URL-safe: it goes into a URL as it is. */
    private static String password() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String ident(String dbName) {
        if (!dbName.matches("t\\d+_[a-z][a-z0-9_-]*")) {
            throw new IllegalArgumentException("not a tenant database name: " + dbName);
        }
        return "\"" + dbName + "\"";
    }

    private void make(Database d, String password) throws SQLException {
        String id = ident(d.dbName());
        try (Connection c = server.admin(); Statement s = c.createStatement()) {
            s.execute("create role " + id + " login password '" + password + "' connection limit " + d.connectionLimit());
            s.execute("create database " + id + " connection limit " + d.connectionLimit());
            s.execute("revoke all on database " + id + " from public");
            s.execute("grant connect, temporary on database " + id + " to " + id);
            s.execute("alter database " + id + " set statement_timeout = " + d.statementTimeoutMs());
        }
        try (Connection c = server.admin(d.dbName()); Statement s = c.createStatement()) {
            s.execute("grant usage, create on schema public to " + id);
        }
    }

    /** Drops the database (ending its sessions) and its role on the server, then its row and its secret. */
    public void delete(Tenant tenant, Database d, String actor) {
        List<String> users = vault.servicesUsing(tenant.getId(), d.secretName());
        if (!users.isEmpty()) {
            throw new ConflictException("database " + d.name() + " is given (secret " + d.secretName() + ") to running "
                    + "services: " + String.join(", ", users) + "; stop or redeploy them without it first");
        }
        try {
            drop(d);
        } catch (SQLException e) {
            throw new ConflictException("database " + d.name() + " could not be dropped: " + e.getMessage());
        }
        tx.executeWithoutResult(status -> {
            store.delete(d, tenant.getSlug(), actor);
            vault.delete(tenant.getId(), tenant.getSlug(), d.secretName(), actor);
        });
    }

    private void drop(Database d) throws SQLException {
        String id = ident(d.dbName());
        try (Connection c = server.admin(); Statement s = c.createStatement()) {
            s.execute("drop database if exists " + id + " with (force)");
            s.execute("drop role if exists " + id);
        }
    }

    private void dropQuietly(Database d) {
        try {
            drop(d);
        } catch (SQLException | RuntimeException e) {
            log.warn("Tenant database {} not dropped after a failed creation: {}", d.dbName(), e.getMessage());
        }
    }

    /**
     * Compares every database's size with its bound: past it, the database becomes read-only (its
     * default) and its sessions end, the tenant is told (webhook event {@code database.read_only},
     * audit {@code database.read_only}); past it by {@link #HARD_MARGIN} its role may no longer log
     * in; back under it (a larger bound), writable again. Returns how many databases changed. Nothing
     * while this node does not run the embedded server.
     */
    public int checkSizes() {
        List<Database> all = store.all();
        // the embedded server is checked by the node that runs it
        if (all.isEmpty() || !server.running()) {
            return 0;
        }
        Map<String, Long> sizes = new HashMap<>();
        try (Connection c = server.admin();
                PreparedStatement q = c.prepareStatement(
                        "select datname, pg_database_size(oid) from pg_database where datname = any (?)")) {
            q.setArray(1, c.createArrayOf("text", all.stream().map(Database::dbName).toArray()));
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    sizes.put(rs.getString(1), rs.getLong(2));
                }
            }
            int changed = 0;
            for (Database d : all) {
                Long used = sizes.get(d.dbName());
                if (used == null) {
                    continue;
                }
                boolean over = used > d.sizeBytes();
                boolean locked = used > d.sizeBytes() * (1 + HARD_MARGIN);
                enforce(c, d, over, locked);
                if (over != d.readOnly()) {
                    changed++;
                    String action = over ? "database.read_only" : "database.writable";
                    tx.executeWithoutResult(status -> {
                        store.checked(d.id(), used, over);
                        audit.record("platform", d.tenantId(), store.slug(d.tenantId()), action, "database:" + d.name(),
                                Map.of("usedBytes", used, "sizeBytes", d.sizeBytes()));
                    });
                    log.info("Tenant database {} uses {} of its {} bytes: {}", d.dbName(), used, d.sizeBytes(),
                            over ? "read-only" : "writable again");
                } else {
                    store.checked(d.id(), used, over);
                }
            }
            return changed;
        } catch (SQLException e) {
            log.warn("Tenant database sizes not checked: {}", e.getMessage());
            return 0;
        }
    }

    /**
     * Drops the databases and roles of tenants that were deleted, and closes their gates (a
     * tenant's rows go with it, its databases on the server and its gate stay until this runs).
     * Only names of this platform's making ({@code t<id>_<name>}, a database and its role) whose
     * tenant id no longer exists are touched.
     * Returns how many were dropped; nothing while this node does not run the embedded server.
     */
    public int sweepDeletedTenants() {
        if (!server.running()) {
            return 0;
        }
        List<Long> tenants = store.tenantIds();
        gates.closeAllBut(tenants);
        int dropped = 0;
        try (Connection c = server.admin(); Statement s = c.createStatement()) {
            List<String> names = new java.util.ArrayList<>();
            try (ResultSet rs = s.executeQuery("select d.datname from pg_database d join pg_roles r on r.rolname = d.datname "
                    + "where d.datname ~ '^t[0-9]+_[a-z]'")) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
            for (String name : names) {
                long tenant = Long.parseLong(name.substring(1, name.indexOf('_')));
                if (!tenants.contains(tenant)) {
                    s.execute("drop database if exists " + ident(name) + " with (force)");
                    s.execute("drop role if exists " + ident(name));
                    log.info("Dropped tenant database {}: its tenant was deleted", name);
                    dropped++;
                }
            }
        } catch (SQLException e) {
            log.warn("Databases of deleted tenants not swept: {}", e.getMessage());
        }
        return dropped;
    }

    /** Sets the database's read-only default and its role's login to what its size calls for; idempotent. */
    private void enforce(Connection c, Database d, boolean readOnly, boolean locked) throws SQLException {
        String id = ident(d.dbName());
        try (Statement s = c.createStatement()) {
            s.execute("alter role " + id + (locked ? " nologin" : " login"));
            if (readOnly) {
                s.execute("alter database " + id + " set default_transaction_read_only = on");
            } else {
                s.execute("alter database " + id + " reset default_transaction_read_only");
            }
            if (readOnly && !d.readOnly() || locked) {
                // sessions opened before keep their settings: they end, and come back read-only
                s.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = '" + d.dbName() + "'");
            }
        }
    }

    public List<Database> list(long tenantId) {
        return store.list(tenantId);
    }

    public Optional<Database> find(long tenantId, String name) {
        return store.find(tenantId, name);
    }

    /**
     * What a sandbox of the tenant may reach of the node for its databases: its tenant's gate to the
     * tenant database server, when the tenant has a database there.
     */
    public List<EgressRules.Destination> sandboxServices(long tenantId) {
        if (!store.any(tenantId)) {
            return List.of();
        }
        return gates.sandboxDestination(tenantId).map(List::of).orElse(List.of());
    }
}
