package dev.palisade.platform.security;

import dev.palisade.model.token.TokenOwner;
import dev.palisade.model.token.TokenScope;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal;

/** What a valid API token stands for: its owner's identity, role and tenant. */
record TokenPrincipal(Caller caller, long tokenId, TokenScope scope) implements OAuth2AuthenticatedPrincipal {

    /** The authority of a token limited to deploying (see {@link DeployScope}). */
    static final String DEPLOY_SCOPE = "SCOPE_deploy";

    static TokenPrincipal of(TokenOwner owner) {
        return new TokenPrincipal(new Caller(owner.userId(), owner.username(), owner.role(), owner.tenantId(),
                owner.tenantSlug()), owner.tokenId(), owner.scope());
    }

    @Override
    public Map<String, Object> getAttributes() {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("sub", caller.username());
        attributes.put("role", caller.role().name());
        attributes.put("token_id", tokenId);
        attributes.put("scope", scope.name());
        if (caller.tenantSlug() != null) {
            attributes.put("tenant", caller.tenantSlug());
        }
        return attributes;
    }

    @Override
    public Collection<? extends GrantedAuthority> getAuthorities() {
        GrantedAuthority role = new SimpleGrantedAuthority("ROLE_" + caller.role().name());
        return scope == TokenScope.DEPLOY ? List.of(role, new SimpleGrantedAuthority(DEPLOY_SCOPE)) : List.of(role);
    }

    @Override
    public String getName() {
        return caller.username();
    }
}
