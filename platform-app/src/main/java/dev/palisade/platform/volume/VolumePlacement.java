package dev.palisade.platform.volume;

import dev.palisade.platform.dispatch.Dispatcher;
import dev.palisade.platform.dispatch.DispatcherProperties;
import dev.palisade.platform.ops.NodeProperties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Where volumes live, as the dispatcher sees it: a worker publishes its data directory's volume
 * home on its node row (the claim then hands it the workloads that mount its volumes, and no
 * other node gets them), and every few seconds any instance marks the queued workloads that wait
 * for a volume whose node is down ("waiting for the node that holds volume …"), clearing the
 * mark once it is back; a worker also removes the images of volumes deleted meanwhile.
 */
@Component
public class VolumePlacement {

    /** The start of the message a waiting workload carries; the tick clears only its own. */
    static final String WAITING = "waiting for the node that holds volume ";
    private static final Logger log = LoggerFactory.getLogger(VolumePlacement.class);

    private final JdbcClient jdbc;
    private final Dispatcher dispatcher;
    private final VolumeDisk disk;
    private final boolean worker;
    private final double leaseSeconds;
    private ScheduledExecutorService timer;

    VolumePlacement(JdbcClient jdbc, Dispatcher dispatcher, DispatcherProperties properties, NodeProperties node,
            VolumeDisk disk) {
        this.jdbc = jdbc;
        this.dispatcher = dispatcher;
        this.disk = disk;
        this.worker = properties.enabled() && node.role().runsWorkloads();
        this.leaseSeconds = properties.leaseTimeout().toMillis() / 1000.0;
    }

    /** Whether this instance runs workloads: a volume created here may live here. */
    public boolean worker() {
        return worker;
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        if (worker) {
            jdbc.sql("update node set volume_home = :home where id = :id").param("home", disk.home())
                    .param("id", dispatcher.node()).update();
            dispatcher.wake();
            if (disk.unavailableReason() != null) {
                log.warn("This node cannot hold volumes: {}. Workloads that mount a volume fail here.", disk.unavailableReason());
            }
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "palisade-volumes");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::tick, 1, 3, TimeUnit.SECONDS);
    }

    void tick() {
        try {
            markWaiting();
            if (worker) {
                int swept = disk.sweep();
                if (swept > 0) {
                    log.info("Removed the images of {} deleted volume(s)", swept);
                }
            }
        } catch (RuntimeException e) {
            log.debug("Volume placement tick failed: {}", e.toString());
        }
    }

    /** Marks queued workloads whose volume's home has no live node, and clears the mark of the others. */
    void markWaiting() {
        jdbc.sql("""
                update workload w set message = :waiting || v.name || ': it is down; the workload starts once it is back'
                from workload_volume wv join volume v on v.name = wv.volume_name
                where wv.workload_id = w.id and v.tenant_id = w.tenant_id and w.state = 'QUEUED' and v.home is not null
                  and not exists (select 1 from node n where n.volume_home = v.home and n.stopped_at is null
                                  and n.last_heartbeat > now() - make_interval(secs => :lease))
                  and w.message is distinct from :waiting || v.name || ': it is down; the workload starts once it is back'""")
                .param("waiting", WAITING).param("lease", leaseSeconds).update();
        jdbc.sql("""
                update workload w set message = null
                where w.state = 'QUEUED' and w.message like :prefix
                  and not exists (select 1 from workload_volume wv join volume v
                                         on v.tenant_id = w.tenant_id and v.name = wv.volume_name
                                  where wv.workload_id = w.id and v.home is not null
                                  and not exists (select 1 from node n where n.volume_home = v.home and n.stopped_at is null
                                                  and n.last_heartbeat > now() - make_interval(secs => :lease)))""")
                .param("prefix", WAITING + "%").param("lease", leaseSeconds).update();
    }

    @jakarta.annotation.PreDestroy
    void stop() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
