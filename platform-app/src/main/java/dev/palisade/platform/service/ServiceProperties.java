package dev.palisade.platform.service;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code palisade.services.*}: restarts and the ingress.
 *
 * @param firstBackoff          wait before the first restart after a crash; doubles with each quick crash
 * @param maxBackoff            the longest wait between restarts
 * @param quickCrash            a run shorter than this counts as a quick crash
 * @param crashLoopAfter        quick crashes in a row after which the deployment is in CRASH_LOOP
 * @param healthInterval        how often a starting instance is probed
 * @param maxConcurrentRequests requests in flight to one service through the ingress; more wait, then 503
 * @param queueTimeout          how long a request waits for one of those
 * @param connectTimeout        for the connection inside the sandbox
 * @param readTimeout           silence from the service after which the request fails with 504
 * @param idleConnections       kept-alive connections into one service instance that may wait idle for reuse
 * @param idleConnectionTime    how long one (or the standby opened ahead into a service that closes every
 *                              connection) may wait idle before it is closed rather than used
 * @param appsDomain            services answer at {@code service.tenant.<apps-domain>} only; neither the console's
 *                              host ({@code palisade.edge.console-host}) nor a parent of it
 * @param defaultCpuCores       the CPU rate of a service that names none, in cores (a cgroup CPU quota on ptrace)
 * @param maxCpuCores           the most cores one service may ask for
 * @param wakeQueue             requests that may wait for a service scaled to zero to start; more get 503
 * @param wakeTimeout           how long one waits for it to turn healthy before 503 with {@code Retry-After}
 * @param routeCacheTtl         how long an instance keeps the node a service it does not run was found on; a
 *                              hop that fails or finds the service gone drops it at once
 */
@ConfigurationProperties("palisade.services")
public record ServiceProperties(
        @DefaultValue("200ms") Duration firstBackoff,
        @DefaultValue("30s") Duration maxBackoff,
        @DefaultValue("10s") Duration quickCrash,
        @DefaultValue("5") int crashLoopAfter,
        @DefaultValue("100ms") Duration healthInterval,
        @DefaultValue("64") int maxConcurrentRequests,
        @DefaultValue("5s") Duration queueTimeout,
        @DefaultValue("5s") Duration connectTimeout,
        @DefaultValue("60s") Duration readTimeout,
        @DefaultValue("16") int idleConnections,
        @DefaultValue("2s") Duration idleConnectionTime,
        @DefaultValue("apps.localhost") String appsDomain,
        @DefaultValue("2s") Duration routeCacheTtl,
        @DefaultValue("1.0") double defaultCpuCores,
        @DefaultValue("2.0") double maxCpuCores,
        @DefaultValue("64") int wakeQueue,
        @DefaultValue("30s") Duration wakeTimeout) {

    public ServiceProperties {
        if (!(defaultCpuCores > 0 && defaultCpuCores <= maxCpuCores)) {
            throw new IllegalArgumentException("palisade.services.default-cpu-cores must be above 0 and at most "
                    + "palisade.services.max-cpu-cores");
        }
    }

    /** The CPU rate a service runs at, in thousandths of a core: its own, else the default. */
    public long cpuMillicores(int asked) {
        return asked > 0 ? asked : Math.round(defaultCpuCores * 1000);
    }
}
