package dev.palisade.platform.security;

import org.springframework.security.authentication.BadCredentialsException;

/**
 * A password login of a tenant that turned local passwords off: refused whatever the password,
 * saying so (the console's login page points to its single sign-on buttons).
 */
final class LocalPasswordsOff extends BadCredentialsException {

    static final String MESSAGE = "Local passwords are turned off for this tenant: sign in through single sign-on";

    LocalPasswordsOff() {
        super(MESSAGE);
    }
}
