package dev.palisade.platform.sso;

import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;

/**
 * A provider vouched for someone we do not let in (no mapping fits, no verified email, a name
 * taken): the reason is shown to them as it is, and was audited where it was decided.
 */
public class SsoRefused extends OAuth2AuthenticationException {

    static final String ERROR_CODE = "palisade_sso_refused";

    private final String reason;

    SsoRefused(String reason) {
        super(new OAuth2Error(ERROR_CODE, reason, null), reason);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
