package dev.palisade.platform.tenantdb;

import dev.palisade.model.audit.AuditLog;
import dev.palisade.platform.storage.StorageRoom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The tenant_database table. A database's size bound counts against its tenant's storage quota from
 * its creation (a trigger adds it to tenant_usage), checked under the lock admission takes; a
 * change of read_only is a webhook event (a trigger).
 */
@Component
public class TenantDatabaseStore {

    /** A database's name as its tenant knows it. */
    public static final Pattern NAME = Pattern.compile("[a-z]([a-z0-9_-]{0,38}[a-z0-9])?");

    private final JdbcClient jdbc;
    private final AuditLog audit;
    private final StorageRoom room;

    TenantDatabaseStore(JdbcClient jdbc, AuditLog audit, StorageRoom room) {
        this.jdbc = jdbc;
        this.audit = audit;
        this.room = room;
    }

    /**
     * A tenant's database as stored.
     *
     * @param dbName     its name on the server, which is also its role's
     * @param secretName the tenant secret holding its connection string
     */
    public record Database(UUID id, long tenantId, String name, String dbName, String secretName, long sizeBytes, int connectionLimit,
            long statementTimeoutMs, boolean readOnly, long usedBytes, Instant checkedAt, Instant createdAt,
            String createdBy) {
    }

    private static final String COLUMNS = "id, tenant_id, name, db_name, secret_name, size_bytes, connection_limit, statement_timeout_ms, "
            + "read_only, used_bytes, checked_at, created_at, created_by";

    private static Database row(ResultSet rs, int i) throws SQLException {
        java.sql.Timestamp checked = rs.getTimestamp(11);
        return new Database(rs.getObject(1, UUID.class), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getLong(6), rs.getInt(7), rs.getLong(8), rs.getBoolean(9), rs.getLong(10),
                checked == null ? null : checked.toInstant(), rs.getTimestamp(12).toInstant(), rs.getString(13));
    }

    /** The name on the server of a tenant's database {@code name}: unique, a plain identifier. */
    static String dbName(long tenantId, String name) {
        return "t" + tenantId + "_" + name;
    }

    /** Stores a new database, refused past the tenant's storage quota; in the caller's transaction. */
    public Database create(long tenantId, String tenantSlug, String name, String secretName, long sizeBytes,
            int connectionLimit, long statementTimeoutMs, String actor) {
        room.lock(tenantId);
        room.require(tenantId, sizeBytes, "database");
        jdbc.sql("""
                insert into tenant_database (id, tenant_id, name, db_name, secret_name, size_bytes, connection_limit,
                    statement_timeout_ms, created_by)
                values (:id, :tenant, :name, :db, :secret, :size, :limit, :timeout, :actor)""")
                .param("id", UUID.randomUUID()).param("tenant", tenantId).param("name", name)
                .param("db", dbName(tenantId, name)).param("secret", secretName).param("size", sizeBytes).param("limit", connectionLimit)
                .param("timeout", statementTimeoutMs).param("actor", actor).update();
        audit.record(actor, tenantId, tenantSlug, "database.create", "database:" + name, Map.of("sizeBytes", sizeBytes,
                "connectionLimit", connectionLimit, "statementTimeoutMs", statementTimeoutMs));
        return find(tenantId, name).orElseThrow();
    }

    public List<Database> list(long tenantId) {
        return jdbc.sql("select " + COLUMNS + " from tenant_database where tenant_id = :tenant order by name")
                .param("tenant", tenantId).query(TenantDatabaseStore::row).list();
    }

    /** Every tenant's databases (for the size check). */
    public List<Database> all() {
        return jdbc.sql("select " + COLUMNS + " from tenant_database order by db_name").query(TenantDatabaseStore::row).list();
    }

    public int count(long tenantId) {
        return jdbc.sql("select count(*) from tenant_database where tenant_id = :tenant").param("tenant", tenantId)
                .query(Integer.class).single();
    }

    public boolean any(long tenantId) {
        return jdbc.sql("select exists (select 1 from tenant_database where tenant_id = :tenant)").param("tenant", tenantId)
                .query(Boolean.class).single();
    }

    public Optional<Database> find(long tenantId, String name) {
        return jdbc.sql("select " + COLUMNS + " from tenant_database where tenant_id = :tenant and name = :name")
                .param("tenant", tenantId).param("name", name).query(TenantDatabaseStore::row).optional();
    }

    /** Every tenant's id (to tell which databases on the server belong to no tenant any more). */
    public List<Long> tenantIds() {
        return jdbc.sql("select id from tenant").query(Long.class).list();
    }

    public String slug(long tenantId) {
        return jdbc.sql("select slug from tenant where id = :tenant").param("tenant", tenantId).query(String.class).single();
    }

    /** Deletes the row; in the caller's transaction. */
    public void delete(Database d, String tenantSlug, String actor) {
        jdbc.sql("delete from tenant_database where id = :id").param("id", d.id()).update();
        audit.record(actor, d.tenantId(), tenantSlug, "database.delete", "database:" + d.name(), Map.of());
    }

    /** Records a size check; a change of {@code readOnly} becomes a webhook event (the trigger). */
    public void checked(UUID id, long usedBytes, boolean readOnly) {
        jdbc.sql("update tenant_database set used_bytes = :used, read_only = :ro, checked_at = now() where id = :id")
                .param("used", usedBytes).param("ro", readOnly).param("id", id).update();
    }
}
