package dev.palisade.platform.volume;

import dev.palisade.model.audit.AuditLog;
import dev.palisade.platform.storage.StorageRoom;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The volume and workload_volume tables. A volume's size counts against its tenant's storage
 * quota from its creation (a trigger adds it to tenant_usage), checked under the same lock as
 * admission and image uploads take.
 */
@Component
public class VolumeStore {

    /** A volume's name: a DNS label, as a service's. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    /** Workload states in which a volume is in use. */
    private static final String ACTIVE = "('QUEUED', 'RUNNING')";

    private final JdbcClient jdbc;
    private final AuditLog audit;
    private final StorageRoom room;

    VolumeStore(JdbcClient jdbc, AuditLog audit, StorageRoom room) {
        this.room = room;
        this.jdbc = jdbc;
        this.audit = audit;
    }

    /** A volume as stored: {@code home} null until a node takes it, {@code made} once its image exists there. */
    public record Volume(UUID id, long tenantId, String name, long sizeBytes, String home, boolean made, Instant createdAt,
            String createdBy) {
    }

    /** A workload's mount of a volume, with the volume. */
    public record Attached(Volume volume, String path, boolean readOnly) {
    }

    private static final String COLUMNS = "v.id, v.tenant_id, v.name, v.size_bytes, v.home, v.made, v.created_at, v.created_by";

    private static Volume volume(java.sql.ResultSet rs, int i) throws java.sql.SQLException {
        return new Volume(rs.getObject(1, UUID.class), rs.getLong(2), rs.getString(3), rs.getLong(4), rs.getString(5),
                rs.getBoolean(6), rs.getTimestamp(7).toInstant(), rs.getString(8));
    }

    /**
     * Stores a new volume, refused past the tenant's storage quota; in the caller's transaction.
     * {@code home}: the node that makes it, or null for the first node that mounts it.
     */
    public Volume create(long tenantId, String tenantSlug, String name, long sizeBytes, String home, String actor) {
        room.lock(tenantId);
        room.require(tenantId, sizeBytes, "volume");
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                insert into volume (id, tenant_id, name, size_bytes, home, created_by)
                values (:id, :tenant, :name, :size, :home, :actor)""")
                .param("id", id).param("tenant", tenantId).param("name", name).param("size", sizeBytes)
                .param("home", home, java.sql.Types.VARCHAR).param("actor", actor).update();
        audit.record(actor, tenantId, tenantSlug, "volume.create", "volume:" + name, Map.of("sizeBytes", sizeBytes));
        return find(tenantId, name).orElseThrow();
    }

    public List<Volume> list(long tenantId) {
        return jdbc.sql("select " + COLUMNS + " from volume v where v.tenant_id = :tenant order by v.name")
                .param("tenant", tenantId).query(VolumeStore::volume).list();
    }

    public int count(long tenantId) {
        return jdbc.sql("select count(*) from volume where tenant_id = :tenant").param("tenant", tenantId)
                .query(Integer.class).single();
    }

    public Optional<Volume> find(long tenantId, String name) {
        return jdbc.sql("select " + COLUMNS + " from volume v where v.tenant_id = :tenant and v.name = :name")
                .param("tenant", tenantId).param("name", name).query(VolumeStore::volume).optional();
    }

    /** Deletes the volume's row (its mounts' rows with it); in the caller's transaction. */
    public void delete(Volume v, String tenantSlug, String actor) {
        jdbc.sql("delete from volume where id = :id").param("id", v.id()).update();
        audit.record(actor, v.tenantId(), tenantSlug, "volume.delete", "volume:" + v.name(), Map.of("sizeBytes", v.sizeBytes()));
    }

    /** Gives the volume to a home if it has none yet; the home it has now. */
    public String claimHome(UUID id, String home) {
        jdbc.sql("update volume set home = :home where id = :id and home is null").param("home", home).param("id", id).update();
        return jdbc.sql("select home from volume where id = :id").param("id", id).query(String.class).single();
    }

    public boolean exists(UUID id) {
        return jdbc.sql("select count(*) from volume where id = :id").param("id", id).query(Long.class).single() > 0;
    }

    public boolean made(UUID id) {
        return jdbc.sql("select made from volume where id = :id").param("id", id).query(Boolean.class).optional()
                .orElse(false);
    }

    public void markMade(UUID id) {
        jdbc.sql("update volume set made = true where id = :id").param("id", id).update();
    }

    /** Records the volumes a workload mounts; in the submitting transaction. */
    public void attach(UUID workload, List<Attached> mounts) {
        for (Attached m : mounts) {
            jdbc.sql("insert into workload_volume (workload_id, volume_name, mount_path, read_only) values (:w, :v, :path, :ro)")
                    .param("w", workload).param("v", m.volume().name()).param("path", m.path()).param("ro", m.readOnly())
                    .update();
        }
    }

    /**
     * The volumes a workload mounts, with the volumes as they are now; a volume deleted since the
     * workload was submitted fails this, naming it.
     */
    public List<Attached> mounts(UUID workload) {
        record Row(VolumeMount ref, Volume volume) {
        }
        List<Row> rows = jdbc.sql("select " + COLUMNS + ", wv.mount_path, wv.read_only, wv.volume_name from workload_volume wv "
                        + "join workload w on w.id = wv.workload_id "
                        + "left join volume v on v.tenant_id = w.tenant_id and v.name = wv.volume_name "
                        + "where wv.workload_id = :w order by wv.mount_path")
                .param("w", workload)
                .query((rs, i) -> new Row(new VolumeMount(rs.getString(11), rs.getString(9), rs.getBoolean(10)),
                        rs.getObject(1) == null ? null : volume(rs, i))).list();
        return rows.stream().map(r -> {
            if (r.volume() == null) {
                throw new MissingVolumeException(r.ref().volume());
            }
            return new Attached(r.volume(), r.ref().path(), r.ref().readOnlyOrFalse());
        }).toList();
    }

    /** A workload mounts a volume its tenant no longer has. */
    public static final class MissingVolumeException extends dev.palisade.sandbox.SandboxException {
        MissingVolumeException(String name) {
            super("volume '" + name + "' does not exist (deleted after the workload was submitted?)");
        }
    }

    /** A workload's mounts as it asked for them (to show, whether or not the volumes still exist). */
    public List<VolumeMount> refs(UUID workload) {
        return jdbc.sql("select volume_name, mount_path, read_only from workload_volume where workload_id = :w order by mount_path")
                .param("w", workload)
                .query((rs, i) -> new VolumeMount(rs.getString(1), rs.getString(2), rs.getBoolean(3))).list();
    }

    /** What uses the volume now: services by name, jobs by their workload name; empty when nothing. */
    public List<String> users(Volume v) {
        return jdbc.sql("""
                select distinct coalesce('service ' || d.service_name, 'job ' || w.name || ' (' || w.id || ')')
                from workload_volume wv join workload w on w.id = wv.workload_id
                left join service_deployment d on d.workload_id = w.id
                where w.tenant_id = :tenant and wv.volume_name = :name and w.state in """ + ACTIVE + " order by 1")
                .param("tenant", v.tenantId()).param("name", v.name()).query(String.class).list();
    }

    /** Whether a node with this volume home is alive: heartbeating within {@code leaseSeconds}, not stopped. */
    public boolean homeAlive(String home, double leaseSeconds) {
        return jdbc.sql("""
                select count(*) from node where volume_home = :home and stopped_at is null
                and last_heartbeat > now() - make_interval(secs => :lease)""")
                .param("home", home).param("lease", leaseSeconds).query(Long.class).single() > 0;
    }
}
