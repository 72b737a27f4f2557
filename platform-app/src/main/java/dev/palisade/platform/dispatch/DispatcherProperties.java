package dev.palisade.platform.dispatch;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The worker of this instance ({@code palisade.dispatcher.*}).
 *
 * @param enabled        whether this instance runs workloads at all (an API-only instance says false)
 * @param capacity       workloads this instance runs at once
 * @param pollInterval   how often an idle worker looks for queued work (a submit to this instance wakes it at once)
 * @param heartbeat      how often the node renews its leases and looks for cancel requests
 * @param leaseTimeout   how long a lease lives without renewal; after it the workload is failed ("worker lost") or retried
 * @param shutdownGrace  on a normal stop, how long running workloads may finish before they are handed back to the queue
 * @param nodeId         this node's id; default host name, pid and a random suffix
 * @param retryBackoff   a run retried after its worker was lost waits this long, doubled at each further attempt
 * @param retryBackoffMax the longest such wait
 * @param platforms      the sandbox platforms this node offers (ptrace, kvm); default every one usable here.
 *                       One that is not usable here is never offered, whatever this says.
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
        List<String> platforms) {
}
