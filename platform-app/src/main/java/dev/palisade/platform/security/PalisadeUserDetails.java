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
    private final String loginName;
    private String passwordHash;
    private final boolean enabled;
    private final String passwordStamp;
    private final boolean singleSignOn;

    /** A password login. */
    PalisadeUserDetails(LoginUser user) {
        this(user, false);
    }

    PalisadeUserDetails(LoginUser user, boolean singleSignOn) {
        this.caller = new Caller(user.id(), user.username(), user.role(), user.tenantId(), user.tenantSlug());
        this.loginName = user.loginName();
        this.passwordHash = user.passwordHash();
        this.passwordStamp = stamp(user.passwordHash());
        this.enabled = user.tenantActive();
        this.singleSignOn = singleSignOn;
    }

    /** Whether this session came from a provider (single sign-on) rather than a password. */
    boolean singleSignOn() {
        return singleSignOn;
    }

    Caller caller() {
        return caller;
    }

    /**
     * Which password this login was made with, kept after the credentials are erased: a digest of
     * the hash, so that a session ends once the password changes (SessionRevalidationFilter).
     */
    String passwordStamp() {
        return passwordStamp;
    }

    static String stamp(String passwordHash) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(passwordHash.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Collection<? extends GrantedAuthority> getAuthorities() {
        return List.of(new SimpleGrantedAuthority("ROLE_" + caller.role().name()));
    }

    @Override
    public String getPassword() {
        return passwordHash;
    }

    /** {@code name@tenant} (a platform admin's plain name): what finds the user again, as names repeat across tenants. */
    @Override
    public String getUsername() {
        return loginName;
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
        return "PalisadeUserDetails[" + loginName + "]";
    }
}
