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
        requireVisible(caller, slug);
        return tenants.lookUp(slug).orElseThrow(() -> notFound(slug));
    }

    /**
     * The part of {@link #visible} that needs no database: for a read that finds the tenant by its
     * slug in its own query (one statement instead of two) and answers {@link #notFound} itself
     * when there is none.
     */
    public void requireVisible(Caller caller, String slug) {
        if (!caller.isPlatformAdmin() && !slug.equals(caller.tenantSlug())) {
            throw notFound(slug);
        }
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

    /** What a tenant that does not exist, or is not the caller's, answers. */
    public static NotFoundException notFound(String slug) {
        return new NotFoundException("no tenant '" + slug + "'");
    }
}
