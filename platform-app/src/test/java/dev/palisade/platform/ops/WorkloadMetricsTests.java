package dev.palisade.platform.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.sandbox.DeniedCall;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.Termination;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The worker's series as Prometheus reads them: names, tags, and what one finished run adds. */
class WorkloadMetricsTests {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final WorkloadMetrics metrics = new WorkloadMetrics(registry);

    @Test
    void aFinishedRunCountsItsStateCpuAndSystemCallsByName() {
        SandboxResult result = new SandboxResult(Termination.EXITED, 0, 0, "exited 0", "ptrace", 1_500_000_000L,
                2_000_000_000L, 1 << 20, Map.of("getpid", 3L, "uname", 1L),
                List.of(new DeniedCall(2, 165, "mount", 1, "deny", "…"), new DeniedCall(2, 165, "mount", 1, "deny", "…")), 5);
        metrics.sandboxStarted("ptrace", 3_000_000);
        metrics.finished("acme", "SUCCEEDED", result);
        metrics.finished("acme", "FAILED", null);

        String scrape = registry.scrape();
        assertThat(scrape).contains(
                "palisade_workloads_finished_total{state=\"SUCCEEDED\",tenant=\"acme\"} 1.0",
                "palisade_workloads_finished_total{state=\"FAILED\",tenant=\"acme\"} 1.0",
                "palisade_tenant_cpu_seconds_total{tenant=\"acme\"} 1.5",
                "palisade_sandbox_syscalls_trapped_total{name=\"getpid\"} 3.0",
                "palisade_sandbox_syscalls_denied_total{name=\"mount\"} 2.0",
                "palisade_sandbox_syscalls_denied_total{name=\"unrecorded\"} 5.0",
                "palisade_sandbox_start_seconds_count{platform=\"ptrace\"} 1",
                "palisade_workload_duration_seconds_count{platform=\"ptrace\",state=\"SUCCEEDED\"} 1",
                "palisade_workload_duration_seconds_bucket{platform=\"ptrace\",state=\"SUCCEEDED\",le=");
    }

    @Test
    void leasesHeldFollowClaimsAndReleasesAndLostOnesAreCountedAndEachClaimTimesItsWait() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        WorkloadMetrics worker = new WorkloadMetrics(registry);
        worker.claimed(0.25);
        worker.claimed(1.75);
        worker.released();
        worker.leaseLost();
        String scrape = registry.scrape();
        assertThat(scrape).contains("palisade_worker_leases_held 1.0", "palisade_worker_leases_lost_total 1.0",
                "palisade_workload_queue_wait_seconds_count 2", "palisade_workload_queue_wait_seconds_sum 2.0");
    }
}
