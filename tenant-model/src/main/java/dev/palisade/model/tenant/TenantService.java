package dev.palisade.model.tenant;

import dev.palisade.model.ConflictException;
import dev.palisade.model.NotFoundException;
import dev.palisade.model.PlainText;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.quota.QuotaService;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class TenantService {

    private final TenantRepository tenants;
    private final QuotaService quotas;
    private final AuditLog audit;
    private final JdbcClient jdbc;

    TenantService(TenantRepository tenants, QuotaService quotas, AuditLog audit, JdbcClient jdbc) {
        this.tenants = tenants;
        this.quotas = quotas;
        this.audit = audit;
        this.jdbc = jdbc;
    }

    /** Creates the tenant with the default quota. */
    @Transactional
    public Tenant create(String actor, String slug, String displayName) {
        PlainText.check("displayName", displayName, 200);
        if (tenants.existsBySlug(slug)) {
            throw new ConflictException("tenant '" + slug + "' already exists");
        }
        Tenant tenant = tenants.saveAndFlush(new Tenant(slug, displayName));
        quotas.createDefault(tenant);
        audit.record(actor, tenant, "tenant.create", "tenant:" + slug, Map.of("displayName", displayName));
        return tenant;
    }

    @Transactional(readOnly = true)
    public Optional<Tenant> find(String slug) {
        return tenants.findBySlug(slug);
    }

    /**
     * The tenant as it is now, detached: one statement on a pooled connection, no transaction and
     * no entity manager. Every API call names its tenant; the managed lookup cost a sixth of a
     * submit's CPU. For reading only (changes go through {@link #update}).
     */
    public Optional<Tenant> lookUp(String slug) {
        return jdbc.sql("select id, slug, display_name, status, created_at, updated_at from tenant where slug = :slug")
                .param("slug", slug)
                .query((rs, i) -> Tenant.fromRow(rs.getLong("id"), rs.getString("slug"), rs.getString("display_name"),
                        TenantStatus.valueOf(rs.getString("status")), rs.getTimestamp("created_at").toInstant(),
                        rs.getTimestamp("updated_at").toInstant()))
                .optional();
    }

    @Transactional(readOnly = true)
    public Optional<Tenant> find(long id) {
        return tenants.findById(id);
    }

    @Transactional(readOnly = true)
    public Tenant get(String slug) {
        return find(slug).orElseThrow(() -> new NotFoundException("no tenant '" + slug + "'"));
    }

    @Transactional(readOnly = true)
    public Page<Tenant> list(Pageable pageable) {
        return tenants.findAll(pageable);
    }

    /** Changes the display name and/or the status; a null argument leaves that field alone. */
    @Transactional
    public Tenant update(String actor, String slug, String displayName, TenantStatus status) {
        PlainText.check("displayName", displayName, 200);
        Tenant tenant = get(slug);
        Map<String, Object> details = new LinkedHashMap<>();
        if (displayName != null && !displayName.equals(tenant.getDisplayName())) {
            tenant.setDisplayName(displayName);
            details.put("displayName", displayName);
        }
        if (status != null && status != tenant.getStatus()) {
            tenant.setStatus(status);
            details.put("status", status);
        }
        if (!details.isEmpty()) {
            audit.record(actor, tenant, "tenant.update", "tenant:" + slug, details);
        }
        return tenant;
    }

    /** Deletes the tenant with its quota, users, tokens and workloads (the audit trail stays). */
    @Transactional
    public void delete(String actor, String slug) {
        Tenant tenant = get(slug);
        audit.record(actor, tenant, "tenant.delete", "tenant:" + slug, Map.of());
        tenants.delete(tenant);
    }
}
