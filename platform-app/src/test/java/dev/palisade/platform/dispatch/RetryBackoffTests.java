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
