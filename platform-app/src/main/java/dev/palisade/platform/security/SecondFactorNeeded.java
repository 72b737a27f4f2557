package dev.palisade.platform.security;

import org.springframework.security.core.AuthenticationException;

/**
 * The console form's password was right and the account has a second factor: no one is logged in
 * yet; the console's failure handler keeps who it was in the session and asks for the code
 * ({@link SecondFactorLoginController}).
 */
final class SecondFactorNeeded extends AuthenticationException {

    final transient PalisadeUserDetails user;

    SecondFactorNeeded(PalisadeUserDetails user) {
        super("second factor needed");
        this.user = user;
    }
}
