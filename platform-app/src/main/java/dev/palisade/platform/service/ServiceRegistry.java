package dev.palisade.platform.service;

import dev.palisade.sandbox.Sandbox;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.stereotype.Component;

/**
 * The services this node runs and the ingress may route to now: per {@code tenant/service}, the
 * healthy instances that receive requests (during a redeploy those of both deployments), each
 * request to the one with the fewest in flight; the per-service concurrency bound shared by its
 * instances; and the instances scaled to zero here, of which the next request wakes one and waits
 * for it (a bounded number of waiting requests). An instance the ingress could not reach is out of
 * rotation until its runner finds it healthy again.
 */
@Component
public class ServiceRegistry {

    /**
     * One running sandbox of a deployment's instance, with the connections the ingress keeps open
     * into it, the requests in flight to it, and whether the ingress found it unreachable (out of
     * rotation until its runner probes it healthy again).
     */
    public record Instance(UUID workload, String tenant, String service, int port, Sandbox sandbox,
            InstanceConnections connections, AtomicLong lastRequestNanos, long startedNanos, AtomicInteger inFlight,
            AtomicBoolean unreachable) {

        public Instance(UUID workload, String tenant, String service, int port, Sandbox sandbox,
                InstanceConnections connections) {
            this(workload, tenant, service, port, sandbox, connections, new AtomicLong(System.nanoTime()),
                    System.nanoTime(), new AtomicInteger(), new AtomicBoolean());
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

        /**
         * Another instance of the service turned healthy: the requests waiting for this one go
         * there (this one still wakes, as they asked).
         */
        void answerWaiting(Instance i) {
            List<CompletableFuture<Lookup>> answered;
            synchronized (this) {
                answered = new ArrayList<>(waiting);
                waiting.clear();
            }
            for (CompletableFuture<Lookup> f : answered) {
                i.lastRequestNanos().set(System.nanoTime());
                f.complete(Lookup.of(i));
            }
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

    private final Map<String, CopyOnWriteArrayList<Instance>> routes = new ConcurrentHashMap<>();
    private final Map<String, RequestPermits> permits = new ConcurrentHashMap<>();
    private final Map<String, List<Sleeper>> sleeping = new ConcurrentHashMap<>();
    /** Where the search for the least busy instance starts, turning: equally busy instances take turns. */
    private final AtomicInteger turn = new AtomicInteger();
    private final ServiceProperties properties;

    ServiceRegistry(ServiceProperties properties) {
        this.properties = properties;
    }

    private static String key(String tenant, String service) {
        return tenant + "/" + service;
    }

    /** The instance that would receive this service's next request, if one runs healthy on this node. */
    public Optional<Instance> route(String tenant, String service) {
        return Optional.ofNullable(leastBusy(routes.get(key(tenant, service)), Set.of()));
    }

    /** Every instance of the service routed to on this node now. */
    public List<Instance> instances(String tenant, String service) {
        List<Instance> pool = routes.get(key(tenant, service));
        return pool == null ? List.of() : List.copyOf(pool);
    }

    /** The routed instance with the fewest requests in flight, not one of {@code tried}; null when none. */
    private Instance leastBusy(List<Instance> pool, Set<UUID> tried) {
        if (pool == null || pool.isEmpty()) {
            return null;
        }
        Object[] all = pool.toArray();
        int start = Math.floorMod(turn.getAndIncrement(), all.length);
        Instance best = null;
        for (int k = 0; k < all.length; k++) {
            Instance i = (Instance) all[(start + k) % all.length];
            if (!tried.contains(i.workload()) && (best == null || i.inFlight().get() < best.inFlight().get())) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The instance to send a request to, as {@link #route}, and the request counts as activity
     * (a service that scales to zero idles only without any). A service scaled to zero on this
     * node is woken, and the future completes once it turns healthy, or empty after
     * {@code palisade.services.wake-timeout}; past {@code wake-queue} requests waiting, at once
     * with {@link Lookup#queueFull}. Nothing blocks: the caller decides where to wait.
     */
    public CompletableFuture<Lookup> lookup(String tenant, String service) {
        return lookup(tenant, service, Set.of());
    }

    /**
     * As {@link #lookup(String, String)}, but never one of the instances {@code tried} already
     * for this request (they failed it); with all of them tried, none.
     */
    public CompletableFuture<Lookup> lookup(String tenant, String service, Set<UUID> tried) {
        String key = key(tenant, service);
        Instance i = leastBusy(routes.get(key), tried);
        if (i != null) {
            i.lastRequestNanos().set(System.nanoTime());
            return CompletableFuture.completedFuture(Lookup.of(i));
        }
        if (!tried.isEmpty()) {
            return CompletableFuture.completedFuture(Lookup.NONE);
        }
        // with every instance scaled to zero, one of them is woken
        List<Sleeper> asleep = sleeping.get(key);
        Sleeper s = asleep == null || asleep.isEmpty() ? null : asleep.get(0);
        if (s == null) {
            return CompletableFuture.completedFuture(Lookup.NONE);
        }
        CompletableFuture<Lookup> f = s.join(properties.wakeQueue());
        if (f == null) {
            return CompletableFuture.completedFuture(Lookup.FULL);
        }
        if (f.isDone()) {
            // it was routed (or stopped) between the two looks
            i = leastBusy(routes.get(key), tried);
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
    public RequestPermits permits(String tenant, String service) {
        return permits.computeIfAbsent(key(tenant, service), k -> new RequestPermits(properties.maxConcurrentRequests()));
    }

    /** Whether requests to this service are in flight now (one that runs longer than the idle timeout keeps it up). */
    boolean busy(String tenant, String service) {
        RequestPermits p = permits.get(key(tenant, service));
        return p != null && p.availablePermits() < p.max();
    }

    /** The instance is healthy: it receives requests from now on (and those waiting for it to wake). */
    void routeTo(Instance i) {
        String key = key(i.tenant(), i.service());
        i.unreachable().set(false);
        CopyOnWriteArrayList<Instance> pool = routes.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>());
        pool.addIfAbsent(i);
        List<Sleeper> asleep = sleeping.get(key);
        if (asleep != null) {
            for (Sleeper s : asleep) {
                if (s.workload().equals(i.workload()) && asleep.remove(s)) {
                    s.release(i);
                }
            }
        }
        // the requests that woke another instance of the service need not wait for that one
        if (asleep != null) {
            for (Sleeper s : asleep) {
                s.answerWaiting(i);
            }
        }
    }

    /** The instance is scaled to zero here: requests wake it through the returned sleeper. */
    Sleeper sleep(String tenant, String service, UUID workload) {
        Sleeper s = new Sleeper(workload);
        sleeping.computeIfAbsent(key(tenant, service), k -> new CopyOnWriteArrayList<>()).add(s);
        return s;
    }

    /** The instance stopped while asleep or waking: requests waiting for it give up now. */
    void forget(String tenant, String service, Sleeper s) {
        List<Sleeper> asleep = sleeping.get(key(tenant, service));
        if (s != null && asleep != null && asleep.remove(s)) {
            s.release(null);
        }
    }

    /**
     * Stops routing to this instance and closes the connections kept into it: once it stops,
     * none of them may serve another request.
     */
    void unroute(Instance i) {
        List<Instance> pool = routes.get(key(i.tenant(), i.service()));
        if (pool != null) {
            pool.remove(i);
        }
        i.connections().close();
    }

    /**
     * The ingress could not reach the instance (its program died, or stopped listening): no
     * request goes to it until its runner finds it healthy again.
     */
    public void unreachable(Instance i) {
        if (i.unreachable().compareAndSet(false, true)) {
            unroute(i);
        }
    }
}
