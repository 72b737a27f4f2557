package dev.palisade.platform.ingress;

import dev.palisade.platform.customdomain.CustomDomains;
import dev.palisade.platform.edge.AppsSite;
import dev.palisade.platform.ops.InternalListener;
import dev.palisade.platform.service.ServiceProperties;
import dev.palisade.platform.service.RequestPermits;
import dev.palisade.platform.service.ServiceRegistry;
import dev.palisade.platform.service.ServiceStore;
import dev.palisade.platform.service.InstanceConnections;
import java.io.IOException;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.springframework.stereotype.Component;

/**
 * Where an ingress request goes, for either front (the platform port's {@link IngressFilter} and
 * the dedicated {@link NettyIngress}): the host {@code service.tenant.<apps domain>} ({@link AppsSite})
 * to the service's instance on this node, else to the node that runs it ({@link NodeRoutes}), else
 * a page saying why it does not run; any other name under the apps domain answers 404. A host
 * outside the apps domain is the ingress's when a tenant claimed it as a custom domain
 * ({@link CustomDomains}); any other is not. This instance is the edge either way: it strips
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
    private final CustomDomains domains;
    private final long queueTimeoutMillis;
    private final int readTimeout;

    IngressRouter(AppsSite apps, HopFilter hop, ServiceRegistry registry, NodeRoutes nodes, InternalListener internal,
            ServiceStore services, ServiceProperties properties, IngressStats stats, CustomDomains domains) {
        this.apps = apps;
        this.domains = domains;
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
        if (host == null) {
            return false;
        }
        Optional<CustomDomains.Route> custom = customDomain(host);
        if (custom.isPresent()) {
            Optional<String> challenge = "http".equals(client.scheme()) ? acmeChallenge(custom.get(), path)
                    : Optional.empty();
            if (challenge.isPresent()) {
                byte[] answer = challenge.get().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                client.status(200);
                client.setHeader("Content-Type", "text/plain");
                client.contentLength(answer.length);
                client.out().write(answer);
            } else {
                proxy(client, custom.get().tenant(), custom.get().service(), path);
            }
            return true;
        }
        if (!apps.owns(host)) {
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

    /**
     * Where a service's requests go now, for either front: into its instance on this node (one
     * scaled to zero here is woken first), else to the node that runs it; no target when it runs
     * nowhere ({@link #notRunning} says why), or a page to answer at once when too many requests
     * wait for it to wake. A future so that a service that must first be started answers later
     * without holding the caller's thread; the front calls {@link Target#finished} once the
     * exchange ended, whatever its outcome.
     */
    CompletableFuture<Routing> target(String tenant, String service) {
        return target(tenant, service, Set.of());
    }

    /**
     * As {@link #target(String, String)}, among the places this request was not {@code tried} at
     * already (they failed it): of the healthy instances here and the nodes that run others, the
     * one with the fewest requests in flight (per instance, for a node).
     */
    CompletableFuture<Routing> target(String tenant, String service, Set<UUID> tried) {
        CompletableFuture<ServiceRegistry.Lookup> local = registry.lookup(tenant, service, tried);
        if (local.isDone()) {
            return CompletableFuture.completedFuture(routing(tenant, service, local.join(), tried));
        }
        // it completes on the thread that routed the woken instance (or the timer's): the rest runs elsewhere
        return local.thenApplyAsync(found -> routing(tenant, service, found, tried));
    }

    private Routing routing(String tenant, String service, ServiceRegistry.Lookup found, Set<UUID> tried) {
        if (found.queueFull()) {
            return new Routing(Optional.empty(), wakeQueueFull(service));
        }
        Optional<NodeRoutes.Route> remote = nodes.route(tenant, service, tried, found.instance().isPresent());
        if (found.instance().isPresent()
                && (remote.isEmpty() || found.instance().get().inFlight().get() <= remote.get().load())) {
            ServiceRegistry.Instance routed = found.instance().get();
            routed.inFlight().incrementAndGet();
            return new Routing(Optional.of(new Target(tenant, service, routed.workload(), routed.connections(),
                    Map.of(), readTimeout, "Service " + service
                    + " is not accepting connections right now (it may be restarting).",
                    () -> registry.unreachable(routed),
                    () -> registry.instances(tenant, service).stream().anyMatch(i -> i != routed
                            && !tried.contains(i.workload())) || !nodes.routes(tenant, service, true).isEmpty(),
                    routed.inFlight()::decrementAndGet)), null);
        }
        return new Routing(remote.map(node -> {
            node.inFlight().incrementAndGet();
            return new Target(tenant, service, node.id(), node.connections(),
                    Map.of(InternalListener.SECRET_HEADER, internal.secret(), HttpProxy.SERVICE_HEADER, tenant + "/" + service),
                    // the node's own read timeout answers first (with its 504 page): this one only catches a node gone silent
                    readTimeout + 5000, "Service " + service + " runs on another node, which cannot be reached right now.",
                    () -> nodes.failed(tenant, service),
                    () -> nodes.routes(tenant, service, false).stream().anyMatch(r -> !r.address().equals(node.address())
                            && !tried.contains(r.id())) || !registry.instances(tenant, service).isEmpty(),
                    node.inFlight()::decrementAndGet);
        }), null);
    }

    /**
     * What {@link #target} found: where to send the request; else, when {@code refused} is null,
     * nowhere ({@link #notRunning}), or the page to answer instead.
     */
    record Routing(Optional<Target> target, Page refused) {
    }

    /**
     * One place a service's request can go. {@code hopHeaders}: headers of the platform's own for
     * the hop to another node (the node secret, the service's name), empty into a sandbox: a
     * target with them may answer {@link HttpProxy#MISDIRECTED}. {@code unreachable}: what the
     * client reads when it cannot be reached, {@code onUnreachable} who else must know then (an
     * instance goes out of rotation); {@code replaced}: another place serves the service too (look
     * again); {@code finished}: the
     * exchange routed here ended; {@code place}: the instance, or the node, for the places a request was tried at.
     */
    record Target(String tenant, String service, UUID place, InstanceConnections connections, Map<String, String> hopHeaders,
            int readTimeoutMillis, String unreachable, Runnable onUnreachable, BooleanSupplier replaced,
            Runnable finished) {

        boolean toNode() {
            return !hopHeaders.isEmpty();
        }

        @Override
        public String toString() {
            return "Target[" + tenant + "/" + service + (toNode() ? ", another node" : "") + "]";   // never the secret
        }
    }

    /** A short page the ingress answers itself, with {@code Retry-After} when not null. */
    record Page(int status, String title, String text, String retryAfter) {
    }

    /** The page for a request whose host is under the apps domain but names no service; null if it names one. */
    Page unknownSite(String host) {
        return apps.service(host).isPresent() ? null : new Page(404, "No such service",
                "There is no service at this address; services answer at service.tenant." + apps.domain() + ".", null);
    }

    /** Whether the host (without port) is the apps domain's, and so the ingress's. */
    boolean owns(String host) {
        return host != null && apps.owns(host);
    }

    /** The custom domain a host outside the apps domain is, if a tenant claimed it. */
    Optional<CustomDomains.Route> customDomain(String host) {
        return host == null || apps.owns(host) ? Optional.empty() : domains.route(host);
    }

    /** The key authorisation to answer an ACME HTTP-01 challenge at {@code path} for the domain, if it is one. */
    Optional<String> acmeChallenge(CustomDomains.Route route, String path) {
        if (!path.startsWith(CustomDomains.CHALLENGE_PATH)) {
            return Optional.empty();
        }
        return domains.challengeResponse(route, path.substring(CustomDomains.CHALLENGE_PATH.length()));
    }

    /** The service a host under the apps domain names. */
    Optional<AppsSite.Service> site(String host) {
        return apps.service(host);
    }

    /** The bound on one service's requests in flight, and how long a request may wait for one of them. */
    RequestPermits permits(String tenant, String service) {
        return registry.permits(tenant, service);
    }

    long queueTimeoutMillis() {
        return queueTimeoutMillis;
    }

    void record(String tenant, String service, int status, long nanos) {
        stats.record(tenant, service, status, nanos);
    }

    private void proxy(ClientExchange client, String tenant, String service, String path)
            throws IOException {
        long start = System.nanoTime();
        int status = 503;
        try {
            // another look only after a node answered that the service left it, or an instance could not be
            // reached while others serve (nothing reached the client then)
            Set<UUID> tried = new HashSet<>();
            for (int look = 0; look < 3; look++) {
                Routing found = target(tenant, service, tried).join();
                if (found.refused() != null) {
                    status = page(client, found.refused());
                    return;
                }
                if (found.target().isEmpty()) {
                    break;
                }
                Target t = found.target().get();
                try {
                    HttpProxy.Forwarding forwarding = t.toNode()
                            ? HttpProxy.Forwarding.toNode(hop, internal.secret(), tenant, service)
                            : HttpProxy.Forwarding.edge(hop);
                    status = Relay.relay(client, service, path, new Relay.Upstream(t.connections(), forwarding,
                            t.readTimeoutMillis(), t.unreachable(), t.onUnreachable(), t.replaced()),
                            registry.permits(tenant, service), queueTimeoutMillis);
                } finally {
                    t.finished().run();
                }
                if (status != HttpProxy.MISDIRECTED) {
                    return;
                }
                tried.add(t.place());
                if (t.toNode()) {
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
                // else a newer instance took this one's place while the request was on its way: send it there
            }
            status = notRunning(client, tenant, service);
        } finally {
            stats.record(tenant, service, status, System.nanoTime() - start);
        }
    }

    /** Too many requests wait already for the service to wake: this one is told to come back. */
    static Page wakeQueueFull(String service) {
        return new Page(503, "Service unavailable", "Service " + service + " is starting after being idle, and "
                + "enough requests are waiting for it already; send this one again in a moment.", "1");
    }

    private int notRunning(ClientExchange client, String tenant, String service) throws IOException {
        return page(client, notRunning(tenant, service));
    }

    static int page(ClientExchange client, Page p) throws IOException {
        if (p.retryAfter() != null) {
            client.setHeader("Retry-After", p.retryAfter());
        }
        Relay.page(client, p.status(), p.title(), p.text());
        return p.status();
    }

    /** Why a service that {@link #target} found nowhere does not answer: 404 when there is none, else 503. */
    Page notRunning(String tenant, String service) {
        Optional<ServiceStore.Deployment> d = services.newest(tenant, service);
        if (d.isEmpty()) {
            return new Page(404, "No such service", "There is no service " + service + " of tenant " + tenant + ".", null);
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
        return new Page(503, "Service unavailable", "Service " + service + " of tenant " + tenant + " " + why + ".", "5");
    }
}
