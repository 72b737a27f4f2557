package dev.palisade.platform.workload;

import dev.palisade.model.workload.Workload;
import dev.palisade.model.workload.WorkloadState;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * A workload as the API answers it. The command, environment, limits and result are kept as
 * JSON columns; they are read into their types here, so that the document types them and a
 * client gets an array, a map and objects, the same JSON as stored.
 */
@Schema(name = "Workload", description = "A workload: what was asked, where it stands and how it ended")
public record WorkloadResponse(
        UUID id,
        @Schema(example = "acme") String tenant,
        @Schema(example = "nightly-report") String name,
        @Schema(example = "host") String image,
        @Schema(example = "[\"python3\", \"-c\", \"print(6*7)\"]") List<String> command,
        @Schema(example = "{\"GREETING\": \"hello\"}") Map<String, String> env,
        @Schema(description = "the platform asked for; result.platform says where it ran and result.platformReason why",
                example = "auto", allowableValues = {"auto", "ptrace", "kvm"}) String platform,
        WorkloadSubmissions.Limits limits,
        WorkloadState state,
        @Schema(description = "the program's exit code, once it exited", example = "0") Integer exitCode,
        @Schema(description = "why it ended: exited, cpu_limit, wall_limit, memory_limit, cancelled, rejected, …",
                example = "exited") String terminationReason,
        @Schema(description = "one line saying how it ended or why it was refused") String message,
        Long cpuMillis, Long wallMillis, Long peakMemoryBytes,
        @Schema(description = "the node that ran it; for a platform admin only") String node,
        int attempts, int maxAttempts, boolean cancelRequested, long inputBytes, long logBytes, long artifactBytes,
        Instant createdAt, Instant startedAt, Instant finishedAt,
        WorkloadResult result,
        @Schema(description = "JOB, or SERVICE for a deployment of a service", example = "JOB") String kind) {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<List<String>> COMMAND = new TypeReference<>() { };
    private static final TypeReference<Map<String, String>> ENV = new TypeReference<>() { };

    /** {@code showNode}: for a platform admin only. */
    static WorkloadResponse of(String tenant, Workload w, boolean showNode) {
        return new WorkloadResponse(w.getId(), tenant, w.getName(), w.getImage(), command(w.getCommand()),
                env(w.getEnv()), w.getPlatform(), limits(w.getLimits()), w.getState(), w.getExitCode(),
                w.getTerminationReason(), w.getMessage(), w.getCpuMillis(), w.getWallMillis(), w.getPeakMemoryBytes(),
                showNode ? w.getNode() : null, w.getAttempts(), w.getMaxAttempts(), w.isCancelRequested(), w.getInputBytes(),
                w.getLogBytes(), w.getArtifactBytes(), w.getCreatedAt(), w.getStartedAt(), w.getFinishedAt(),
                result(w.getResult()), w.getKind());
    }

    static List<String> command(String json) {
        return json == null ? null : JSON.readValue(json, COMMAND);
    }

    static Map<String, String> env(String json) {
        return json == null ? null : JSON.readValue(json, ENV);
    }

    static WorkloadSubmissions.Limits limits(String json) {
        return json == null ? null : JSON.readValue(json, WorkloadSubmissions.Limits.class);
    }

    static WorkloadResult result(String json) {
        return json == null ? null : JSON.readValue(json, WorkloadResult.class);
    }
}
