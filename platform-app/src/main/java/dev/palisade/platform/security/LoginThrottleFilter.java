package dev.palisade.platform.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Holds back password logins (the console form's {@code POST /login} and its second factor's
 * {@code POST /login/code}, HTTP Basic on
 * {@code POST /api/v1/tokens}) and token minting per {@link LoginThrottle}, before any password
 * is checked: a refused attempt costs no hashing, answers 429 with {@code Retry-After}, and is
 * audited. Placed in the console chain and the token minting chain only.
 */
@Component
class LoginThrottleFilter extends OncePerRequestFilter {

    private final LoginThrottle throttle;
    private final LoginAudit audit;

    LoginThrottleFilter(LoginThrottle throttle, LoginAudit audit) {
        this.throttle = throttle;
        this.audit = audit;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return !HttpMethod.POST.matches(request.getMethod())
                || !(path.equals("/login") || path.equals(SecondFactorLoginController.PATH)
                        || path.equals("/api/v1/tokens") || path.equals(PasswordChangeRequired.API));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        // HTTP Basic (minting a token, or changing a password with the current one) versus the login form
        boolean mint = request.getRequestURI().startsWith(request.getContextPath() + "/api/");
        String account = mint ? basicUser(request.getHeader(HttpHeaders.AUTHORIZATION))
                : request.getRequestURI().endsWith(SecondFactorLoginController.PATH)
                        ? SecondFactorLoginController.pendingUsername(request) : request.getParameter("username");
        String address = request.getRemoteAddr();
        Optional<Duration> wait;
        // one check at a time per address: the next is decided on the count the last one left
        if (!throttle.begin(address)) {
            wait = Optional.of(Duration.ofSeconds(1));
        } else {
            try {
                wait = throttle.attempt(mint ? LoginThrottle.Kind.MINT : LoginThrottle.Kind.PASSWORD, account, address);
                if (wait.isEmpty()) {
                    chain.doFilter(request, response);
                    return;
                }
            } finally {
                throttle.end(address);
            }
        }
        long seconds = Math.max(1, (wait.get().toMillis() + 999) / 1000);
        audit.refused(account, address, mint ? "token mint throttled" : "login throttled");
        response.setStatus(HttpStatus.TOO_MANY_REQUESTS.value());
        response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
        response.setContentType(mint ? "application/problem+json" : "text/plain");
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        String detail = "Too many attempts from your address; try again in " + seconds + " s";
        response.getWriter().write(mint ? "{\"type\":\"about:blank\",\"title\":\"Too Many Requests\",\"status\":429,"
                + "\"detail\":\"" + detail + "\"}" : detail + "\n");
    }

    /** The user name of an HTTP Basic header, or null (a bearer token, or nothing readable). */
    static String basicUser(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        try {
            String pair = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
            int colon = pair.indexOf(':');
            return colon < 0 ? null : pair.substring(0, colon);
        } catch (IllegalArgumentException notBase64) {
            return null;
        }
    }
}
