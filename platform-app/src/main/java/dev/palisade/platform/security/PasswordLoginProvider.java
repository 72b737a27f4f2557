package dev.palisade.platform.security;

import dev.palisade.model.user.UserService;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.authentication.dao.DaoAuthenticationProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.userdetails.UsernameNotFoundException;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.authentication.WebAuthenticationDetails;
import org.springframework.stereotype.Component;

/**
 * Username and password, for the console form and for HTTP Basic on the token endpoint. Every
 * failure, whatever its cause (wrong password, no such user, suspended tenant), is the same
 * {@link BadCredentialsException} with the same message, is audited, and slows down the address
 * it came from ({@link LoginThrottle}); nothing locks the account.
 */
@Component
class PasswordLoginProvider implements AuthenticationProvider {

    static final String FAILURE = "Wrong user name or password";

    private final DaoAuthenticationProvider delegate;
    private final LoginThrottle throttle;
    private final LoginAudit audit;

    PasswordLoginProvider(UserService users, PasswordEncoder passwordEncoder, LoginThrottle throttle, LoginAudit audit) {
        this.throttle = throttle;
        this.audit = audit;
        this.delegate = new DaoAuthenticationProvider(username -> users.findForLogin(username)
                .map(PalisadeUserDetails::new)
                .orElseThrow(() -> new UsernameNotFoundException("no such user")));
        this.delegate.setPasswordEncoder(passwordEncoder);
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        String username = authentication.getName();
        String address = authentication.getDetails() instanceof WebAuthenticationDetails web
                ? web.getRemoteAddress() : "unknown";
        try {
            Authentication result = delegate.authenticate(authentication);
            throttle.succeeded(username, address);
            return result;
        } catch (AuthenticationException e) {
            throttle.failed(username, address);
            audit.refused(username, address, "wrong credentials");
            throw new BadCredentialsException(FAILURE);
        }
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return UsernamePasswordAuthenticationToken.class.isAssignableFrom(authentication);
    }
}
