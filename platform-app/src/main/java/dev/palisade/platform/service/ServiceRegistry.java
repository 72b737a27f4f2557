package dev.palisade.platform.service;

import dev.palisade.sandbox.Sandbox;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import org.springframework.stereotype.Component;

/**
 * The services this node runs and the ingress may route to now: per {@code tenant/service}, the
 * healthy instance that receives requests (during a redeploy the old one until the new one is
 * healthy), and the per-service concurrency bound shared by its instances.
 */
@Component
public class ServiceRegistry {

    /** One running sandbox of a deployment, with the connections the ingress keeps open into it. */
    public record Instance(UUID workload, String tenant, String service, int port, Sandbox sandbox,
            InstanceConnections connections) {
    }

    private final Map<String, Instance> routes = new ConcurrentHashMap<>();
    private final Map<String, Semaphore> permits = new ConcurrentHashMap<>();
    private final ServiceProperties properties;

    ServiceRegistry(ServiceProperties properties) {
        this.properties = properties;
    }

    private static String key(String tenant, String service) {
        return tenant + "/" + service;
    }

    /** The instance that receives this service's requests, if it runs healthy on this node. */
    public Optional<Instance> route(String tenant, String service) {
        return Optional.ofNullable(routes.get(key(tenant, service)));
    }

    /** The bound on requests in flight to one service, whatever instance serves them. */
    public Semaphore permits(String tenant, String service) {
        return permits.computeIfAbsent(key(tenant, service), k -> new Semaphore(properties.maxConcurrentRequests()));
    }

    void routeTo(Instance i) {
        routes.put(key(i.tenant(), i.service()), i);
    }

    /**
     * Stops routing to this instance (unless a newer one took its place already) and closes the
     * connections kept into it: once it stops, none of them may serve another request.
     */
    void unroute(Instance i) {
        routes.remove(key(i.tenant(), i.service()), i);
        i.connections().close();
    }
}
