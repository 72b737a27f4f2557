package dev.palisade.platform.service;

import dev.palisade.sandbox.Sandbox;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.stereotype.Component;

/**
 * The services this node runs and the ingress may route to now: per {@code tenant/service}, the
 * healthy instance that receives requests (during a redeploy the old one until the new one is
 * healthy), the per-service concurrency bound shared by its instances, and the services scaled
 * to zero here, which the next request wakes and waits for (a bounded number of waiting requests).
 */
@Component
public class ServiceRegistry {

    /** One running sandbox of a deployment, with the connections the ingress keeps open into it. */
    public record Instance(UUID workload, String tenant, String service, int port, Sandbox sandbox,
            InstanceConnections connections, AtomicLong lastRequestNanos, long startedNanos) {

        public Instance(UUID workload, String tenant, String service, int port, Sandbox sandbox,
                InstanceConnections connections) {
            this(workload, tenant, service, port, sandbox, connections, new AtomicLong(System.nanoTime()),
                    System.nanoTime());
        }
    }

    /** What a route look-up found: the instance, nothing here, or a waking service with too many requests waiting. */
    public record Lookup(Optional<Instance> instance, boolean queueFull) {

        static final Lookup NONE = new Lookup(Optional.empty(), false);
        static final Lookup FULL = new Lookup(Optional.empty(), true);

        static Lookup of(Instance i) {
            return new Lookup(Optional.of(i), false);
        }
    }

    /**
     * A deployment scaled to zero on this node: its runner waits for {@link #wake}; requests wait
     * for it as futures, completed when the instance is routed, the deployment stops, or their
     * time is up, so that no thread (a Netty event loop least of all) is held while it starts.
     */
    static final class Sleeper {
        private final UUID workload;
        private final List<CompletableFuture<Lookup>> waiting = new ArrayList<>();
        private boolean released;
        private boolean wakeAsked;
        private long askedNanos;

        Sleeper(UUID workload) {
            this.workload = workload;
        }

        UUID workload() {
            return workload;
        }

        /** The runner's side: waits until a request asks for the service, or {@code millis} pass. */
        synchronized boolean awaitWake(long millis) throws InterruptedException {
            long end = System.nanoTime() + millis * 1_000_000;
            while (!wakeAsked) {
                long left = (end - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return false;
                }
                wait(left);
            }
            return true;
        }

        /** When the first request asked for the service (System.nanoTime), 0 before. */
        synchronized long askedNanos() {
            return askedNanos;
        }

        /** A request's side: a future for the instance, or null when {@code max} requests wait already. */
        private synchronized CompletableFuture<Lookup> join(int max) {
            if (released) {
                return CompletableFuture.completedFuture(Lookup.NONE);
            }
            if (waiting.size() >= max) {
                return null;
            }
            CompletableFuture<Lookup> f = new CompletableFuture<>();
            waiting.add(f);
            if (!wakeAsked) {
                wakeAsked = true;
                askedNanos = System.nanoTime();
            }
            notifyAll();
            return f;
        }

        private synchronized void leave(CompletableFuture<Lookup> f) {
            waiting.remove(f);
        }

        /** The instance is routed ({@code i}) or the deployment stopped (null): every waiting request gets its answer. */
        void release(Instance i) {
            List<CompletableFuture<Lookup>> answered;
            synchronized (this) {
                released = true;
                answered = new ArrayList<>(waiting);
                waiting.clear();
                notifyAll();
            }
            // completed outside the monitor: what each request does next runs on this thread
            for (CompletableFuture<Lookup> f : answered) {
                if (i != null) {
                    i.lastRequestNanos().set(System.nanoTime());
                }
                f.complete(i == null ? Lookup.NONE : Lookup.of(i));
            }
        }
    }

    private final Map<String, Instance> routes = new ConcurrentHashMap<>();
    private final Map<String, Semaphore> permits = new ConcurrentHashMap<>();
    private final Map<String, Sleeper> sleeping = new ConcurrentHashMap<>();
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

    /**
     * The instance to send a request to, as {@link #route}, and the request counts as activity
     * (a service that scales to zero idles only without any). A service scaled to zero on this
     * node is woken, and the future completes once it turns healthy, or empty after
     * {@code palisade.services.wake-timeout}; past {@code wake-queue} requests waiting, at once
     * with {@link Lookup#queueFull}. Nothing blocks: the caller decides where to wait.
     */
    public CompletableFuture<Lookup> lookup(String tenant, String service) {
        String key = key(tenant, service);
        Instance i = routes.get(key);
        if (i != null) {
            i.lastRequestNanos().set(System.nanoTime());
            return CompletableFuture.completedFuture(Lookup.of(i));
        }
        Sleeper s = sleeping.get(key);
        if (s == null) {
            return CompletableFuture.completedFuture(Lookup.NONE);
        }
        CompletableFuture<Lookup> f = s.join(properties.wakeQueue());
        if (f == null) {
            return CompletableFuture.completedFuture(Lookup.FULL);
        }
        if (f.isDone()) {
            // it was routed (or stopped) between the two looks
            i = routes.get(key);
            if (i != null) {
                i.lastRequestNanos().set(System.nanoTime());
                return CompletableFuture.completedFuture(Lookup.of(i));
            }
            return f;
        }
        f.completeOnTimeout(Lookup.NONE, properties.wakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        f.whenComplete((found, e) -> s.leave(f));
        return f;
    }

    /** The bound on requests in flight to one service, whatever instance serves them. */
    public Semaphore permits(String tenant, String service) {
        return permits.computeIfAbsent(key(tenant, service), k -> new Semaphore(properties.maxConcurrentRequests()));
    }

    /** Whether requests to this service are in flight now (one that runs longer than the idle timeout keeps it up). */
    boolean busy(String tenant, String service) {
        Semaphore p = permits.get(key(tenant, service));
        return p != null && p.availablePermits() < properties.maxConcurrentRequests();
    }

    void routeTo(Instance i) {
        String key = key(i.tenant(), i.service());
        routes.put(key, i);
        Sleeper s = sleeping.get(key);
        if (s != null && s.workload().equals(i.workload()) && sleeping.remove(key, s)) {
            s.release(i);
        }
    }

    /** The deployment is scaled to zero here: requests wake it through the returned sleeper. */
    Sleeper sleep(String tenant, String service, UUID workload) {
        Sleeper s = new Sleeper(workload);
        sleeping.put(key(tenant, service), s);
        return s;
    }

    /** The deployment stopped while asleep or waking: requests waiting for it give up now. */
    void forget(String tenant, String service, Sleeper s) {
        if (s != null && sleeping.remove(key(tenant, service), s)) {
            s.release(null);
        }
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
