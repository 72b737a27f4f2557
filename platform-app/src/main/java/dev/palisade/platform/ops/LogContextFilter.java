package dev.palisade.platform.ops;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.MDC;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Puts the tenant slug and the workload id of an API call into the logging context (MDC keys
 * {@value #TENANT} and {@value #WORKLOAD}), so that every line logged while serving it carries
 * them; with {@code logging.structured.format.console=ecs} they become fields of the JSON line.
 * Only identifiers from the path go in: never headers, bodies or credentials.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 5)
public class LogContextFilter extends OncePerRequestFilter {

    public static final String TENANT = "tenant";
    public static final String WORKLOAD = "workload";

    private static final Pattern TENANT_PATH = Pattern.compile(
            "^/api/v1/tenants/([a-z0-9][a-z0-9-]{0,39})(?:/workloads/([0-9a-fA-F-]{36}))?(?:/.*)?$");

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        Matcher m = TENANT_PATH.matcher(request.getRequestURI().substring(request.getContextPath().length()));
        if (!m.matches()) {
            chain.doFilter(request, response);
            return;
        }
        try (MDC.MDCCloseable tenant = MDC.putCloseable(TENANT, m.group(1));
                MDC.MDCCloseable workload = m.group(2) != null ? MDC.putCloseable(WORKLOAD, m.group(2)) : null) {
            chain.doFilter(request, response);
        }
    }

    @Override
    protected boolean shouldNotFilterAsyncDispatch() {
        return false;
    }
}
