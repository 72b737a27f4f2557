package dev.palisade.platform.ingress;

import dev.palisade.platform.ops.InternalListener;
import dev.palisade.platform.service.ServiceProperties;
import dev.palisade.platform.service.ServiceRegistry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The receiving end of a forwarded ingress request, on the internal listener only: every request
 * that arrives there is answered here, before any other filter, and nothing else of the
 * application (API, console, actuator) is reachable on that port. A request without the shared
 * node secret, or with a wrong one, is refused with 403; an authenticated one names its service
 * in {@code X-Palisade-Service: tenant/service} (a header of the platform's own, never passed into
 * the sandbox) and is relayed, path as the client sent it, into that service's sandbox on this
 * node with the edge's forwarding headers as they came (the edge already dropped the client's
 * own). A
 * service that does not run here (it stopped or moved since the edge looked), or whose instances
 * here cannot be reached (each is then out of rotation), is answered 421, on which the edge looks
 * again, on other nodes. The edge counts the request; this end does not count it again.
 */
class InternalIngressFilter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(InternalIngressFilter.class);

    /** Instances of the service on this node tried in turn before the edge is sent elsewhere. */
    private static final int MAX_LOOKS = 3;

    private static final Pattern SERVICE = Pattern.compile("([a-z0-9][a-z0-9-]{0,39})/([a-z0-9][a-z0-9-]{0,39})");

    private final InternalListener internal;
    private final ServiceRegistry registry;
    private final HopFilter hop;
    private final long queueTimeoutMillis;
    private final int readTimeout;

    InternalIngressFilter(InternalListener internal, ServiceRegistry registry, HopFilter hop,
            ServiceProperties properties) {
        this.internal = internal;
        this.registry = registry;
        this.hop = hop;
        this.queueTimeoutMillis = properties.queueTimeout().toMillis();
        this.readTimeout = (int) properties.readTimeout().toMillis();
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !internal.arrivedOn(request);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws ServletException, IOException {
        ServletExchange client = new ServletExchange(req, resp);
        if (!internal.secretMatches(req.getHeader(InternalListener.SECRET_HEADER))) {
            log.warn("Refused a request on the internal listener from {}: {} node secret", req.getRemoteAddr(),
                    req.getHeader(InternalListener.SECRET_HEADER) == null ? "no" : "a wrong");
            Relay.page(client, 403, "Forbidden", "This listener takes requests from Palisade instances only.");
            return;
        }
        String named = req.getHeader(HttpProxy.SERVICE_HEADER);
        Matcher m = SERVICE.matcher(named == null ? "" : named);
        if (!m.matches()) {
            Relay.page(client, 404, "No such service", "A forwarded request names its service in "
                    + HttpProxy.SERVICE_HEADER + ": tenant/service.");
            return;
        }
        String tenant = m.group(1), service = m.group(2), path = req.getRequestURI();
        // an instance here that cannot be reached (nothing was sent to it) gives way to another one here, and
        // when none is left the edge is told to look elsewhere: it may run on another node too
        Set<UUID> tried = new HashSet<>();
        for (int look = 0; look < MAX_LOOKS; look++) {
            // a request thread of the internal listener may wait here for a service scaled to zero to wake
            ServiceRegistry.Lookup found = registry.lookup(tenant, service, tried).join();
            if (found.queueFull()) {
                IngressRouter.page(client, IngressRouter.wakeQueueFull(service));
                return;
            }
            Optional<ServiceRegistry.Instance> instance = found.instance();
            if (instance.isEmpty()) {
                break;
            }
            ServiceRegistry.Instance routed = instance.get();
            routed.inFlight().incrementAndGet();
            int status;
            try {
                status = Relay.relay(client, service, path, new Relay.Upstream(routed.connections(),
                        HttpProxy.Forwarding.passOn(hop), readTimeout, "Service " + service
                        + " is not accepting connections right now (it may be restarting).",
                        () -> registry.unreachable(routed), () -> true), registry.permits(tenant, service),
                        queueTimeoutMillis);
            } finally {
                routed.inFlight().decrementAndGet();
            }
            if (status != HttpProxy.MISDIRECTED) {
                return;
            }
            tried.add(routed.workload());
        }
        // it stopped or moved since the edge looked, or no instance here answers: the edge looks again (and never
        // shows this page)
        Relay.page(client, HttpProxy.MISDIRECTED, "Misdirected request", "Service " + service + " of tenant " + tenant
                + (tried.isEmpty() ? " does not run on this node." : " cannot be reached on this node."));
    }
}
