package dev.palisade.platform.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.model.quota.QuotaLimits;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.workload.WorkloadLimits;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * One tenant never takes a whole node: real dispatchers (real claim loop, real sandbox) on real
 * PostgreSQL. Services draw from a pool of their own, so a tenant's services cannot keep another
 * tenant's job waiting; within each pool a tenant holds at most its share on one node; and the
 * claim stays exact when several nodes claim for one tenant at once.
 */
class FairShareTests extends DispatcherTestSupport {

    static final QuotaLimits ROOMY = new QuotaLimits(8, 10_000, 120_000, 64L << 20, 16, 4096, 100_000, 1 << 30);

    @Test
    void fourServicesOfOneTenantOnANodeOfCapacityFourDoNotHoldAnotherTenantsJob() throws Exception {
        assumeTrue(new PtracePlatform().unavailableReason().isEmpty(), "the ptrace platform needs root on Linux x86-64");
        Tenant a = tenant(ROOMY);
        Tenant b = tenant(ROOMY);
        // a share of the whole pool: tenant A may fill the service pool, and still no job waits for it
        Dispatcher worker = pools(4, 4, 1.0);
        worker.start();
        try {
            List<UUID> services = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                services.add(service(a, "web-" + i));
            }
            awaitRunning(a, "SERVICE", 4);
            UUID job = job(b, "quick", "[\"/bin/true\"]");
            Map<String, Object> done = awaitEnd(job, Duration.ofSeconds(5));
            assertThat(done.get("state")).as("B's job ran beside A's four services: " + done).isEqualTo("SUCCEEDED");
            assertThat(services).allSatisfy(s -> assertThat(row(s).get("state")).isEqualTo("RUNNING"));
        } finally {
            worker.stop();
        }
    }

    @Test
    void aTenantHoldsAtMostItsShareOfEachPoolAndAnotherTenantsJobStartsAtOnce() throws Exception {
        assumeTrue(new PtracePlatform().unavailableReason().isEmpty(), "the ptrace platform needs root on Linux x86-64");
        Tenant a = tenant(ROOMY);
        Tenant b = tenant(ROOMY);
        Dispatcher worker = pools(4, 4, 0.5);
        worker.start();
        try {
            for (int i = 0; i < 4; i++) {
                service(a, "web-" + i);
                job(a, "long-" + i, "[\"/bin/sleep\",\"60\"]");
            }
            awaitRunning(a, "JOB", 2);
            awaitRunning(a, "SERVICE", 2);
            Thread.sleep(600); // several more claim rounds of a node with free slots in both pools
            assertThat(running(a, "JOB")).as("half of the job pool").isEqualTo(2);
            assertThat(running(a, "SERVICE")).as("half of the service pool").isEqualTo(2);

            UUID job = job(b, "quick", "[\"/bin/true\"]");
            Map<String, Object> done = awaitEnd(job, Duration.ofSeconds(5));
            assertThat(done.get("state")).as("B's job ran at once: " + done).isEqualTo("SUCCEEDED");
            assertThat(done.get("node")).isEqualTo(worker.node());
        } finally {
            worker.stop();
        }
    }

    @Test
    void nodesClaimingForOneTenantAtOnceKeepEachShareAndTheQuotaAndClaimEachWorkloadOnce() throws Exception {
        Tenant a = tenant(new QuotaLimits(5, 10_000, 120_000, 64L << 20, 16, 4096, 100_000, 1 << 30));
        for (int i = 0; i < 20; i++) {
            job(a, "queued-" + i, "[\"/bin/true\"]");
        }
        int nodes = 4;
        Map<UUID, String> claimedBy = new ConcurrentHashMap<>();
        List<String> doubles = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(nodes);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int n = 0; n < nodes; n++) {
                String id = "share-node-" + n + "-" + UUID.randomUUID();
                done.add(pool.submit(() -> {
                    go.await();
                    // as claim loops do: again and again (a claim that meets rows another node holds locked
                    // for a moment comes back short), here for two seconds
                    long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                    while (System.nanoTime() < end) {
                        // a node of 4 job slots, a tenant's share 2
                        for (WorkloadStore.Claimed c : store.claim(id, new WorkloadStore.Room(4, 4, 2, 2),
                                Duration.ofMinutes(1), List.of("ptrace", "kvm"))) {
                            if (claimedBy.putIfAbsent(c.id(), id) != null) {
                                synchronized (doubles) {
                                    doubles.add(c.id().toString());
                                }
                            }
                        }
                        Thread.sleep(10);
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(doubles).as("no workload claimed twice").isEmpty();
        assertThat(claimedBy).as("the tenant's quota of 5, whoever claimed").hasSize(5);
        Map<String, Long> perNode = new java.util.HashMap<>();
        claimedBy.values().forEach(n -> perNode.merge(n, 1L, Long::sum));
        assertThat(perNode.values()).as("at most the tenant's share on each node").allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(2));
        Set<String> nodesInTable = new HashSet<>(jdbc.sql("select node from workload where tenant_id = :t and state = 'RUNNING'")
                .param("t", a.getId()).query(String.class).list());
        assertThat(nodesInTable).isEqualTo(new HashSet<>(claimedBy.values()));
        jdbc.sql("update workload set state = 'CANCELLED', finished_at = now() where tenant_id = :t and state = 'RUNNING'")
                .param("t", a.getId()).update();
    }

    private Dispatcher pools(int jobs, int services, double share) {
        DispatcherProperties p = new DispatcherProperties(true, jobs, Duration.ofMillis(50), Duration.ofMillis(300),
                Duration.ofSeconds(15), Duration.ofSeconds(1), "fair-" + UUID.randomUUID(), Duration.ofSeconds(1),
                Duration.ofMinutes(1), List.of("ptrace"), services, share);
        return dispatcher(p);
    }

    private UUID job(Tenant tenant, String name, String command) {
        return submit(tenant, name, command, "ptrace", new WorkloadLimits(1000L, 90_000L, null, null, null));
    }

    /** A service that never answers on its port: it runs (and holds its slot) until it is stopped. */
    private UUID service(Tenant tenant, String name) {
        UUID id = tx.execute(s -> {
            UUID w = job(tenant, name, "[\"/bin/sleep\",\"600\"]");
            jdbc.sql("update workload set kind = 'SERVICE' where id = :id").param("id", w).update();
            jdbc.sql("""
                    insert into service_deployment (workload_id, tenant_id, service_name, port, restart_policy)
                    values (:id, :tenant, :name, 8000, 'NEVER')""")
                    .param("id", w).param("tenant", tenant.getId()).param("name", name).update();
            return w;
        });
        return id;
    }

    private long running(Tenant tenant, String kind) {
        return jdbc.sql("select count(*) from workload where tenant_id = :t and kind = :k and state = 'RUNNING'")
                .param("t", tenant.getId()).param("k", kind).query(Long.class).single();
    }

    private void awaitRunning(Tenant tenant, String kind, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (running(tenant, kind) < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(running(tenant, kind)).as(kind + "s of tenant " + tenant.getSlug() + " running").isEqualTo(n);
    }

    private Map<String, Object> row(UUID id) {
        return jdbc.sql("select state, node, message from workload where id = :id").param("id", id).query().singleRow();
    }

    private Map<String, Object> awaitEnd(UUID id, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        Map<String, Object> r = row(id);
        while (List.of("QUEUED", "RUNNING").contains(r.get("state")) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            r = row(id);
        }
        return r;
    }
}
