package dev.palisade.web.workload;

import dev.palisade.model.workload.WorkloadState;
import java.time.Instant;
import java.util.UUID;

/** One line of a workloads list, read in one query without loading entities; {@code kind} is JOB or SERVICE. */
public record WorkloadRow(UUID id, String tenant, String name, String image, String platform, WorkloadState state,
        Instant createdAt, Instant startedAt, Instant finishedAt, Integer exitCode, String terminationReason,
        Long cpuMillis, Long wallMillis, Long peakMemoryBytes, String node, String kind) {

    /** A workload of kind SERVICE: it listens on a port and is kept running (the other kind is JOB). */
    public boolean isService() {
        return "SERVICE".equals(kind);
    }

    public boolean isActive() {
        return !state.isTerminal();
    }
}
