package dev.palisade.platform.security;

import dev.palisade.platform.account.Passwords;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * A user logged in with a one-time password (an admin reset it) must choose a new one first: in
 * the console every page but the password page leads there; over the API (HTTP Basic, which is
 * how such a user reaches it: a reset revoked their tokens) only the password change answers,
 * everything else is 403. Requests with a bearer token are not looked at (no extra query).
 */
@Configuration(proxyBeanMethods = false)
class PasswordChangeRequired implements HandlerInterceptor, WebMvcConfigurer {

    static final String PAGE = "/account/password";
    static final String API = "/api/v1/account/password";

    private final Passwords passwords;

    PasswordChangeRequired(Passwords passwords) {
        this.passwords = passwords;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this);
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) throws Exception {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        if (auth == null || !(auth.getPrincipal() instanceof PalisadeUserDetails user)) {
            return true;
        }
        String path = request.getRequestURI().substring(request.getContextPath().length());
        if (path.equals(PAGE) || path.equals(API) || !passwords.mustChange(user.caller().userId())) {
            return true;
        }
        if (path.startsWith("/api/")) {
            ProblemResponses.write(response, org.springframework.http.HttpStatus.FORBIDDEN,
                    "Your password was reset: change it with POST " + API + " first");
            return false;
        }
        response.sendRedirect(request.getContextPath() + PAGE);
        return false;
    }
}
