package dev.palisade.platform.workload;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Workload submission and storage ({@code palisade.workloads.*}).
 *
 * @param maxQueuedPerTenant bound on a tenant's waiting workloads; past it a submit answers 429
 * @param maxInputSize       largest input archive (compressed) accepted with a submit
 * @param maxInputEntries    most entries an input archive may unpack to
 * @param maxInputExpanded   most bytes an input archive may unpack to (zip bombs stop here)
 * @param maxArtifactSize    most bytes of /workspace/out kept as artifacts
 * @param tenantUidBase      a tenant's programs run as uid and gid {@code tenantUidBase + tenant id}
 * @param maxWorkspaceSize   most bytes a run's /workspace may hold (and files: one per 16 KiB), at most the
 *                           tenant's storage quota; past it the program's writes fail with ENOSPC
 */
@ConfigurationProperties("palisade.workloads")
public record WorkloadProperties(
        @DefaultValue("1000") int maxQueuedPerTenant,
        @DefaultValue("64MB") DataSize maxInputSize,
        @DefaultValue("10000") int maxInputEntries,
        @DefaultValue("256MB") DataSize maxInputExpanded,
        @DefaultValue("64MB") DataSize maxArtifactSize,
        @DefaultValue("200000") int tenantUidBase,
        @DefaultValue("256MB") DataSize maxWorkspaceSize) {
}
