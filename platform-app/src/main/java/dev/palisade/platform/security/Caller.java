package dev.palisade.platform.security;

import dev.palisade.model.user.Role;
import org.springframework.security.authentication.AuthenticationCredentialsNotFoundException;
import org.springframework.security.core.Authentication;

/**
 * The authenticated user behind a request, however they authenticated (bearer token, HTTP
 * Basic, console session). Controllers take it as a parameter; its tenant is the scope of every
 * query they make.
 */
public record Caller(long userId, String username, Role role, Long tenantId, String tenantSlug) {

    public boolean isPlatformAdmin() {
        return role == Role.PLATFORM_ADMIN;
    }

    public boolean isTenantAdmin() {
        return role == Role.TENANT_ADMIN;
    }

    /** The console's or portal's signed-in user as the API's caller, for pages that call the API's operations. */
    public static Caller of(dev.palisade.web.support.CurrentUser user) {
        return new Caller(user.id(), user.username(), user.role(), user.tenantId(), user.tenantSlug());
    }

    static Caller of(Authentication authentication) {
        Object principal = authentication == null ? null : authentication.getPrincipal();
        if (principal instanceof TokenPrincipal token) {
            return token.caller();
        }
        if (principal instanceof PalisadeUserDetails user) {
            return user.caller();
        }
        throw new AuthenticationCredentialsNotFoundException("not authenticated");
    }
}
