package dev.palisade.platform.security;

import dev.palisade.model.token.TokenOwner;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal;

/** What a valid API token stands for: its owner's identity, role and tenant. */
record TokenPrincipal(Caller caller, long tokenId) implements OAuth2AuthenticatedPrincipal {

    static TokenPrincipal of(TokenOwner owner) {
        return new TokenPrincipal(new Caller(owner.userId(), owner.username(), owner.role(), owner.tenantId(),
                owner.tenantSlug()), owner.tokenId());
    }

    @Override
    public Map<String, Object> getAttributes() {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("sub", caller.username());
        attributes.put("role", caller.role().name());
        attributes.put("token_id", tokenId);
        if (caller.tenantSlug() != null) {
            attributes.put("tenant", caller.tenantSlug());
        }
        return attributes;
    }

    @Override
    public Collection<? extends GrantedAuthority> getAuthorities() {
        return List.of(new SimpleGrantedAuthority("ROLE_" + caller.role().name()));
    }

    @Override
    public String getName() {
        return caller.username();
    }
}
