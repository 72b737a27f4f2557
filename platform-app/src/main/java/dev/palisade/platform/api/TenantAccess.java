package dev.palisade.platform.api;

import dev.palisade.model.NotFoundException;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.tenant.TenantService;
import dev.palisade.platform.security.Caller;
import org.springframework.stereotype.Component;

/**
 * The one place that decides whether a caller may touch a tenant named in a path. A platform
 * admin sees every tenant; anybody else sees only their own, and another tenant answers 404
 * exactly like a tenant that does not exist, so its existence is not revealed. Within the own
 * tenant, a missing role answers 403.
 */
@Component
public class TenantAccess {

    private final TenantService tenants;

    TenantAccess(TenantService tenants) {
        this.tenants = tenants;
    }

    /** Any user of the tenant, or a platform admin. */
    public Tenant visible(Caller caller, String slug) {
        if (!caller.isPlatformAdmin() && !slug.equals(caller.tenantSlug())) {
            throw notFound(slug);
        }
        return tenants.lookUp(slug).orElseThrow(() -> notFound(slug));
    }

    /**
     * The id of a tenant {@link #visible} to the caller, for reads that need no more. A tenant's
     * own user costs no query: the caller was checked against the database on this very request
     * (a bearer token by {@code TokenService.introspect}, a console session by
     * {@code SessionRevalidationFilter}), which refuses one whose tenant is gone or suspended; and a
     * tenant's slug never changes.
     */
    public long visibleId(Caller caller, String slug) {
        if (!caller.isPlatformAdmin() && caller.tenantId() != null && slug.equals(caller.tenantSlug())) {
            return caller.tenantId();
        }
        return visible(caller, slug).getId();
    }

    /** A tenant admin of the tenant, or a platform admin. */
    public Tenant managedBy(Caller caller, String slug) {
        Tenant tenant = visible(caller, slug);
        if (!caller.isPlatformAdmin() && !caller.isTenantAdmin()) {
            throw ApiProblems.forbidden("Only a tenant admin may do this");
        }
        return tenant;
    }

    /** A platform admin only. */
    public Tenant adminOnly(Caller caller, String slug) {
        Tenant tenant = visible(caller, slug);
        requirePlatformAdmin(caller);
        return tenant;
    }

    public void requirePlatformAdmin(Caller caller) {
        if (!caller.isPlatformAdmin()) {
            throw ApiProblems.forbidden("Only a platform admin may do this");
        }
    }

    private static NotFoundException notFound(String slug) {
        return new NotFoundException("no tenant '" + slug + "'");
    }
}
