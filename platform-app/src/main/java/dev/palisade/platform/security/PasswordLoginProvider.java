package dev.palisade.platform.security;

import dev.palisade.model.user.UserService;
import dev.palisade.platform.secondfactor.SecondFactors;
import dev.palisade.platform.sso.TenantLoginPolicy;
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
 * it came from ({@link LoginThrottle}); nothing locks the account. An account with a second
 * factor needs its code as well: HTTP Basic sends it in a header; the console form asks for it on
 * the next page ({@link SecondFactorNeeded}). A tenant that turned local passwords off refuses them
 * all, saying so ({@link LocalPasswordsOff}).
 */
@Component
class PasswordLoginProvider implements AuthenticationProvider {

    static final String FAILURE = "Wrong user name or password";
    /** Said only once the password was right: the account wants a code too. */
    static final String SECOND_FACTOR_FAILURE = "Wrong or missing second factor code: send the code of your "
            + "authenticator app (or a recovery code) in the " + LoginDetails.CODE_HEADER + " header";

    private final DaoAuthenticationProvider delegate;
    private final LoginThrottle throttle;
    private final LoginAudit audit;
    private final SecondFactors secondFactors;
    private final TenantLoginPolicy loginPolicy;

    PasswordLoginProvider(UserService users, PasswordEncoder passwordEncoder, LoginThrottle throttle, LoginAudit audit,
            SecondFactors secondFactors, TenantLoginPolicy loginPolicy) {
        this.throttle = throttle;
        this.audit = audit;
        this.secondFactors = secondFactors;
        this.loginPolicy = loginPolicy;
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
        // name@tenant of a tenant without passwords: said before any password is checked (it tells only of the tenant)
        int at = username == null ? -1 : username.lastIndexOf('@');
        if (at > 0 && loginPolicy.localPasswordsOff(username.substring(at + 1))) {
            throw localPasswordsOff(username, address);
        }
        Authentication result;
        try {
            result = delegate.authenticate(authentication);
        } catch (AuthenticationException e) {
            throttle.failed(username, address);
            audit.refused(username, address, "wrong credentials");
            throw new BadCredentialsException(FAILURE);
        }
        PalisadeUserDetails user = (PalisadeUserDetails) result.getPrincipal();
        if (!loginPolicy.localPasswordsAllowed(user.caller().tenantId())) {
            throw localPasswordsOff(username, address);
        }
        if (secondFactors.enabled(user.caller().userId())) {
            if (!(authentication.getDetails() instanceof LoginDetails details) || details.console()) {
                throw new SecondFactorNeeded(user);
            }
            if (!secondFactors.verify(user.caller().userId(), user.getUsername(), details.code())) {
                throttle.failed(username, address);
                audit.refused(username, address, "wrong or missing second factor code");
                throw new BadCredentialsException(SECOND_FACTOR_FAILURE);
            }
        }
        throttle.succeeded(username, address);
        return result;
    }

    private LocalPasswordsOff localPasswordsOff(String username, String address) {
        audit.refused(username, address, "local passwords are off for the tenant");
        return new LocalPasswordsOff();
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return UsernamePasswordAuthenticationToken.class.isAssignableFrom(authentication);
    }
}
