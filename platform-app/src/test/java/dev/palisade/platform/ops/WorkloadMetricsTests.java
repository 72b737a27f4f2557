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
    private final WorkloadMetrics metrics = new WorkloadMetrics(registry, null);

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
    void leasesHeldFollowClaimsAndReleasesAndLostOnesAreCounted() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        WorkloadMetrics noDb = new WorkloadMetrics(registry, null);
        noDb.claimed(java.util.UUID.randomUUID()); // no database here: the queue wait is skipped, the lease counted
        noDb.claimed(java.util.UUID.randomUUID());
        noDb.released();
        noDb.leaseLost();
        String scrape = registry.scrape();
        assertThat(scrape).contains("palisade_worker_leases_held 1.0", "palisade_worker_leases_lost_total 1.0");
    }
}
