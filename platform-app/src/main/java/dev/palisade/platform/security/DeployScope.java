package dev.palisade.platform.security;

import org.springframework.http.HttpMethod;
import org.springframework.security.authorization.AuthenticatedAuthorizationManager;
import org.springframework.security.authorization.AuthorityAuthorizationManager;
import org.springframework.security.authorization.AuthorizationManager;
import org.springframework.security.authorization.AuthorizationManagers;
import org.springframework.security.web.access.intercept.RequestAuthorizationContext;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * What a token of scope {@code DEPLOY} may reach (within its owner's own rights, which the
 * controllers check as for any caller): services, images, and reading workloads with their
 * logs. Everything else (members, quotas, tokens, secrets, tenants, audit) answers 403 to it.
 */
final class DeployScope {

    private DeployScope() {
    }

    /** The API paths a deploy-scoped token may call. */
    static RequestMatcher allowed() {
        PathPatternRequestMatcher.Builder p = PathPatternRequestMatcher.withDefaults();
        return new OrRequestMatcher(
                p.matcher("/api/v1/tenants/*/services"),
                p.matcher("/api/v1/tenants/*/services/**"),
                p.matcher(HttpMethod.GET, "/api/v1/images"),
                p.matcher("/api/v1/tenants/*/images"),
                p.matcher("/api/v1/tenants/*/images/**"),
                p.matcher(HttpMethod.GET, "/api/v1/tenants/*/workloads/*"),
                p.matcher(HttpMethod.GET, "/api/v1/tenants/*/workloads/*/logs"));
    }

    /** Authenticated, and not by a deploy-scoped token. */
    static AuthorizationManager<RequestAuthorizationContext> fullTokensOnly() {
        AuthorizationManager<RequestAuthorizationContext> deploy =
                AuthorityAuthorizationManager.hasAuthority(TokenPrincipal.DEPLOY_SCOPE);
        return AuthorizationManagers.allOf(AuthenticatedAuthorizationManager.authenticated(),
                AuthorizationManagers.not(deploy));
    }
}
