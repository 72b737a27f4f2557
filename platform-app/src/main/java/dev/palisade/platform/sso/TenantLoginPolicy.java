package dev.palisade.platform.sso;

import dev.palisade.model.audit.AuditLog;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * Whether a tenant's users may log in with a local password (tenant_login_policy; allowed unless
 * a platform admin turned it off). Platform admins belong to no tenant and always may.
 */
@Component
public class TenantLoginPolicy {

    private final JdbcClient jdbc;
    private final AuditLog audit;

    TenantLoginPolicy(JdbcClient jdbc, AuditLog audit) {
        this.jdbc = jdbc;
        this.audit = audit;
    }

    /** Whether users of the tenant (null: a platform admin) may log in with a password. */
    public boolean localPasswordsAllowed(Long tenantId) {
        return tenantId == null || jdbc.sql("select local_passwords from tenant_login_policy where tenant_id = :t")
                .param("t", tenantId).query(Boolean.class).optional().orElse(true);
    }

    /** Whether the tenant of that slug turned local passwords off (false too when there is no such tenant). */
    public boolean localPasswordsOff(String tenantSlug) {
        return jdbc.sql("""
                select not p.local_passwords from tenant_login_policy p join tenant t on t.id = p.tenant_id
                where t.slug = :slug""")
                .param("slug", tenantSlug).query(Boolean.class).optional().orElse(false);
    }

    List<String> tenantsWithoutLocalPasswords() {
        return jdbc.sql("""
                select t.slug from tenant_login_policy p join tenant t on t.id = p.tenant_id
                where not p.local_passwords order by t.slug""")
                .query(String.class).list();
    }

    @Transactional
    public void set(String actor, long tenantId, String tenantSlug, boolean allowed) {
        jdbc.sql("""
                insert into tenant_login_policy (tenant_id, local_passwords) values (:t, :allowed)
                on conflict (tenant_id) do update set local_passwords = excluded.local_passwords, updated_at = now()""")
                .param("t", tenantId).param("allowed", allowed).update();
        audit.record(actor, tenantId, tenantSlug, "tenant.local-passwords", "tenant:" + tenantSlug,
                Map.of("allowed", allowed));
    }
}
