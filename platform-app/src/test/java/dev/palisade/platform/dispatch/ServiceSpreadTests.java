package dev.palisade.platform.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.model.quota.QuotaLimits;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.workload.WorkloadLimits;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The instances of a service's deployment spread over the worker nodes: the claim of a node that
 * runs one of them leaves the next to another live node that runs none (for its first seconds),
 * and takes it itself when there is no such node. Two nodes claiming on real PostgreSQL.
 */
class ServiceSpreadTests extends DispatcherTestSupport {

    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final List<String> PLATFORMS = List.of("ptrace", "kvm");

    /** A deployment of two instances: the first running on {@code node}, the second queued. Returns the second. */
    private UUID deploymentRunningOn(String node) {
        Tenant tenant = tenant(new QuotaLimits(8, 5000, 10000, 64L << 20, 8, 4096, 100_000, 1 << 30));
        WorkloadLimits none = new WorkloadLimits(null, null, null, null, null);
        UUID first = submit(tenant, "web", "[\"/bin/true\"]", "auto", none);
        UUID second = submit(tenant, "web", "[\"/bin/true\"]", "auto", none);
        jdbc.sql("update workload set kind = 'SERVICE' where id in (:ids)").param("ids", List.of(first, second)).update();
        jdbc.sql("""
                insert into service_deployment (workload_id, tenant_id, service_name, port, restart_policy, instances)
                values (:id, :tenant, 'web', 8000, 'ALWAYS', 2)""").param("id", first).param("tenant", tenant.getId())
                .update();
        jdbc.sql("""
                insert into service_deployment (workload_id, tenant_id, service_name, port, restart_policy, instances,
                    primary_id, ordinal)
                values (:id, :tenant, 'web', 8000, 'ALWAYS', 2, :first, 1)""").param("id", second)
                .param("tenant", tenant.getId()).param("first", first).update();
        jdbc.sql("""
                update workload set state = 'RUNNING', node = :node, started_at = now(), attempts = 1,
                    lease_expires_at = now() + interval '1 minute' where id = :id""")
                .param("node", node).param("id", first).update();
        return second;
    }

    private List<UUID> claim(String node) {
        return store.claim(node, WorkloadStore.Room.any(4), LEASE, PLATFORMS).stream()
                .map(WorkloadStore.Claimed::id).toList();
    }

    @Test
    void aNodeRunningAnInstanceLeavesTheNextToAnotherLiveNode() {
        String a = "spread-a-" + UUID.randomUUID(), b = "spread-b-" + UUID.randomUUID();
        store.registerNode(a, "host-a", "ptrace,kvm", 8);
        store.registerNode(b, "host-b", "ptrace,kvm", 8);
        UUID second = deploymentRunningOn(a);

        assertThat(claim(a)).doesNotContain(second);
        assertThat(claim(b)).contains(second);
    }

    @Test
    void withNoOtherLiveNodeTheNodeRunningAnInstanceTakesTheNextItself() {
        String a = "alone-" + UUID.randomUUID();
        store.registerNode(a, "host-a", "ptrace,kvm", 8);
        jdbc.sql("update node set stopped_at = now() where id <> :a").param("a", a).update();
        UUID second = deploymentRunningOn(a);

        assertThat(claim(a)).contains(second);
    }
}
