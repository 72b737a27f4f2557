package dev.palisade.platform.security;

import dev.palisade.model.user.UserService;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.authentication.dao.DaoAuthenticationProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.userdetails.UsernameNotFoundException;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Component;

/**
 * Username and password, for the console form and for HTTP Basic on the token endpoint. Counts
 * failures per account: {@link LoginProperties#maxFailures()} in a row lock it for a while (and
 * the lock is audited); a locked account is refused before its password is even checked.
 */
@Component
class PasswordLoginProvider implements AuthenticationProvider {

    private static final Logger log = LoggerFactory.getLogger(PasswordLoginProvider.class);

    private final DaoAuthenticationProvider delegate;
    private final UserService users;
    private final LoginProperties properties;

    PasswordLoginProvider(UserService users, PasswordEncoder passwordEncoder, LoginProperties properties) {
        this.users = users;
        this.properties = properties;
        this.delegate = new DaoAuthenticationProvider(username -> users.findForLogin(username)
                .map(u -> new PalisadeUserDetails(u, Instant.now()))
                .orElseThrow(() -> new UsernameNotFoundException("no such user")));
        this.delegate.setPasswordEncoder(passwordEncoder);
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        String username = authentication.getName();
        try {
            Authentication result = delegate.authenticate(authentication);
            users.recordSuccessfulLogin(username);
            return result;
        } catch (BadCredentialsException e) {
            if (users.recordFailedLogin(username, properties.maxFailures(), properties.lockDuration())) {
                log.warn("Account '{}' locked for {} after {} failed logins", username,
                        properties.lockDuration(), properties.maxFailures());
            }
            throw e;
        }
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return UsernamePasswordAuthenticationToken.class.isAssignableFrom(authentication);
    }
}
