package dev.palisade.platform.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.model.quota.QuotaLimits;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.workload.WorkloadLimits;
import dev.palisade.sandbox.platform.kvm.KvmPlatform;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher gives a worker only what it can run: two real dispatchers (real claim loop,
 * real sandbox) on real PostgreSQL, one offering ptrace only and one offering kvm. The ptrace-only
 * worker runs the workloads it can while a kvm one waits in the queue untouched; the kvm worker
 * then takes it.
 */
class PlatformClaimTests extends DispatcherTestSupport {

    @Test
    void aWorkerWithoutKvmNeverClaimsAKvmWorkloadAndOneWithKvmDoes() throws Exception {
        assumeTrue(new PtracePlatform().unavailableReason().isEmpty(), "the ptrace platform needs root on Linux x86-64");
        assumeTrue(new KvmPlatform().unavailableReason().isEmpty(), "needs a usable /dev/kvm");
        Tenant tenant = tenant(new QuotaLimits(8, 5000, 10000, 64L << 20, 8, 4096, 100_000, 1 << 30));
        UUID kvm = submit(tenant, "needs-kvm", "[\"/bin/busybox\",\"true\"]", "kvm");

        Dispatcher ptraceOnly = offering("ptrace-only-" + UUID.randomUUID(), List.of("ptrace"));
        ptraceOnly.start();
        try {
            // the ptrace worker is alive and claiming: it runs these, one after the other ...
            for (int i = 0; i < 3; i++) {
                UUID plain = submit(tenant, "plain-" + i, "[\"/bin/true\"]", i == 0 ? "ptrace" : "auto");
                Map<String, Object> done = awaitEnd(plain);
                assertThat(done.get("node")).isEqualTo(ptraceOnly.node());
                // ... and each time it went past the kvm one, which it cannot run
                Map<String, Object> waiting = row(kvm);
                assertThat(waiting.get("state")).isEqualTo("QUEUED");
                assertThat(waiting.get("node")).isNull();
                assertThat(waiting.get("attempts")).isEqualTo(0);
            }
            Thread.sleep(500); // several more polls of an idle worker
            assertThat(row(kvm).get("state")).isEqualTo("QUEUED");

            Dispatcher withKvm = offering("kvm-" + UUID.randomUUID(), List.of("kvm"));
            withKvm.start();
            try {
                Map<String, Object> ran = awaitEnd(kvm);
                assertThat(ran.get("node")).isEqualTo(withKvm.node());
                assertThat(ran.get("attempts")).isEqualTo(1);
                assertThat(ran.get("state")).as("busybox is static: it runs on KVM " + ran).isEqualTo("SUCCEEDED");
            } finally {
                withKvm.stop();
            }
        } finally {
            ptraceOnly.stop();
        }
        assertThat(jdbc.sql("select platforms from node where id = :id").param("id", ptraceOnly.node())
                .query(String.class).single()).isEqualTo("ptrace");
    }

    private Dispatcher offering(String nodeId, List<String> platforms) {
        DispatcherProperties p = new DispatcherProperties(true, 2, Duration.ofMillis(50), Duration.ofMillis(500),
                Duration.ofSeconds(15), Duration.ofSeconds(5), nodeId, Duration.ofSeconds(1), Duration.ofMinutes(1),
                platforms, 2, 1.0);
        return dispatcher(p);
    }

    private UUID submit(Tenant tenant, String name, String command, String platform) {
        return submit(tenant, name, command, platform, new WorkloadLimits(null, null, null, null, null));
    }

    private Map<String, Object> row(UUID id) {
        return jdbc.sql("select state, node, attempts, message from workload where id = :id").param("id", id)
                .query().singleRow();
    }

    private Map<String, Object> awaitEnd(UUID id) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Map<String, Object> r = row(id);
        while (List.of("QUEUED", "RUNNING").contains(r.get("state")) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            r = row(id);
        }
        assertThat(r.get("state")).as("ended within 30 s: " + r).isNotIn("QUEUED", "RUNNING");
        return r;
    }
}
