package dev.palisade.platform.storage;

import dev.palisade.model.workload.AdmissionException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** Whether a tenant's storage quota has room for more bytes, by the tenant_usage totals. */
@Component
public class StorageRoom {

    private final JdbcClient jdbc;

    StorageRoom(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Takes the tenant's usage lock (admission's) until the caller's transaction ends. */
    public void lock(long tenantId) {
        jdbc.sql("select 1 from tenant_usage where tenant_id = :tenant and part = 0 for update").param("tenant", tenantId)
                .query(Integer.class).optional();
    }

    /**
     * Refuses {@code bytes} more ({@code what}, e.g. "image" or "volume") past the tenant's storage
     * quota, with an {@link AdmissionException} naming quota and usage.
     */
    public void require(long tenantId, long bytes, String what) {
        record Room(long quota, long stored) {
        }
        Room r = jdbc.sql("""
                select q.storage_bytes, (select coalesce(sum(u.stored_bytes), 0) from tenant_usage u where u.tenant_id = q.tenant_id)
                from quota q where q.tenant_id = :tenant""")
                .param("tenant", tenantId).query((rs, i) -> new Room(rs.getLong(1), rs.getLong(2))).optional()
                .orElse(new Room(Long.MAX_VALUE, 0));
        if (r.stored() + bytes > r.quota()) {
            throw new AdmissionException("storageBytes", r.quota(), r.stored(), false, "storage: quota " + r.quota()
                    + " bytes, stored " + r.stored() + " bytes, " + what + " " + bytes + " bytes");
        }
    }
}
