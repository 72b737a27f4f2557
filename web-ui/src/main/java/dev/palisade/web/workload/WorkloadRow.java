package dev.palisade.web.workload;

import dev.palisade.model.workload.WorkloadState;
import java.time.Instant;
import java.util.UUID;

/** One line of a workloads list, read in one query without loading entities. */
public record WorkloadRow(UUID id, String tenant, String name, String image, String platform, WorkloadState state,
        Instant createdAt, Instant startedAt, Instant finishedAt, Integer exitCode, String terminationReason,
        Long cpuMillis, Long wallMillis, Long peakMemoryBytes, String node) {

    public boolean isActive() {
        return !state.isTerminal();
    }
}
