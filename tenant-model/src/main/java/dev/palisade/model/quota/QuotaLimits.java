package dev.palisade.model.quota;

/**
 * A tenant's limits. Concurrency, CPU-seconds per month and storage are checked at admission;
 * the per-workload ceilings are what the sandbox enforces while a workload runs.
 */
public record QuotaLimits(
        int maxConcurrentWorkloads,
        long maxCpuMillis,
        long maxWallMillis,
        long maxMemoryBytes,
        int maxProcesses,
        long maxOutputBytes,
        long cpuSecondsPerMonth,
        long storageBytes) {

    /** What a new tenant gets until an admin says otherwise: small, enough to try things. */
    public static final QuotaLimits DEFAULT = new QuotaLimits(
            4, 60_000, 300_000, 512L * 1024 * 1024, 64, 10L * 1024 * 1024, 36_000, 1024L * 1024 * 1024);
}
