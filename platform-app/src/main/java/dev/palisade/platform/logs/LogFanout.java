package dev.palisade.platform.logs;

import dev.palisade.platform.dispatch.WorkloadStore;
import dev.palisade.platform.dispatch.WorkloadStore.LogChunk;
import dev.palisade.web.workload.LogFollowing;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * The node's one fan-out of live logs. Followers of a workload share a channel; a notice that
 * the workload's log grew or its state changed ({@link LogNotices}, from whichever instance
 * wrote it) makes the channel read the new chunks from the database once and hand them to each
 * follower. Reading and sending run on two shared threads, heartbeats on one more: a follower
 * is a few objects, never a thread or a polling loop.
 */
@Component
class LogFanout implements LogFollowing, SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(LogFanout.class);
    /** Chunks read per query (64 KiB each), so a long catch-up holds at most this much at once. */
    static final int CHUNKS_PER_READ = 16;

    private final WorkloadStore store;
    private final LogFollowProperties settings;
    private final Map<UUID, Channel> channels = new ConcurrentHashMap<>();
    private final Map<Long, Integer> perUser = new HashMap<>();
    private final Map<Long, Integer> perTenant = new HashMap<>();
    private int open;
    /** Made at each start (a paused test context is stopped and started again). */
    private volatile ExecutorService delivery;
    private ScheduledExecutorService timer;
    private volatile boolean running;

    LogFanout(WorkloadStore store, LogFollowProperties settings) {
        this.store = store;
        this.settings = settings;
    }

    @Override
    public SseEmitter follow(UUID workload, Follower who, String lastEventId, Function<String, String> stateLabel) {
        admit(who);
        SseEmitter emitter = new SseEmitter(settings.maxDuration().toMillis());
        LogFollower follower = new LogFollower(who, emitter, lastEventId, stateLabel);
        // the container ends these itself: completing the emitter from its own callback could only contend for its lock
        emitter.onCompletion(() -> forget(workload, follower));
        emitter.onTimeout(() -> forget(workload, follower));
        emitter.onError(e -> forget(workload, follower));
        try {
            // sent once the emitter is wired to the response: it commits the headers at once, not with the first event
            follower.heartbeat();
        } catch (IOException e) {
            throw new IllegalStateException(e); // not yet wired to the response, so nothing can fail here
        }
        channels.compute(workload, (id, c) -> {
            Channel channel = c != null ? c : new Channel(id);
            channel.followers.add(follower);
            return channel;
        }).poke();
        return emitter;
    }

    @Override
    public String text(UUID workload, boolean timestamps) {
        return LogLines.render(store.logAfter(workload, 0), timestamps);
    }

    /** Followers open on this node. */
    synchronized int open() {
        return open;
    }

    /** A notice: the workload's log or state changed. */
    void changed(UUID workload) {
        Channel channel = channels.get(workload);
        if (channel != null) {
            channel.poke();
        }
    }

    /** Every channel reads again: notices may have been lost (a database connection dropped). */
    void changedAll() {
        channels.values().forEach(Channel::poke);
    }

    private synchronized void admit(Follower who) {
        if (open >= settings.maxPerNode()) {
            throw new TooManyFollowers("on this node", settings.retryAfter());
        }
        if (perUser.getOrDefault(who.userId(), 0) >= settings.maxPerUser()) {
            throw new TooManyFollowers("by this user", settings.retryAfter());
        }
        if (who.tenantId() != null && perTenant.getOrDefault(who.tenantId(), 0) >= settings.maxPerTenant()) {
            throw new TooManyFollowers("for this tenant", settings.retryAfter());
        }
        open++;
        perUser.merge(who.userId(), 1, Integer::sum);
        if (who.tenantId() != null) {
            perTenant.merge(who.tenantId(), 1, Integer::sum);
        }
    }

    private synchronized void release(Follower who) {
        open--;
        perUser.computeIfPresent(who.userId(), (k, n) -> n > 1 ? n - 1 : null);
        if (who.tenantId() != null) {
            perTenant.computeIfPresent(who.tenantId(), (k, n) -> n > 1 ? n - 1 : null);
        }
    }

    /** Ends a stream: the follower is forgotten and its response completed. */
    private void drop(UUID workload, LogFollower follower) {
        if (!forget(workload, follower)) {
            return;
        }
        try {
            follower.close();
        } catch (RuntimeException alreadyGone) {
            log.debug("Closing a log stream: {}", alreadyGone.toString());
        }
    }

    /** Forgets a follower and frees its share of the caps; false when it was forgotten before. */
    private boolean forget(UUID workload, LogFollower follower) {
        if (!follower.leave()) {
            return false;
        }
        release(follower.who);
        channels.computeIfPresent(workload, (id, c) -> {
            c.followers.remove(follower);
            return c.followers.isEmpty() ? null : c;
        });
        return true;
    }

    private void heartbeat() {
        channels.forEach((workload, channel) -> channel.followers.forEach(f -> {
            try {
                f.heartbeat();
            } catch (IOException | RuntimeException gone) {
                // the failed write already put the request in error: the container ends it on its own threads
                forget(workload, f);
            }
        }));
    }

    /** A periodic task that must outlive any failure: one exception would end a scheduled task for good. */
    private static Runnable surviving(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.warn("{} failed: {}", what, e.toString());
            }
        };
    }

    /** The followers of one workload, and its one delivery at a time. */
    private final class Channel {

        final UUID workload;
        final Set<LogFollower> followers = ConcurrentHashMap.newKeySet();
        /** Pokes not yet served; a delivery runs while it is above zero. */
        private final AtomicInteger pokes = new AtomicInteger();

        Channel(UUID workload) {
            this.workload = workload;
        }

        void poke() {
            if (pokes.getAndIncrement() == 0) {
                ExecutorService threads = delivery;
                try {
                    if (threads == null) {
                        throw new RejectedExecutionException("not started");
                    }
                    threads.execute(this::drain);
                } catch (RejectedExecutionException stopped) {
                    pokes.set(0); // the node is stopping (or not started): its followers are being let go
                }
            }
        }

        private void drain() {
            int served;
            do {
                served = pokes.get();
                try {
                    deliver();
                } catch (RuntimeException e) {
                    log.warn("Delivering the log of {} failed: {}", workload, e.toString());
                }
            } while (pokes.addAndGet(-served) > 0);
        }

        private void deliver() {
            if (followers.isEmpty()) {
                return;
            }
            // the state first: whatever was written before it ended is in the chunks read after
            String state = store.state(workload).orElse("FAILED");
            boolean over = !state.equals("QUEUED") && !state.equals("RUNNING");
            each(f -> f.state(state));
            // until a read finds nothing beyond any follower (one may have joined meanwhile, from the start)
            while (!followers.isEmpty()) {
                int from = lowest();
                List<LogChunk> chunks = store.logAfter(workload, from, CHUNKS_PER_READ);
                each(f -> f.deliver(chunks, from));
                int reached = chunks.isEmpty() ? from : chunks.get(chunks.size() - 1).seq();
                if (chunks.size() < CHUNKS_PER_READ && lowest() >= reached) {
                    break;
                }
            }
            if (over) {
                each(f -> {
                    f.end(state);
                    drop(workload, f);
                });
            }
        }

        private int lowest() {
            return followers.stream().mapToInt(LogFollower::after).min().orElse(Integer.MAX_VALUE);
        }

        private void each(Delivery action) {
            for (LogFollower f : followers) {
                try {
                    action.to(f);
                } catch (IOException | RuntimeException gone) {
                    forget(workload, f);
                }
            }
        }
    }

    @FunctionalInterface
    private interface Delivery {
        void to(LogFollower follower) throws IOException;
    }

    @Override
    public synchronized void start() {
        delivery = Executors.newFixedThreadPool(2, named("palisade-log-fanout"));
        timer = Executors.newSingleThreadScheduledExecutor(named("palisade-log-heartbeat"));
        long beat = settings.heartbeat().toMillis();
        timer.scheduleWithFixedDelay(surviving("Log stream heartbeat", this::heartbeat), beat, beat, TimeUnit.MILLISECONDS);
        long sweep = settings.sweep().toMillis();
        timer.scheduleWithFixedDelay(surviving("Log sweep", this::changedAll), sweep, sweep, TimeUnit.MILLISECONDS);
        running = true;
    }

    @Override
    public synchronized void stop() {
        running = false;
        timer.shutdownNow();
        channels.forEach((workload, channel) -> channel.followers.forEach(f -> drop(workload, f)));
        delivery.shutdownNow();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private static java.util.concurrent.ThreadFactory named(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
