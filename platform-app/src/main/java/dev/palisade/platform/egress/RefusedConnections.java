package dev.palisade.platform.egress;

import dev.palisade.platform.dispatch.WorkloadStore;
import dev.palisade.sandbox.RefusedConnection;
import dev.palisade.sandbox.Sandbox;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * Turns the connections a sandbox's network policy refused into security events
 * ({@code egress_refused}, the destination in the detail), taken as they come: a job's at its
 * end, a running service's every check period.
 */
@Component
public class RefusedConnections {
    /** Events recorded per take; past it one {@code egress_refused_more} event counts the rest. */
    static final int MAX_EVENTS = 100;

    private final WorkloadStore store;

    RefusedConnections(WorkloadStore store) {
        this.store = store;
    }

    public void record(long tenantId, String tenantSlug, UUID workload, Sandbox sandbox) {
        List<RefusedConnection> refused = sandbox.takeRefusedConnections();
        for (int i = 0; i < Math.min(refused.size(), MAX_EVENTS); i++) {
            RefusedConnection r = refused.get(i);
            store.securityEvent(tenantId, tenantSlug, workload, "egress_refused", null,
                    "connection to " + r.describe() + " refused by the egress policy");
        }
        if (refused.size() > MAX_EVENTS) {
            store.securityEvent(tenantId, tenantSlug, workload, "egress_refused_more", null,
                    (refused.size() - MAX_EVENTS) + " more refused connections");
        }
    }
}
