package dev.palisade.platform.workload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.model.quota.QuotaLimits;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.usage.Usage;
import dev.palisade.model.usage.UsageService;
import dev.palisade.model.workload.NewWorkload;
import dev.palisade.model.workload.WorkloadLimits;
import dev.palisade.model.workload.WorkloadService;
import dev.palisade.model.workload.WorkloadService.Admitted;
import dev.palisade.platform.OwnDatabaseTests;
import dev.palisade.platform.dispatch.WorkloadStore;
import java.sql.Connection;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Admission under many concurrent submits of one tenant, on real PostgreSQL: the queue bound and
 * the month's CPU are never exceeded, a worker's open transaction does not hold submits up, and
 * the usage totals the triggers keep agree with a recount of the workload table.
 */
class AdmissionUnderConcurrencyTests extends OwnDatabaseTests {

    static final int CLIENTS = 24;

    @Autowired
    WorkloadService workloads;

    @Autowired
    UsageService usage;

    @Autowired
    WorkloadStore store;

    @Autowired
    TransactionTemplate tx;

    @Autowired
    DataSource dataSource;

    @Test
    void theQueueBoundHoldsUnderConcurrentSubmits() throws Exception {
        Tenant tenant = tenant(new QuotaLimits(4, 1000, 2000, 1 << 20, 8, 4096, 1_000_000, 1 << 30));
        List<Admitted> results = submitAtOnce(tenant, 200, 5, new WorkloadLimits(null, null, null, null, null));

        long admitted = results.stream().filter(a -> a.refusal() == null).count();
        assertThat(admitted).as("exactly the bound is admitted, no more").isEqualTo(5);
        assertThat(results.stream().filter(a -> a.refusal() != null))
                .allSatisfy(a -> assertThat(a.refusal().limit()).isEqualTo("maxQueued"));
        assertThat(count(tenant, "QUEUED")).isEqualTo(5);
        assertThat(count(tenant, "REJECTED")).isEqualTo(195);
        assertTotalsMatchARecount(tenant);
    }

    @Test
    void theMonthsCpuIsNeverOverbookedByConcurrentSubmits() throws Exception {
        // 7 CPU seconds a month, 1 s per workload: 7 may be queued or running at once, whatever the timing
        Tenant tenant = tenant(new QuotaLimits(4, 1000, 2000, 1 << 20, 8, 4096, 7, 1 << 30));
        List<Admitted> results = submitAtOnce(tenant, 100, 1000, new WorkloadLimits(1000L, null, null, null, null));

        assertThat(results.stream().filter(a -> a.refusal() == null).count()).isEqualTo(7);
        assertThat(results.stream().filter(a -> a.refusal() != null))
                .allSatisfy(a -> assertThat(a.refusal().limit()).isEqualTo("cpuSecondsPerMonth"));
        Long reserved = jdbc.sql("select coalesce(sum((limits->>'cpuMillis')::bigint), 0) from workload "
                + "where tenant_id = :t and state in ('QUEUED', 'RUNNING')").param("t", tenant.getId())
                .query(Long.class).single();
        assertThat(reserved).isEqualTo(7000);

        // a run that used 300 ms of its 1 s gives the rest back: used 0.3 s + reserved 6 s leaves room
        // for 0.7 s, so a 1 s workload is refused and one (only one) of 0.5 s fits
        List<WorkloadStore.Claimed> claimed = store.claim("node-admission-test", 1, Duration.ofMinutes(1));
        assertThat(claimed).hasSize(1);
        WorkloadStore.Claimed c = claimed.get(0);
        assertThat(store.finish(c.id(), "node-admission-test", c.attempt(), new WorkloadStore.Outcome("SUCCEEDED", 0,
                "exited", "done", 300L, 400L, 1024L, null, null))).isTrue();
        List<Admitted> more = submitAtOnce(tenant, 10, 1000, new WorkloadLimits(1000L, null, null, null, null));
        assertThat(more).allSatisfy(a -> assertThat(a.refusal()).isNotNull());
        List<Admitted> small = submitAtOnce(tenant, 10, 1000, new WorkloadLimits(500L, null, null, null, null));
        assertThat(small.stream().filter(a -> a.refusal() == null).count()).isEqualTo(1);
        assertTotalsMatchARecount(tenant);
    }

