package dev.palisade.model.workload;

import dev.palisade.model.quota.QuotaLimits;

/**
 * The per-workload limits a submission asks for; each must stay within the tenant's quota
 * ceiling. A field left null takes the ceiling.
 */
public record WorkloadLimits(Long cpuMillis, Long wallMillis, Long memoryBytes, Integer maxProcesses,
        Long outputBytes) {

    public static final WorkloadLimits NONE = new WorkloadLimits(null, null, null, null, null);

    /** The limits to run with: what was asked, or the quota's ceiling where nothing was. */
    public WorkloadLimits within(QuotaLimits quota) {
        return new WorkloadLimits(
                cpuMillis == null ? quota.maxCpuMillis() : cpuMillis,
                wallMillis == null ? quota.maxWallMillis() : wallMillis,
                memoryBytes == null ? quota.maxMemoryBytes() : memoryBytes,
                maxProcesses == null ? quota.maxProcesses() : maxProcesses,
                outputBytes == null ? quota.maxOutputBytes() : outputBytes);
    }

    /** As stored in workload.limits (numbers only, so no JSON library is needed here). */
    public String toJson() {
        StringBuilder b = new StringBuilder("{");
        append(b, "cpuMillis", cpuMillis);
        append(b, "wallMillis", wallMillis);
        append(b, "memoryBytes", memoryBytes);
        append(b, "maxProcesses", maxProcesses == null ? null : maxProcesses.longValue());
        append(b, "outputBytes", outputBytes);
        return b.append('}').toString();
    }

    private static void append(StringBuilder b, String name, Long value) {
        if (value != null) {
            if (b.length() > 1) {
                b.append(',');
            }
            b.append('"').append(name).append("\":").append(value);
        }
    }
}
