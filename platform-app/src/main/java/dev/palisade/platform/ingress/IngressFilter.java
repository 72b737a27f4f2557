package dev.palisade.platform.ingress;

import dev.palisade.platform.ops.InternalListener;
import dev.palisade.platform.service.ServiceProperties;
import dev.palisade.platform.service.ServiceRegistry;
import dev.palisade.platform.service.ServiceStore;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The ingress: {@code /apps/{tenant}/{service}/…} (and, with {@code palisade.services.apps-domain}
 * set, the host {@code service.tenant.<apps-domain>}) is proxied to the service's port inside
 * its sandbox, over a connection the engine opens in the sandbox's own network namespace
 * ({@code Sandbox.connect}). The sandbox itself keeps reaching nothing. A service that runs on
 * another node is reached through that node's internal listener ({@link NodeRoutes},
 * {@link InternalIngressFilter}); this instance is the edge either way: it strips what the client
 * says about forwarding, sets the forwarding headers, and counts the request. Runs before Spring
 * Security: a hosted service is public, like any web site, and answers for itself; the
 * platform's cookies and tokens are never involved (the console's session cookie is scoped to
 * the platform, and services get no credentials of ours).
 */
class IngressFilter extends OncePerRequestFilter {

    static final String PREFIX = "/apps/";
    static final Pattern PATH = Pattern.compile("/apps/([a-z0-9][a-z0-9-]{0,39})/([a-z0-9][a-z0-9-]{0,39})(/.*)?");

    private final ServiceRegistry registry;
    private final NodeRoutes nodes;
    private final InternalListener internal;
    private final ServiceStore services;
    private final ServiceProperties properties;
    private final IngressStats stats;
    private final long queueTimeoutMillis;
    private final int readTimeout;

    IngressFilter(ServiceRegistry registry, NodeRoutes nodes, InternalListener internal, ServiceStore services,
            ServiceProperties properties, IngressStats stats) {
        this.registry = registry;
        this.nodes = nodes;
        this.internal = internal;
        this.services = services;
        this.properties = properties;
        this.stats = stats;
        this.queueTimeoutMillis = properties.queueTimeout().toMillis();
        this.readTimeout = (int) properties.readTimeout().toMillis();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws ServletException, IOException {
        String raw = req.getRequestURI();
        String domain = properties.appsDomain();
        if (domain != null && !domain.isBlank()) {
            String host = hostOnly(req.getServerName());
            String suffix = "." + domain.toLowerCase(Locale.ROOT);
            if (host.endsWith(suffix)) {
                String[] labels = host.substring(0, host.length() - suffix.length()).split("\\.");
                if (labels.length == 2) {
                    proxy(req, resp, labels[1], labels[0], raw, "");
                } else {
                    Relay.page(resp, 404, "No such service", "There is no service at this address.");
                }
                return;
            }
        }
        if (!raw.startsWith(PREFIX)) {
            chain.doFilter(req, resp);
            return;
        }
        // route on the container's decoded, normalised path; the raw one must agree (no dot segments or encoded slashes)
        String normalised = req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo());
        Matcher n = PATH.matcher(normalised);
        Matcher r = PATH.matcher(raw);
        if (!n.matches() || !r.matches() || !n.group(1).equals(r.group(1)) || !n.group(2).equals(r.group(2))) {
            Relay.page(resp, 404, "No such service", "Service addresses look like /apps/tenant/service/.");
            return;
        }
        String tenant = r.group(1), service = r.group(2);
        String prefix = "/apps/" + tenant + "/" + service;
        if (r.group(3) == null) {
            resp.setStatus(308);
            resp.setHeader("Location", prefix + "/" + (req.getQueryString() == null ? "" : "?" + req.getQueryString()));
            return;
        }
        proxy(req, resp, tenant, service, r.group(3), prefix);
    }

    private void proxy(HttpServletRequest req, HttpServletResponse resp, String tenant, String service, String path,
            String prefix) throws IOException {
        long start = System.nanoTime();
        int status = 503;
        try {
            // a second look only after a node answered that the service left it (nothing reached the client then)
            for (int look = 0; look < 2; look++) {
                Optional<ServiceRegistry.Instance> local = registry.route(tenant, service);
                if (local.isPresent()) {
                    status = Relay.relay(req, resp, service, path, new Relay.Upstream(local.get().connections(),
                            HttpProxy.Forwarding.edge(prefix), readTimeout, "Service " + service
                            + " is not accepting connections right now (it may be restarting).", () -> { }),
                            registry.permits(tenant, service), queueTimeoutMillis);
                    return;
                }
                Optional<NodeRoutes.Route> remote = nodes.route(tenant, service);
                if (remote.isEmpty()) {
                    break;
                }
                // the hop names the service in its path, whichever form the client used: /apps/{tenant}/{service}/…;
                // the node's own read timeout answers first (with its 504 page): this one only catches a node gone silent
                status = Relay.relay(req, resp, service, "/apps/" + tenant + "/" + service + path,
                        new Relay.Upstream(remote.get().connections(),
                        HttpProxy.Forwarding.toNode(prefix, internal.secret()), readTimeout + 5000,
                        "Service " + service + " runs on another node, which cannot be reached right now.",
                        () -> nodes.failed(tenant, service)),
                        registry.permits(tenant, service), queueTimeoutMillis);
                if (status != HttpProxy.MISDIRECTED) {
                    return;
                }
                nodes.failed(tenant, service);
                if (req.getContentLengthLong() > 0 || req.getHeader("Transfer-Encoding") != null) {
                    // its body went to that node already: it cannot be sent again
                    status = 503;
                    resp.setHeader("Retry-After", "1");
                    Relay.page(resp, 503, "Service unavailable", "Service " + service
                            + " moved to another node while this request was on its way; send it again.");
                    return;
                }
            }
            status = notRunning(resp, tenant, service);
        } finally {
            stats.record(tenant, service, status, System.nanoTime() - start);
        }
    }

    private int notRunning(HttpServletResponse resp, String tenant, String service) throws IOException {
        Optional<ServiceStore.Deployment> d = services.newest(tenant, service);
        if (d.isEmpty()) {
            Relay.page(resp, 404, "No such service", "There is no service " + service + " of tenant " + tenant + ".");
            return 404;
        }
        String state = d.get().workloadState();
        String why = switch (state) {
            case "QUEUED" -> "is waiting for a worker to start it";
            case "RUNNING" -> switch (d.get().status()) {
                case STARTING, PENDING -> "is starting";
                case BACKOFF -> "stopped unexpectedly and is being restarted";
                case CRASH_LOOP -> "keeps crashing (crash loop); it is restarted with increasing delays";
                case HEALTHY -> internal.routesAcrossNodes() ? "is moving between nodes or stopping; try again shortly"
                        : "runs on another node, which this instance does not route to"
                        + " (palisade.node.internal-secret is not set)";
                case STOPPED -> "is stopping";
            };
            default -> "is not running (stopped" + (d.get().lastExit() == null ? "" : "; last: " + d.get().lastExit()) + ")";
        };
        resp.setHeader("Retry-After", "5");
        Relay.page(resp, 503, "Service unavailable", "Service " + service + " of tenant " + tenant + " " + why + ".");
        return 503;
    }

    private static String hostOnly(String host) {
        return host == null ? "" : host.toLowerCase(Locale.ROOT);
    }
}
