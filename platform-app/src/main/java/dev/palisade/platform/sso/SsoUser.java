package dev.palisade.platform.sso;

import dev.palisade.model.user.LoginUser;
import org.springframework.security.oauth2.core.oidc.user.DefaultOidcUser;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;

/**
 * A provider's user once matched to one of ours: the login handler turns it into the same
 * session principal a password login makes, so nothing downstream tells the two apart.
 */
public class SsoUser extends DefaultOidcUser {

    private final transient LoginUser user;

    SsoUser(OidcUser oidc, LoginUser user) {
        super(oidc.getAuthorities(), oidc.getIdToken(), oidc.getUserInfo(), "sub");
        this.user = user;
    }

    public LoginUser user() {
        return user;
    }
}
