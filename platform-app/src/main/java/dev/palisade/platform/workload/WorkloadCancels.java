package dev.palisade.platform.workload;

import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.platform.dispatch.Dispatcher;
import dev.palisade.platform.dispatch.WorkloadStore;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Cancels a workload of a tenant, audited: a queued one ends at once; a running one is marked,
 * and killed now when this node runs it, else by its node within a heartbeat.
 */
@Component
public class WorkloadCancels {

    private final WorkloadStore store;
    private final Dispatcher dispatcher;
    private final AuditLog audit;
    private final TransactionTemplate tx;

    WorkloadCancels(WorkloadStore store, Dispatcher dispatcher, AuditLog audit, TransactionTemplate tx) {
        this.store = store;
        this.dispatcher = dispatcher;
        this.audit = audit;
        this.tx = tx;
    }

    /** Whether the workload was queued or running (and is now cancelled or being cancelled). */
    public boolean cancel(String actor, Tenant tenant, UUID id) {
        Optional<String> node = tx.execute(status -> {
            Optional<String> n = store.cancel(id, tenant.getId());
            if (n.isPresent()) {
                audit.record(actor, tenant, "workload.cancel", "workload:" + id, Map.of());
            }
            return n;
        });
        if (node.isPresent() && dispatcher.node().equals(node.get())) {
            dispatcher.cancelLocal(id);
        }
        return node.isPresent();
    }
}
