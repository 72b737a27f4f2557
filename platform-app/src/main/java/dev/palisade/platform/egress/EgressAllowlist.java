package dev.palisade.platform.egress;

import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.tenantdb.TenantDatabases;
import dev.palisade.sandbox.NetworkPolicy;
import dev.palisade.sandbox.egress.EgressRules;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/** A tenant's egress allowlist in PostgreSQL, and the network a workload's sandbox gets from it. */
@Component
public class EgressAllowlist {
    /** Entries one tenant may have. */
    public static final int MAX_ENTRIES = 100;

    private final JdbcClient jdbc;
    private final AuditLog audit;
    private final EgressProperties properties;
    private final TenantDatabases databases;

    EgressAllowlist(JdbcClient jdbc, AuditLog audit, EgressProperties properties, TenantDatabases databases) {
        this.jdbc = jdbc;
        this.audit = audit;
        this.properties = properties;
        this.databases = databases;
    }

    /** The tenant's entries in their canonical form, sorted. */
    public List<String> list(long tenantId) {
        return jdbc.sql("select destination from tenant_egress_allow where tenant_id = :t order by destination")
                .param("t", tenantId).query(String.class).list();
    }

    /**
     * Replaces the tenant's allowlist with {@code entries} (each checked and made canonical; a bad
     * one is a 400 naming it) and audits what was added and removed.
     */
    @Transactional
    public List<String> replace(String actor, Tenant tenant, List<String> entries) {
        if (entries == null) {
            throw ApiProblems.badRequest("destinations", "is required (an empty list clears the allowlist)");
        }
        if (entries.size() > MAX_ENTRIES) {
            throw ApiProblems.badRequest("destinations", "at most " + MAX_ENTRIES + " entries");
        }
        Set<String> wanted = new LinkedHashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            try {
                wanted.add(EgressRules.Destination.parse(entries.get(i)).toString());
            } catch (IllegalArgumentException e) {
                throw ApiProblems.badRequest("destinations[" + i + "]", e.getMessage());
            }
        }
        List<String> before = list(tenant.getId());
        jdbc.sql("delete from tenant_egress_allow where tenant_id = :t").param("t", tenant.getId()).update();
        for (String d : wanted) {
            jdbc.sql("insert into tenant_egress_allow (tenant_id, destination, created_by) values (:t, :d, :by)")
                    .param("t", tenant.getId()).param("d", d).param("by", actor).update();
        }
        List<String> after = list(tenant.getId());
        List<String> added = new ArrayList<>(after);
        added.removeAll(before);
        List<String> removed = new ArrayList<>(before);
        removed.removeAll(after);
        audit.record(actor, tenant, "egress.allowlist.update", "tenant:" + tenant.getSlug(),
                Map.of("added", added, "removed", removed));
        return after;
    }

    /** The sandbox network a workload asked for, or its kind's default, and the rules egress gets. */
    public record Network(NetworkPolicy policy, EgressRules rules) {
    }

    /** {@code asked}: the workload's {@code network} as submitted, null for its kind's default. */
    public Network forWorkload(String asked, long tenantId, boolean service) {
        NetworkPolicy policy = asked == null ? (service ? NetworkPolicy.LOOPBACK : NetworkPolicy.NONE)
                : NetworkPolicy.valueOf(asked.toUpperCase(Locale.ROOT));
        if (policy != NetworkPolicy.EGRESS) {
            return new Network(policy, null);
        }
        List<EgressRules.Destination> allow = list(tenantId).stream().map(EgressRules.Destination::parse).toList();
        // the tenant's own database server, if it has a database, and nothing else of the node
        return new Network(policy, new EgressRules(allow, properties.resolvers(), properties.maxConnections(),
                properties.newConnectionsPerSecond(), properties.bandwidth().toBytes(),
                databases.sandboxServices(tenantId)));
    }
}
