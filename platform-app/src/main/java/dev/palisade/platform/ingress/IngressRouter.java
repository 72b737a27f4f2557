package dev.palisade.platform.ingress;

import dev.palisade.platform.edge.AppsSite;
import dev.palisade.platform.ops.InternalListener;
import dev.palisade.platform.service.ServiceProperties;
import dev.palisade.platform.service.ServiceRegistry;
import dev.palisade.platform.service.ServiceStore;
import java.io.IOException;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Where an ingress request goes, for either front (the platform port's {@link IngressFilter} and
 * the dedicated {@link LeanIngress}): the host {@code service.tenant.<apps domain>} ({@link AppsSite})
 * to the service's instance on this node, else to the node that runs it ({@link NodeRoutes}), else
 * a page saying why it does not run; any other name under the apps domain answers 404. A host
 * outside the apps domain is not the ingress's. This instance is the edge either way: it strips
 * what the client says about forwarding and what stays with the platform ({@link HopFilter}), sets
 * the forwarding headers, and counts the request.
 */
@Component
class IngressRouter {

    private final AppsSite apps;
    private final HopFilter hop;
    private final ServiceRegistry registry;
    private final NodeRoutes nodes;
    private final InternalListener internal;
    private final ServiceStore services;
    private final IngressStats stats;
    private final long queueTimeoutMillis;
    private final int readTimeout;

    IngressRouter(AppsSite apps, HopFilter hop, ServiceRegistry registry, NodeRoutes nodes, InternalListener internal,
            ServiceStore services, ServiceProperties properties, IngressStats stats) {
        this.apps = apps;
        this.hop = hop;
        this.registry = registry;
        this.nodes = nodes;
        this.internal = internal;
        this.services = services;
        this.stats = stats;
        this.queueTimeoutMillis = properties.queueTimeout().toMillis();
        this.readTimeout = (int) properties.readTimeout().toMillis();
    }

    /**
     * Answers the request if its host is the apps domain's and returns true; false (nothing sent)
     * if it is the platform's. {@code host}: the host name without port; {@code path}: as sent.
     */
    boolean serve(ClientExchange client, String host, String path) throws IOException {
        if (host == null || !apps.owns(host)) {
            return false;
        }
        Optional<AppsSite.Service> named = apps.service(host);
        if (named.isEmpty()) {
            Relay.page(client, 404, "No such service", "There is no service at this address; services answer at"
                    + " service.tenant." + apps.domain() + ".");
            return true;
        }
        proxy(client, named.get().tenant(), named.get().name(), path);
        return true;
    }

    String appsDomain() {
        return apps.domain();
    }

    private void proxy(ClientExchange client, String tenant, String service, String path)
            throws IOException {
        long start = System.nanoTime();
        int status = 503;
        try {
            // a second look only after a node answered that the service left it (nothing reached the client then)
            for (int look = 0; look < 2; look++) {
                // may wait for a service scaled to zero here to wake; a bounded number of requests wait
                ServiceRegistry.Lookup found = registry.lookup(tenant, service);
                if (found.queueFull()) {
                    status = wakeQueueFull(client, service);
                    return;
                }
                Optional<ServiceRegistry.Instance> local = found.instance();
                if (local.isPresent()) {
                    ServiceRegistry.Instance routed = local.get();
                    status = Relay.relay(client, service, path, new Relay.Upstream(routed.connections(),
                            HttpProxy.Forwarding.edge(hop), readTimeout, "Service " + service
                            + " is not accepting connections right now (it may be restarting).", () -> { },
                            () -> registry.route(tenant, service).filter(now -> now != routed).isPresent()),
                            registry.permits(tenant, service), queueTimeoutMillis);
                    if (status != HttpProxy.MISDIRECTED) {
                        return;
                    }
                    // a newer instance took this one's place while the request was on its way: send it there
                    continue;
                }
                Optional<NodeRoutes.Route> remote = nodes.route(tenant, service);
                if (remote.isEmpty()) {
                    break;
                }
                // the hop names the service in a header of the platform's own (never passed into the sandbox);
                // the node's own read timeout answers first (with its 504 page): this one only catches a node gone silent
                status = Relay.relay(client, service, path,
                        new Relay.Upstream(remote.get().connections(),
                        HttpProxy.Forwarding.toNode(hop, internal.secret(), tenant, service), readTimeout + 5000,
                        "Service " + service + " runs on another node, which cannot be reached right now.",
                        () -> nodes.failed(tenant, service)),
                        registry.permits(tenant, service), queueTimeoutMillis);
                if (status != HttpProxy.MISDIRECTED) {
                    return;
                }
                nodes.failed(tenant, service);
                if (client.contentLength() > 0 || client.chunked()) {
                    // its body went to that node already: it cannot be sent again
                    status = 503;
                    client.setHeader("Retry-After", "1");
                    Relay.page(client, 503, "Service unavailable", "Service " + service
                            + " moved to another node while this request was on its way; send it again.");
                    return;
                }
            }
            status = notRunning(client, tenant, service);
        } finally {
            stats.record(tenant, service, status, System.nanoTime() - start);
        }
    }

    /** Too many requests wait already for the service to wake: this one is told to come back. */
    static int wakeQueueFull(ClientExchange client, String service) throws IOException {
        client.setHeader("Retry-After", "1");
        Relay.page(client, 503, "Service unavailable", "Service " + service + " is starting after being idle, and "
                + "enough requests are waiting for it already; send this one again in a moment.");
        return 503;
    }

    private int notRunning(ClientExchange client, String tenant, String service) throws IOException {
        Optional<ServiceStore.Deployment> d = services.newest(tenant, service);
        if (d.isEmpty()) {
            Relay.page(client, 404, "No such service", "There is no service " + service + " of tenant " + tenant + ".");
            return 404;
        }
        String state = d.get().workloadState();
        String why = switch (state) {
            case "QUEUED" -> "is waiting for a worker to start it";
            case "RUNNING" -> switch (d.get().status()) {
                case STARTING, PENDING -> "is starting";
                case IDLE -> "was scaled to zero and is being started";
                case BACKOFF -> "stopped unexpectedly and is being restarted";
                case CRASH_LOOP -> "keeps crashing (crash loop); it is restarted with increasing delays";
                case HEALTHY -> internal.routesAcrossNodes() ? "is moving between nodes or stopping; try again shortly"
                        : "runs on another node, which this instance does not route to"
                        + " (palisade.node.internal-secret is not set)";
                case STOPPED -> "is stopping";
            };
            default -> "is not running (stopped" + (d.get().lastExit() == null ? "" : "; last: " + d.get().lastExit()) + ")";
        };
        client.setHeader("Retry-After", "5");
        Relay.page(client, 503, "Service unavailable", "Service " + service + " of tenant " + tenant + " " + why + ".");
        return 503;
    }
}
