package dev.palisade.web.support;

import dev.palisade.model.user.LoginUser;
import dev.palisade.model.user.Role;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ResponseStatusException;

/**
 * The person behind a console or portal request, read from the database on every request (the
 * session only carries the name). The portal's tenant is always this one, never one from a URL.
 */
public record CurrentUser(long id, String username, Role role, Long tenantId, String tenantSlug) {

    static CurrentUser of(LoginUser user) {
        return new CurrentUser(user.id(), user.username(), user.role(), user.tenantId(), user.tenantSlug());
    }

    public boolean isPlatformAdmin() {
        return role == Role.PLATFORM_ADMIN;
    }

    public boolean isTenantAdmin() {
        return role == Role.TENANT_ADMIN;
    }

    /** A portal change only a tenant admin may make: anybody else is refused as such (403). */
    public void requireTenantAdmin() {
        if (!isTenantAdmin()) {
            throw new ResponseStatusException(HttpStatus.FORBIDDEN);
        }
    }
}
