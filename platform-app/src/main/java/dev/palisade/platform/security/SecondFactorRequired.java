package dev.palisade.platform.security;

import dev.palisade.platform.secondfactor.SecondFactors;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * When platform admins must have a second factor
 * ({@code palisade.security.second-factor.required-for-platform-admins}), one who has none, logged
 * in with a password, reaches only their account pages (to enrol) in the console, and mints no
 * token over HTTP Basic. Requests with a bearer token are not looked at: tokens already minted
 * keep working.
 */
@Configuration(proxyBeanMethods = false)
class SecondFactorRequired implements HandlerInterceptor, WebMvcConfigurer {

    static final String PAGE = "/account/second-factor";

    private final SecondFactors secondFactors;

    SecondFactorRequired(SecondFactors secondFactors) {
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
        if (path.startsWith("/account/") || !secondFactors.mustEnrol(user.caller().userId(), user.caller().role())) {
            return true;
        }
        if (path.startsWith("/api/")) {
            ProblemResponses.write(response, HttpStatus.FORBIDDEN,
                    "Platform admins must set up a second factor first: log in to the console and open " + PAGE);
            return false;
        }
        response.sendRedirect(request.getContextPath() + PAGE);
        return false;
    }
}
