package dev.palisade.platform.ops;

import dev.palisade.sandbox.DeniedCall;
import dev.palisade.sandbox.SandboxResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Component;

/**
 * What a worker measures as it runs workloads; the dispatcher and the runner call it at each
 * step. Series (Prometheus names):
 * <ul>
 * <li>{@code palisade_workload_queue_wait_seconds} (histogram): submit to running, per claim</li>
 * <li>{@code palisade_sandbox_start_seconds{platform}} (histogram): {@code engine.start} until the program runs</li>
 * <li>{@code palisade_workload_duration_seconds{platform,state}} (histogram): wall time in the sandbox</li>
 * <li>{@code palisade_workloads_finished_total{tenant,state}}</li>
 * <li>{@code palisade_tenant_cpu_seconds_total{tenant}}: CPU the tenant's sandboxes used</li>
 * <li>{@code palisade_sandbox_syscalls_trapped_total{name}}: calls the Sentry saw (not the ones
 * the seccomp filter passes unstopped)</li>
 * <li>{@code palisade_sandbox_syscalls_denied_total{name}}</li>
 * <li>{@code palisade_worker_leases_held}, {@code palisade_worker_leases_lost_total}</li>
 * </ul>
 * Tags are bounded: tenants (as many as the platform has), states, platforms, and syscall
 * names from the Sentry's table. Never a workload id, never a user name.
 */
@Component
public class WorkloadMetrics {

    private final MeterRegistry registry;
    private final AtomicInteger held = new AtomicInteger();
    private final Timer queueWait;
    private final Counter leasesLost;

    WorkloadMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.queueWait = Timer.builder("palisade.workload.queue.wait").description("Time from submit to running")
                .publishPercentileHistogram().maximumExpectedValue(Duration.ofHours(1)).register(registry);
        this.leasesLost = Counter.builder("palisade.worker.leases.lost")
                .description("Runs this worker had to abandon because its lease expired (the reaper took them)")
                .register(registry);
        Gauge.builder("palisade.worker.leases.held", held, AtomicInteger::get)
                .description("Workloads this worker holds a lease on now").register(registry);
    }

    /** A workload was claimed by this node: its lease is held, and it waited this long since its submit. */
    public void claimed(double queuedSeconds) {
        held.incrementAndGet();
        queueWait.record((long) (queuedSeconds * 1e9), TimeUnit.NANOSECONDS);
    }

    /** The run ended on this node, however it ended; the lease is no longer held. */
    public void released() {
        held.decrementAndGet();
    }

    public void sandboxStarted(String platform, long nanos) {
        Timer.builder("palisade.sandbox.start").description("Sandbox start-up: engine.start until the program runs")
                .tag("platform", tag(platform)).publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofSeconds(30)).register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void finished(String tenant, String state, SandboxResult result) {
        Counter.builder("palisade.workloads.finished").tag("tenant", tag(tenant)).tag("state", tag(state))
                .register(registry).increment();
        if (result == null) {
            return;
        }
        Timer.builder("palisade.workload.duration").description("Wall time of a workload in its sandbox")
                .tag("platform", tag(result.platform())).tag("state", tag(state)).publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofHours(2)).register(registry)
                .record(result.wallNanos(), TimeUnit.NANOSECONDS);
        Counter.builder("palisade.tenant.cpu").baseUnit("seconds").description("CPU time used by the tenant's sandboxes")
                .tag("tenant", tag(tenant)).register(registry).increment(result.cpuNanos() / 1e9);
        result.syscallCounts().forEach((name, n) -> Counter.builder("palisade.sandbox.syscalls.trapped")
                .description("System calls the Sentry handled (trapped), by name").tag("name", tag(name))
                .register(registry).increment(n));
        for (DeniedCall d : result.deniedCalls()) {
            Counter.builder("palisade.sandbox.syscalls.denied").description("System calls the Sentry refused, by name")
                    .tag("name", tag(d.name())).register(registry).increment();
        }
        if (result.deniedCallsDropped() > 0) {
            Counter.builder("palisade.sandbox.syscalls.denied").tag("name", "unrecorded").register(registry)
                    .increment(result.deniedCallsDropped());
        }
    }

    public void leaseLost() {
        leasesLost.increment();
    }

    /** How the finished-state counter reads for one tenant and state (for tests). */
    double finishedCount(String tenant, String state) {
        Counter c = registry.find("palisade.workloads.finished").tag("tenant", tenant).tag("state", state).counter();
        return c == null ? 0 : c.count();
    }

    private static String tag(String value) {
        return value == null || value.isBlank() ? "unknown" : value;
    }
}
