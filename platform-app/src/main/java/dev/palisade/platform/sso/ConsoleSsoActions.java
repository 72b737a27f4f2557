package dev.palisade.platform.sso;

import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.tenant.TenantService;
import dev.palisade.model.user.Role;
import dev.palisade.web.sso.SsoActions;
import dev.palisade.web.support.CurrentUser;
import java.util.List;
import org.springframework.stereotype.Component;

/** The console's single sign-on page (web-ui's {@link SsoActions}); only platform admins reach it (/admin/**). */
@Component
class ConsoleSsoActions implements SsoActions {

    private final SsoProviders providers;
    private final SsoMappings mappings;
    private final TenantLoginPolicy policy;
    private final TenantService tenants;

    ConsoleSsoActions(SsoProviders providers, SsoMappings mappings, TenantLoginPolicy policy, TenantService tenants) {
        this.providers = providers;
        this.mappings = mappings;
        this.policy = policy;
        this.tenants = tenants;
    }

    @Override
    public List<Provider> providers() {
        return providers.list().stream().map(p -> new Provider(p.id(), p.registrationId(), p.displayName(), p.issuerUri(),
                p.clientId(), p.scopes(), p.matchClaim(), p.groupsClaim())).toList();
    }

    @Override
    public List<LoginButton> loginButtons() {
        return providers.list().stream().map(p -> new LoginButton(p.registrationId(), p.displayName())).toList();
    }

    @Override
    public void saveProvider(CurrentUser me, ProviderForm f) {
        try {
            providers.save(me.username(), new SsoProviders.Settings(f.registrationId(), f.displayName(), f.issuerUri(),
                    f.clientId(), f.clientSecret(), f.scopes(), f.matchClaim(), f.groupsClaim()));
        } catch (IllegalArgumentException e) {
            throw new Refused(e.getMessage());
        }
    }

    @Override
    public void deleteProvider(CurrentUser me, long id) {
        providers.delete(me.username(), id);
    }

    @Override
    public List<Mapping> mappings() {
        return mappings.list().stream()
                .map(m -> new Mapping(m.id(), m.provider(), m.kind(), m.value(), m.tenantSlug(), m.role())).toList();
    }

    @Override
    public void addMapping(CurrentUser me, String provider, String kind, String value, String tenantSlug, Role role) {
        SsoProviders.Provider p = providers.find(provider).orElseThrow(() -> new Refused("no provider " + provider));
        Tenant tenant = tenant(tenantSlug);
        try {
            mappings.add(me.username(), p.id(), p.registrationId(), kind, value, tenant.getId(), tenant.getSlug(), role);
        } catch (IllegalArgumentException e) {
            throw new Refused(e.getMessage());
        }
    }

    @Override
    public void deleteMapping(CurrentUser me, long id) {
        mappings.delete(me.username(), id);
    }

    @Override
    public List<String> tenantsWithoutLocalPasswords() {
        return policy.tenantsWithoutLocalPasswords();
    }

    @Override
    public void setLocalPasswords(CurrentUser me, String tenantSlug, boolean allowed) {
        Tenant tenant = tenant(tenantSlug);
        policy.set(me.username(), tenant.getId(), tenant.getSlug(), allowed);
    }

    private Tenant tenant(String slug) {
        return tenants.find(slug).orElseThrow(() -> new Refused("no tenant " + slug));
    }
}
