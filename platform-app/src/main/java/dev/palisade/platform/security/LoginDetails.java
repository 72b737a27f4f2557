package dev.palisade.platform.security;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.security.web.authentication.WebAuthenticationDetails;

/**
 * Where a password login comes from: the console form (which asks for a second factor on a page
 * of its own, after the password) or HTTP Basic (which carries the code in
 * {@value #CODE_HEADER}, since it has no second step).
 */
final class LoginDetails extends WebAuthenticationDetails {

    static final String CODE_HEADER = "X-Palisade-OTP";

    private final boolean console;
    private final transient String code;

    private LoginDetails(HttpServletRequest request, boolean console, String code) {
        super(request);
        this.console = console;
        this.code = code;
    }

    static LoginDetails console(HttpServletRequest request) {
        return new LoginDetails(request, true, null);
    }

    static LoginDetails basic(HttpServletRequest request) {
        return new LoginDetails(request, false, request.getHeader(CODE_HEADER));
    }

    boolean console() {
        return console;
    }

    String code() {
        return code;
    }
}
