package dev.palisade.platform.ops;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * On a {@link NodeRole#WORKER} node, everything but {@code /actuator/**} answers 404 before
 * security or any controller runs: a worker holds the sandboxes and root privileges, so it
 * exposes no login form, no API and no console, only health and metrics.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
class WorkerOnlyFilter extends OncePerRequestFilter {

    private final NodeProperties node;

    WorkerOnlyFilter(NodeProperties node) {
        this.node = node;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return node.role().servesApi() || path.equals("/actuator") || path.startsWith("/actuator/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        response.setStatus(HttpServletResponse.SC_NOT_FOUND);
        response.setContentType("application/problem+json");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write("{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,"
                + "\"detail\":\"This is a worker node: it serves only /actuator/health and /actuator/prometheus\"}");
    }
}
