package dev.palisade.model.quota;

import dev.palisade.model.NotFoundException;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.tenant.Tenant;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class QuotaService {

    private final QuotaRepository quotas;
    private final AuditLog audit;

    QuotaService(QuotaRepository quotas, AuditLog audit) {
        this.quotas = quotas;
        this.audit = audit;
    }

    /** Called by tenant creation, inside its transaction (and audited there). */
    @Transactional
    public Quota createDefault(Tenant tenant) {
        return quotas.save(new Quota(tenant, QuotaLimits.DEFAULT));
    }

    @Transactional(readOnly = true)
    public Quota get(Tenant tenant) {
        return quotas.findById(tenant.getId())
                .orElseThrow(() -> new NotFoundException("no quota for tenant '" + tenant.getSlug() + "'"));
    }

    /** The limits of a tenant known by id (a worker holds ids, not entities). */
    @Transactional(readOnly = true)
    public QuotaLimits limits(long tenantId) {
        return quotas.findById(tenantId).map(Quota::limits)
                .orElseThrow(() -> new NotFoundException("no quota for tenant " + tenantId));
    }

    @Transactional
    public Quota replace(String actor, Tenant tenant, QuotaLimits limits) {
        Quota quota = get(tenant);
        quota.apply(limits);
        audit.record(actor, tenant, "quota.update", "tenant:" + tenant.getSlug(), limits.toString());
        return quota;
    }
}
