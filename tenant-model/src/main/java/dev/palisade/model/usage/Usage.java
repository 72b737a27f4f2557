package dev.palisade.model.usage;

import java.time.YearMonth;

/**
 * What a tenant used in one month (workloads created in it), and what it stores now.
 *
 * @param cpuMillis     CPU time of the month's workloads
 * @param wallMillis    wall time of the month's workloads
 * @param workloads     workloads submitted in the month (rejected ones included)
 * @param bytes         bytes the month's workloads stored: input, logs, artifacts
 * @param storedBytes   bytes stored now over all the tenant's workloads (what the storage quota bounds)
 * @param running       workloads running now
 * @param queued        workloads waiting now
 */
public record Usage(YearMonth month, long cpuMillis, long wallMillis, long workloads, long bytes, long storedBytes,
        long running, long queued) {
}
