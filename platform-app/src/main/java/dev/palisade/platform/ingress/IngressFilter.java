package dev.palisade.platform.ingress;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The ingress on the platform port: {@code /apps/{tenant}/{service}/…} (and, with
 * {@code palisade.services.apps-domain} set, the host {@code service.tenant.<apps-domain>}) is
 * proxied to the service's port inside its sandbox, over a connection the engine opens in the
 * sandbox's own network namespace ({@code Sandbox.connect}); the routing is {@link IngressRouter}'s.
 * The sandbox itself keeps reaching nothing. Runs before Spring Security: a hosted service is
 * public, like any web site, and answers for itself; the platform's cookies and tokens are never
 * involved (the console's session cookie is scoped to the platform, and services get no
 * credentials of ours).
 */
class IngressFilter extends OncePerRequestFilter {

    private final IngressRouter router;

    IngressFilter(IngressRouter router) {
        this.router = router;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws ServletException, IOException {
        String normalised = req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo());
        if (!router.serve(new ServletExchange(req, resp), req.getServerName(), req.getRequestURI(), normalised)) {
            chain.doFilter(req, resp);
        }
    }
}
