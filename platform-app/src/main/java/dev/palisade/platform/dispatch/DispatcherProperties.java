package dev.palisade.platform.dispatch;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The worker of this instance ({@code palisade.dispatcher.*}).
 *
 * @param enabled        whether this instance runs workloads at all (an API-only instance says false)
 * @param capacity       jobs (workloads of kind JOB) this instance runs at once: the job pool
 * @param pollInterval   how often an idle worker looks for queued work (a submit to this instance wakes it at once)
 * @param heartbeat      how often the node renews its leases and looks for cancel requests
 * @param leaseTimeout   how long a lease lives without renewal; after it the workload is failed ("worker lost") or retried
 * @param shutdownGrace  on a normal stop, how long running workloads may finish before they are handed back to the queue
 * @param nodeId         this node's id; default host name, pid and a random suffix
 * @param retryBackoff   a run retried after its worker was lost waits this long, doubled at each further attempt
 * @param retryBackoffMax the longest such wait
 * @param platforms      the sandbox platforms this node offers (ptrace, kvm); default every one usable here.
 *                       One that is not usable here is never offered, whatever this says.
 * @param serviceCapacity services this instance keeps running at once: the service pool, apart from the
 *                       job pool, so that services, which hold their slot for as long as they run, never
 *                       keep a job waiting
 * @param tenantShare    the share of each pool one tenant may hold on this instance (0 to 1; at least one
 *                       slot): one tenant can never take a whole node, whatever its quota allows
 */
@ConfigurationProperties("palisade.dispatcher")
public record DispatcherProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("4") int capacity,
        @DefaultValue("250ms") Duration pollInterval,
        @DefaultValue("1s") Duration heartbeat,
        @DefaultValue("15s") Duration leaseTimeout,
        @DefaultValue("10s") Duration shutdownGrace,
        String nodeId,
        @DefaultValue("2s") Duration retryBackoff,
        @DefaultValue("5m") Duration retryBackoffMax,
        List<String> platforms,
        @DefaultValue("4") int serviceCapacity,
        @DefaultValue("0.5") double tenantShare) {

    public DispatcherProperties {
        if (capacity < 0 || serviceCapacity < 0) {
            throw new IllegalArgumentException("palisade.dispatcher.capacity and service-capacity must not be negative");
        }
        if (!(tenantShare > 0 && tenantShare <= 1)) {
            throw new IllegalArgumentException("palisade.dispatcher.tenant-share must be above 0 and at most 1, was "
                    + tenantShare);
        }
    }

    /** Slots of a pool of {@code poolCapacity} one tenant may hold on this instance. */
    public int perTenant(int poolCapacity) {
        return poolCapacity == 0 ? 0 : Math.max(1, (int) Math.ceil(poolCapacity * tenantShare - 1e-9));
    }
}
