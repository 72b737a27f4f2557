package dev.palisade.platform.sso;

import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.user.Role;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * The sso_mapping table: which tenant and role a provider's user gets, by a value of the
 * provider's group claim or by the domain of a verified email. Groups are tried before domains,
 * each in the order they were added; nothing matches by default.
 */
@Component
class SsoMappings {

    static final String GROUP = "group", DOMAIN = "domain";
    private static final Pattern DOMAIN_NAME = Pattern.compile("(?=.{1,200}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,63}");

    /** A mapping as listed. */
    record Mapping(long id, String provider, String kind, String value, String tenantSlug, Role role) {
    }

    /** Where a user goes: the tenant (id and slug), the role, and which mapping said so. */
    record Target(long tenantId, String tenantSlug, Role role, String kind, String value) {
    }

    private final JdbcClient jdbc;
    private final AuditLog audit;

    SsoMappings(JdbcClient jdbc, AuditLog audit) {
        this.jdbc = jdbc;
        this.audit = audit;
    }

    List<Mapping> list() {
        return jdbc.sql("""
                select m.id, p.registration_id, m.kind, m.value, t.slug, m.role from sso_mapping m
                join sso_provider p on p.id = m.provider_id join tenant t on t.id = m.tenant_id
                order by p.registration_id, m.kind desc, m.id""")
                .query((rs, i) -> new Mapping(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), Role.valueOf(rs.getString(6))))
                .list();
    }

    /**
     * The first mapping of the provider that fits: a group mapping whose value is among
     * {@code groups}, else a domain mapping of {@code verifiedDomain} (null when the provider
     * vouched for no email).
     */
    Optional<Target> target(long providerId, Collection<String> groups, String verifiedDomain) {
        return jdbc.sql("""
                select m.tenant_id, t.slug, m.role, m.kind, m.value from sso_mapping m join tenant t on t.id = m.tenant_id
                where m.provider_id = :provider
                  and ((m.kind = 'group' and m.value = any(:groups)) or (m.kind = 'domain' and m.value = :domain))
                order by case m.kind when 'group' then 0 else 1 end, m.id limit 1""")
                .param("provider", providerId).param("groups", groups.toArray(String[]::new))
                .param("domain", verifiedDomain, java.sql.Types.VARCHAR)
                .query((rs, i) -> new Target(rs.getLong(1), rs.getString(2), Role.valueOf(rs.getString(3)),
                        rs.getString(4), rs.getString(5)))
                .optional();
    }

    @Transactional
    public void add(String actor, long providerId, String provider, String kind, String value, long tenantId,
            String tenantSlug, Role role) {
        if (!role.isTenantRole()) {
            throw new IllegalArgumentException("role: a mapping gives TENANT_ADMIN or TENANT_MEMBER, never " + role);
        }
        String stored;
        if (DOMAIN.equals(kind)) {
            stored = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
            if (!DOMAIN_NAME.matcher(stored).matches()) {
                throw new IllegalArgumentException("value: an email domain such as example.com");
            }
        } else if (GROUP.equals(kind)) {
            stored = value == null ? "" : value.trim();
            if (stored.isEmpty() || stored.length() > 200 || stored.chars().anyMatch(Character::isISOControl)) {
                throw new IllegalArgumentException("value: a group name, 1 to 200 characters");
            }
        } else {
            throw new IllegalArgumentException("kind: group or domain");
        }
        try {
            jdbc.sql("insert into sso_mapping (provider_id, kind, value, tenant_id, role) values (:p, :kind, :value, :t, :role)")
                    .param("p", providerId).param("kind", kind).param("value", stored).param("t", tenantId)
                    .param("role", role.name()).update();
        } catch (DuplicateKeyException e) {
            throw new IllegalArgumentException("value: " + provider + " already maps the " + kind + " " + stored);
        }
        audit.record(actor, tenantId, tenantSlug, "sso.mapping.create", "sso-provider:" + provider,
                Map.of("kind", kind, "value", stored, "role", role));
    }

    @Transactional
    public void delete(String actor, long id) {
        record Gone(String provider, String kind, String value, long tenantId, String tenantSlug) {
        }
        jdbc.sql("""
                delete from sso_mapping m using sso_provider p, tenant t
                where m.id = :id and p.id = m.provider_id and t.id = m.tenant_id
                returning p.registration_id, m.kind, m.value, t.id, t.slug""")
                .param("id", id)
                .query((rs, i) -> new Gone(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getString(5)))
                .optional()
                .ifPresent(g -> audit.record(actor, g.tenantId(), g.tenantSlug(), "sso.mapping.delete",
                        "sso-provider:" + g.provider(), Map.of("kind", g.kind(), "value", g.value())));
    }
}
