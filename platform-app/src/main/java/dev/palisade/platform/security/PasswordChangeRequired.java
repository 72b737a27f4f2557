package dev.palisade.platform.security;

import dev.palisade.platform.account.Passwords;
import dev.palisade.platform.secondfactor.SecondFactors;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * What a user logged in with a password must do before anything else:
 * <ul>
 * <li>with a one-time password (an admin reset it), choose a new one: in the console every page
 * but the password page leads there; over the API (HTTP Basic, which is how such a user reaches
 * it: a reset revoked their tokens) only the password change answers, everything else is 403;</li>
 * <li>a platform admin without a second factor, when platform admins must have one
 * ({@code palisade.security.second-factor.required-for-platform-admins}), enrol: the console shows
 * only their account pages, and HTTP Basic mints no token.</li>
 * </ul>
 * Requests with a bearer token are not looked at (no extra query): tokens already minted keep working.
 */
@Configuration(proxyBeanMethods = false)
class PasswordChangeRequired implements HandlerInterceptor, WebMvcConfigurer {

    static final String PAGE = "/account/password";
    static final String API = "/api/v1/account/password";
    static final String SECOND_FACTOR_PAGE = "/account/second-factor";

    private final Passwords passwords;
    private final SecondFactors secondFactors;

    PasswordChangeRequired(Passwords passwords, SecondFactors secondFactors) {
        this.passwords = passwords;
        this.secondFactors = secondFactors;
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
        if (!path.equals(PAGE) && !path.equals(API) && passwords.mustChange(user.caller().userId())) {
            return refuse(request, response, path, PAGE,
                    "Your password was reset: change it with POST " + API + " first");
        }
        if (!path.startsWith("/account/") && secondFactors.mustEnrol(user.caller().userId(), user.caller().role())) {
            return refuse(request, response, path, SECOND_FACTOR_PAGE,
                    "Platform admins must set up a second factor first: log in to the console and open " + SECOND_FACTOR_PAGE);
        }
        return true;
    }

    /** The API answers 403 saying why; the console leads to the page where it is done. */
    private static boolean refuse(HttpServletRequest request, HttpServletResponse response, String path, String page,
            String why) throws IOException {
        if (path.startsWith("/api/")) {
            ProblemResponses.write(response, HttpStatus.FORBIDDEN, why);
        } else {
            response.sendRedirect(request.getContextPath() + page);
        }
        return false;
    }
}
