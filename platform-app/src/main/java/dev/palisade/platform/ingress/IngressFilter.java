package dev.palisade.platform.ingress;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The ingress on the platform port: a request whose host is {@code service.tenant.<apps domain>}
 * is proxied to the service's port inside its sandbox, over a connection the engine opens in the
 * sandbox's own network namespace ({@code Sandbox.connect}); the routing is {@link IngressRouter}'s.
 * Every other host is the console's and goes on to it. The sandbox itself keeps reaching nothing.
 * Runs before Spring Security (after the trusted-proxy filter): a hosted service is public, like
 * any web site, and answers for itself on its own site; it gets none of the platform's cookies or
 * credentials ({@link HopFilter}).
 */
class IngressFilter extends OncePerRequestFilter {

    private final IngressRouter router;

    IngressFilter(IngressRouter router) {
        this.router = router;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws ServletException, IOException {
        if (!router.serve(new ServletExchange(req, resp), req.getServerName(), req.getRequestURI())) {
            chain.doFilter(req, resp);
        }
    }
}
