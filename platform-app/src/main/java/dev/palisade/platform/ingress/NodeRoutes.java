package dev.palisade.platform.ingress;

import dev.palisade.platform.ops.InternalListener;
import dev.palisade.platform.service.InstanceConnections;
import dev.palisade.platform.service.ServiceProperties;
import dev.palisade.platform.service.ServiceStore;
import dev.palisade.sandbox.nativeinterop.TcpConnection;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * Where a service that does not run on this instance runs: the internal listener of the node
 * that holds the lease of its newest healthy deployment, as the node table publishes it. Looked
 * up in PostgreSQL and kept for {@code palisade.services.route-cache-ttl} (2 s), and dropped at
 * once when a hop to that node fails or the node answers that the service left it (a stop, a
 * redeploy, a lease moving to another node). One pool of
 * kept-alive connections per node, whichever services they carry.
 */
@Component
class NodeRoutes implements AutoCloseable {

    /** A node to forward a service's requests to. */
    record Route(String address, InstanceConnections connections) {
    }

    private record Cached(String address, long until) {
    }

    private final ServiceStore services;
    private final ServiceProperties properties;
    private final InternalListener internal;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private final Map<String, InstanceConnections> pools = new ConcurrentHashMap<>();

    NodeRoutes(ServiceStore services, ServiceProperties properties, InternalListener internal) {
        this.services = services;
        this.properties = properties;
        this.internal = internal;
    }

    /** The node to forward to, if requests are routed across nodes and a healthy deployment runs on one. */
    Optional<Route> route(String tenant, String service) {
        if (!internal.routesAcrossNodes()) {
            return Optional.empty();
        }
        String key = tenant + "/" + service;
        Cached c = cache.get(key);
        if (c == null || System.nanoTime() - c.until() > 0) {
            Optional<ServiceStore.Placement> p = services.healthyPlacement(tenant, service);
            if (p.isEmpty()) {
                cache.remove(key);
                return Optional.empty();   // not cached: a deployment that turns healthy is routed to at once
            }
            c = new Cached(p.get().ingressAddress(), System.nanoTime() + properties.routeCacheTtl().toNanos());
            cache.put(key, c);
        }
        String address = c.address();
        return Optional.of(new Route(address, pools.computeIfAbsent(address, a -> new InstanceConnections(
                () -> open(a), properties.idleConnections(), properties.idleConnectionTime()))));
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
