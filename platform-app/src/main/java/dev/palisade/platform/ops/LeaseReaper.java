package dev.palisade.platform.ops;

import dev.palisade.platform.dispatch.DispatcherProperties;
import dev.palisade.platform.dispatch.WorkloadStore;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * On API-only nodes: the reaper that workers run with their heartbeat, so that a workload whose
 * worker died is failed or requeued even when no worker is left alive to notice. Reaping is one
 * conditional UPDATE, so any number of instances may run it at once.
 */
@Component
class LeaseReaper implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(LeaseReaper.class);

    private final NodeProperties node;
    private final DispatcherProperties dispatcher;
    private final WorkloadStore store;
    private ScheduledExecutorService timer;

    LeaseReaper(NodeProperties node, DispatcherProperties dispatcher, WorkloadStore store) {
        this.node = node;
        this.dispatcher = dispatcher;
        this.store = store;
    }

    void reap() {
        try {
            List<UUID> reaped = store.reapExpired();
            reaped.forEach(id -> log.warn("Workload {} lost its worker (lease expired)", id));
        } catch (RuntimeException e) {
            log.debug("Reaping failed: {}", e.toString());
        }
    }

    @Override
    public void start() {
        if (node.role().runsWorkloads() && dispatcher.enabled()) {
            return; // the dispatcher's heartbeat reaps
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "palisade-reaper");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(500, dispatcher.leaseTimeout().toMillis() / 3);
        timer.scheduleWithFixedDelay(this::reap, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
    }

    @Override
    public boolean isRunning() {
        return timer != null;
    }
}