    @Test
    void aSubmitDoesNotWaitForAWorkersOpenTransaction() throws Exception {
        Tenant tenant = tenant(new QuotaLimits(4, 1000, 2000, 1 << 20, 8, 4096, 1000, 1 << 30));
        Admitted first = submitAtOnce(tenant, 1, 10, new WorkloadLimits(null, null, null, null, null)).get(0);
        // a worker's claim, not committed yet: its usage change holds a row lock until it ends
        try (Connection worker = dataSource.getConnection()) {
            worker.setAutoCommit(false);
            try (var claim = worker.prepareStatement(
                    "update workload set state = 'RUNNING', node = 'slow-node', attempts = 1 where id = ?")) {
                claim.setObject(1, first.workload().getId());
                assertThat(claim.executeUpdate()).isEqualTo(1);
            }
            ExecutorService other = Executors.newSingleThreadExecutor();
            try {
                Future<Admitted> second = other.submit(() -> tx.execute(s -> workloads.submit("test", tenant,
                        new NewWorkload("second", "host", "[\"/bin/true\"]", "{}", "auto",
                                new WorkloadLimits(null, null, null, null, null), 1), 0, 10)));
                // the claim stays open all along: a submit that waited for it would never return here
                assertThat(second.get(20, TimeUnit.SECONDS).refusal()).isNull();
            } finally {
                other.shutdownNow();
                worker.rollback();
            }
        }
        assertTotalsMatchARecount(tenant);
    }

    @Test
    void aSuspensionIsSeenByTheNextAdmission() throws Exception {
        Tenant tenant = tenant(new QuotaLimits(4, 1000, 2000, 1 << 20, 8, 4096, 1000, 1 << 30));
        tenants.update("test", tenant.getSlug(), null, dev.palisade.model.tenant.TenantStatus.SUSPENDED);
        // the Tenant object still says ACTIVE; admission reads the row under its lock
        Admitted a = submitAtOnce(tenant, 1, 10, new WorkloadLimits(null, null, null, null, null)).get(0);
        assertThat(a.refusal()).isNotNull();
        assertThat(a.refusal().limit()).isEqualTo("tenant.status");
    }

    private List<Admitted> submitAtOnce(Tenant tenant, int n, int maxQueued, WorkloadLimits limits) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Admitted>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                NewWorkload w = new NewWorkload("w" + i, "host", "[\"/bin/true\"]", "{}", "auto", limits, 1);
                Callable<Admitted> submit = () -> {
                    go.await();
                    return tx.execute(s -> workloads.submit("test", tenant, w, 0, maxQueued));
                };
                futures.add(pool.submit(submit));
            }
            go.countDown();
            List<Admitted> results = new ArrayList<>();
            for (Future<Admitted> f : futures) {
                results.add(f.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private long count(Tenant tenant, String state) {
        return jdbc.sql("select count(*) from workload where tenant_id = :t and state = :s")
                .param("t", tenant.getId()).param("s", state).query(Long.class).single();
    }

    /** The totals kept by the triggers equal what a full scan of the tenant's workloads says. */
    private void assertTotalsMatchARecount(Tenant tenant) {
        YearMonth month = YearMonth.now(ZoneOffset.UTC);
        Usage recount = jdbc.sql("""
                select coalesce(sum(cpu_millis), 0) as cpu, coalesce(sum(wall_millis), 0) as wall, count(*) as n,
                       coalesce(sum(input_bytes + log_bytes + artifact_bytes), 0) as bytes,
                       count(*) filter (where state = 'RUNNING') as running,
                       count(*) filter (where state = 'QUEUED') as queued
                from workload where tenant_id = :t""")
                .param("t", tenant.getId())
                .query((rs, i) -> new Usage(month, rs.getLong("cpu"), rs.getLong("wall"), rs.getLong("n"),
                        rs.getLong("bytes"), rs.getLong("bytes"), rs.getLong("running"), rs.getLong("queued")))
                .single();
        assertThat(usage.of(tenant.getId(), month)).isEqualTo(recount);
    }
}
