package dev.palisade.platform.security;

import dev.palisade.model.user.UserService;
import dev.palisade.platform.sso.TenantLoginPolicy;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.stereotype.Component;

/**
 * Console sessions outlive the login that made them; this ends one at the next request when its
 * user was deleted, its tenant suspended or its password changed (as tokens stop at once too),
 * and a password login's once its tenant turned local passwords off.
 * Not registered as a servlet filter by itself: only the console chain runs it.
 */
@Component
class SessionRevalidationFilter extends OncePerRequestFilter {

    private final UserService users;
    private final TenantLoginPolicy loginPolicy;

    SessionRevalidationFilter(UserService users, TenantLoginPolicy loginPolicy) {
        this.users = users;
        this.loginPolicy = loginPolicy;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        if (auth != null && auth.getPrincipal() instanceof PalisadeUserDetails user) {
            boolean stillValid = users.findForLogin(user.getUsername())
                    .filter(u -> u.id() == user.caller().userId() && u.tenantActive()
                            && PalisadeUserDetails.stamp(u.passwordHash()).equals(user.passwordStamp()))
                    .isPresent()
                    && (user.singleSignOn() || loginPolicy.localPasswordsAllowed(user.caller().tenantId()));
            if (!stillValid) {
                SecurityContextHolder.clearContext();
                HttpSession session = request.getSession(false);
                if (session != null) {
                    session.invalidate();
                }
            }
        }
        chain.doFilter(request, response);
    }
}
