package dev.palisade.platform.security;

import dev.palisade.model.user.LoginUser;
import java.util.Collection;
import java.util.List;
import org.springframework.security.core.CredentialsContainer;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.userdetails.UserDetails;

/** A user logging in with a password: disabled while its tenant is suspended. */
final class PalisadeUserDetails implements UserDetails, CredentialsContainer {

    private final Caller caller;
    private String passwordHash;
    private final boolean enabled;

    PalisadeUserDetails(LoginUser user) {
        this.caller = new Caller(user.id(), user.username(), user.role(), user.tenantId(), user.tenantSlug());
        this.passwordHash = user.passwordHash();
        this.enabled = user.tenantActive();
    }

    Caller caller() {
        return caller;
    }

    @Override
    public Collection<? extends GrantedAuthority> getAuthorities() {
        return List.of(new SimpleGrantedAuthority("ROLE_" + caller.role().name()));
    }

    @Override
    public String getPassword() {
        return passwordHash;
    }

    @Override
    public String getUsername() {
        return caller.username();
    }

    @Override
    public boolean isEnabled() {
        return enabled;
    }

    @Override
    public void eraseCredentials() {
        passwordHash = null;
    }

    @Override
    public String toString() {
        return "PalisadeUserDetails[" + caller.username() + "]";
    }
}
