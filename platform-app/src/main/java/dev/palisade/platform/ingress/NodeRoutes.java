package dev.palisade.platform.ingress;

import dev.palisade.platform.ops.InternalListener;
import dev.palisade.platform.service.InstanceConnections;
import dev.palisade.platform.service.ServiceProperties;
import dev.palisade.platform.service.ServiceStore;
import dev.palisade.sandbox.nativeinterop.TcpConnection;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Component;

/**
 * Where a service runs on other nodes: the internal listeners of the nodes that hold the leases of
 * its healthy instances, as the node table publishes them, each with the requests this instance
 * has in flight there; a request goes to the one with the fewest per instance it runs. Looked up
 * in PostgreSQL and kept for {@code palisade.services.route-cache-ttl} (2 s), and dropped at once
 * when a hop to a node fails or the node answers that the service left it (a stop, a redeploy, a
 * lease moving to another node). One pool of kept-alive connections per node, whichever services
 * they carry.
 */
@Component
class NodeRoutes implements AutoCloseable {

    /**
     * A node to forward a service's requests to: how many of its instances run there, and the
     * requests this instance has in flight to them.
     */
    record Route(String address, InstanceConnections connections, int instances, AtomicInteger inFlight) {

        /** Requests in flight per instance there: what least-in-flight compares. */
        double load() {
            return inFlight.get() / (double) Math.max(1, instances);
        }

        /** Stands for the node among the places a request was tried. */
        UUID id() {
            return UUID.nameUUIDFromBytes(address.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private record Cached(List<ServiceStore.Placement> placements, long until) {
    }

    private final ServiceStore services;
    private final ServiceProperties properties;
    private final InternalListener internal;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private final Map<String, InstanceConnections> pools = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    NodeRoutes(ServiceStore services, ServiceProperties properties, InternalListener internal) {
        this.services = services;
        this.properties = properties;
        this.internal = internal;
    }

    /**
     * The node to forward to, if requests are routed across nodes and healthy instances run on
     * another one: of those not {@code tried} for this request, the one with the fewest requests in
     * flight per instance.
     */
    Optional<Route> route(String tenant, String service, Set<UUID> tried, boolean local) {
        return routes(tenant, service, local).stream().filter(r -> !tried.contains(r.id()))
                .min(Comparator.comparingDouble(Route::load));
    }

    /**
     * Every other node that runs healthy instances of the service, as far as routing across nodes
     * is on. {@code local}: this node has one too, so that "none elsewhere" may be an answer kept
     * for the cache's time; without one it is looked up again at once, so that a deployment that
     * turns healthy elsewhere is routed to at once.
     */
    List<Route> routes(String tenant, String service, boolean local) {
        if (!internal.routesAcrossNodes()) {
            return List.of();
        }
        String key = tenant + "/" + service;
        Cached c = cache.get(key);
        if (c == null || System.nanoTime() - c.until() > 0 || c.placements().isEmpty() && !local) {
            String self = internal.address().orElse(null);
            List<ServiceStore.Placement> p = services.healthyPlacements(tenant, service).stream()
                    .filter(x -> !x.ingressAddress().equals(self)).toList();
            c = new Cached(p, System.nanoTime() + properties.routeCacheTtl().toNanos());
            cache.put(key, c);
        }
        List<Route> routes = new ArrayList<>(c.placements().size());
        for (ServiceStore.Placement p : c.placements()) {
            String address = p.ingressAddress();
            routes.add(new Route(address, pools.computeIfAbsent(address, a -> new InstanceConnections(
                    () -> open(a), properties.idleConnections(), properties.idleConnectionTime())), p.instances(),
                    inFlight.computeIfAbsent(key + "@" + address, k -> new AtomicInteger())));
        }
        return routes;
    }

    /**
     * A hop failed (the node was unreachable, or answered that the service is not there): look
     * the service up again at once. A dead node's kept connections fail the pool's own check.
     */
    void failed(String tenant, String service) {
        cache.remove(tenant + "/" + service);
    }

    private TcpConnection open(String address) throws IOException {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new IOException("malformed node address");
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IOException("malformed node address");
        }
        if (port < 1 || port > 65535) {
            throw new IOException("malformed node address");
        }
        return TcpConnection.open(InetAddress.getByName(host), port, (int) properties.connectTimeout().toMillis());
    }

    @Override
    public void close() {
        pools.values().forEach(InstanceConnections::close);
        pools.clear();
    }
}
