package dev.palisade.platform.sso;

import org.springframework.security.oauth2.client.oidc.userinfo.OidcUserRequest;
import org.springframework.security.oauth2.client.oidc.userinfo.OidcUserService;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;
import org.springframework.stereotype.Component;

/** Spring Security's OIDC user loading (id token checked, user info read), then our match: {@link SsoAccounts}. */
@Component
public class SsoUserService extends OidcUserService {

    private final SsoAccounts accounts;

    SsoUserService(SsoAccounts accounts) {
        this.accounts = accounts;
    }

    @Override
    public SsoUser loadUser(OidcUserRequest request) {
        OidcUser oidc = super.loadUser(request);
        return new SsoUser(oidc, accounts.signIn(request.getClientRegistration().getRegistrationId(), oidc));
    }
}
