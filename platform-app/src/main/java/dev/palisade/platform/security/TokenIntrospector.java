package dev.palisade.platform.security;

import dev.palisade.model.token.TokenService;
import org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal;
import org.springframework.security.oauth2.server.resource.introspection.BadOpaqueTokenException;
import org.springframework.security.oauth2.server.resource.introspection.OpaqueTokenIntrospector;
import org.springframework.stereotype.Component;

/**
 * Spring Security's resource-server support asks this for every bearer token. It reads our
 * token table each time (no cache), so revocation, expiry and tenant suspension act at once.
 */
@Component
class TokenIntrospector implements OpaqueTokenIntrospector {

    private final TokenService tokens;

    TokenIntrospector(TokenService tokens) {
        this.tokens = tokens;
    }

    @Override
    public OAuth2AuthenticatedPrincipal introspect(String token) {
        return tokens.introspect(token)
                .map(TokenPrincipal::of)
                // the message reaches nobody but the entry point; it never includes the token
                .orElseThrow(() -> new BadOpaqueTokenException("token is unknown, expired or revoked"));
    }
}
