package dev.palisade.platform.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.model.quota.QuotaLimits;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.workload.NewWorkload;
import dev.palisade.model.workload.WorkloadLimits;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A workload whose spec asks for retries goes back to the queue when its worker is lost, but not
 * at once: it waits retry-backoff (1 s here), then twice that, and so on; after its last attempt
 * it fails with worker_lost. Real PostgreSQL; the worker that "dies" is a claim whose lease is
 * never renewed.
 */
class RetryBackoffTests extends DispatcherTestSupport {

    @Test
    void aLostRunIsRequeuedWithAnIncreasingDelay() throws Exception {
        Tenant tenant = tenant(new QuotaLimits(4, 1000, 2000, 1 << 20, 8, 4096, 1000, 1 << 30));
        NewWorkload spec = new NewWorkload("retried", "host", "[\"/bin/true\"]", "{}", "auto",
                new WorkloadLimits(null, null, null, null, null), 3);
        UUID id = tx.execute(s -> workloads.submit("test", tenant, spec, 0, 10)).workload().getId();

        claimAsADyingNode(id, 1);
        double first = reapAndWaitForTheNextClaim(id, 2);
        assertThat(first).as("first retry waits retry-backoff (1 s)").isBetween(1.0, 1.9);
        double second = reapAndWaitForTheNextClaim(id, 3);
        assertThat(second).as("second retry waits twice as long").isBetween(2.0, 2.9);

        // the third and last attempt is lost too: no more retries
        store.reapExpired();
        var row = jdbc.sql("select state, termination_reason, attempts from workload where id = :id").param("id", id)
                .query().singleRow();
        assertThat(row.get("state")).isEqualTo("FAILED");
        assertThat(row.get("termination_reason")).isEqualTo("worker_lost");
        assertThat(row.get("attempts")).isEqualTo(3);
    }

    /**
     * A service instance that may be tried only once (maxAttempts 1, the default) is still not
     * lost with its node: every lost lease puts it back in the queue (PENDING), after the same
     * growing delay, so a replica is refilled wherever a live node claims it. A stop asked
     * meanwhile ends it instead.
     */
    @Test
    void aServiceIsRequeuedWheneverItsWorkerIsLostUnlessItsStopWasAsked() throws Exception {
        Tenant tenant = tenant(new QuotaLimits(4, 1000, 2000, 1 << 20, 8, 4096, 1000, 1 << 30));
        WorkloadLimits none = new WorkloadLimits(null, null, null, null, null);
        UUID first = submit(tenant, "web", "[\"/bin/true\"]", "auto", none);
        UUID second = submit(tenant, "web", "[\"/bin/true\"]", "auto", none);
        jdbc.sql("update workload set kind = 'SERVICE' where id in (:ids)").param("ids", List.of(first, second)).update();
        jdbc.sql("""
                insert into service_deployment (workload_id, tenant_id, service_name, port, restart_policy, instances, status)
                values (:id, :tenant, 'web', 8000, 'ALWAYS', 2, 'HEALTHY')""").param("id", first)
                .param("tenant", tenant.getId()).update();
        jdbc.sql("""
                insert into service_deployment (workload_id, tenant_id, service_name, port, restart_policy, instances,
                    primary_id, ordinal, status)
                values (:id, :tenant, 'web', 8000, 'ALWAYS', 2, :first, 1, 'HEALTHY')""").param("id", second)
                .param("tenant", tenant.getId()).param("first", first).update();
        jdbc.sql("""
                update workload set state = 'RUNNING', node = 'another-node', started_at = now(), attempts = 1,
                    lease_expires_at = now() + interval '10 minutes' where id = :id""").param("id", first).update();

        claimAsADyingNode(second, 1);
        assertThat(reapAndWaitForTheNextClaim(second, 2)).as("first retry waits retry-backoff (1 s)").isBetween(1.0, 1.9);
        assertThat(status(second)).as("waiting for a node").isEqualTo("PENDING");
        jdbc.sql("update service_deployment set status = 'HEALTHY' where workload_id = :id").param("id", second).update();
        assertThat(reapAndWaitForTheNextClaim(second, 3)).as("past its maxAttempts of 1, and twice as long")
                .isBetween(2.0, 2.9);
        assertThat(status(second)).isEqualTo("PENDING");
        jdbc.sql("update service_deployment set status = 'HEALTHY' where workload_id = :id").param("id", second).update();

        jdbc.sql("update workload set cancel_requested = true where id = :id").param("id", second).update();
        store.reapExpired();
        var row = jdbc.sql("""
                select w.state, w.termination_reason, d.status from workload w
                join service_deployment d on d.workload_id = w.id where w.id = :id""").param("id", second)
                .query().singleRow();
        assertThat(row.get("state")).isEqualTo("CANCELLED");
        assertThat(row.get("termination_reason")).isEqualTo("cancelled");
        assertThat(row.get("status")).as("a stopped instance does not stay HEALTHY").isEqualTo("STOPPED");
    }

    private String status(UUID service) {
        return jdbc.sql("select status from service_deployment where workload_id = :id").param("id", service)
                .query(String.class).single();
    }

    /** When the last claim of the dying node happened (database clock). */
    private Instant lastClaim;

    /**
     * The run last claimed has a lease that already expired: reaps it, checks that
     * the real claim does not hand it out at once, then claims it as soon as the claim will
     * (attempt {@code nextAttempt}). Returns the delay the reaper set, in seconds from the claim.
     */
    private double reapAndWaitForTheNextClaim(UUID id, int nextAttempt) throws Exception {
        Instant claimed = lastClaim;
        store.reapExpired(); // this context's own reaper may have done it a moment earlier: same result
        var row = jdbc.sql("select state, message, not_before from workload where id = :id").param("id", id)
                .query().singleRow();
        assertThat(row.get("state")).isEqualTo("QUEUED");
        assertThat((String) row.get("message")).contains("stopped renewing its lease").contains("retried after");
        Instant notBefore = ((Timestamp) row.get("not_before")).toInstant();

        assertThat(store.claim("dying-node", 1, Duration.ZERO)).as("requeued, but not handed out at once").isEmpty();
        claimAsADyingNode(id, nextAttempt);
        assertThat(now()).as("claimed again only once the delay is over").isAfterOrEqualTo(notBefore);
        return Duration.between(claimed, notBefore).toMillis() / 1000.0;
    }

    /** Claims it (attempt n) with a lease that expires at once, like a node that dies right after. */
    private void claimAsADyingNode(UUID id, int attempt) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<WorkloadStore.Claimed> claimed = store.claim("dying-node", 1, Duration.ZERO);
        while (claimed.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            claimed = store.claim("dying-node", 1, Duration.ZERO);
        }
        lastClaim = now();
        assertThat(claimed).extracting(WorkloadStore.Claimed::id).containsExactly(id);
        assertThat(claimed.get(0).attempt()).isEqualTo(attempt);
        Thread.sleep(20); // the lease (zero long) is now in the past
    }

    private Instant now() {
        return jdbc.sql("select clock_timestamp()").query(Timestamp.class).single().toInstant();
    }
}
