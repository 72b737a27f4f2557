package dev.palisade.platform.workload;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.palisade.sandbox.DeniedCall;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.Termination;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;

/**
 * How a run of a workload ended, as the sandbox reported it: stored in {@code workload.result}
 * by the worker and answered as it is by the API. Absent while the workload has not run.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(description = "How the run ended, as the sandbox reported it")
public record WorkloadResult(
        @Schema(description = "why it ended") Termination termination,
        @Schema(description = "the program's exit code when termination is EXITED, else -1", example = "0") Integer exitCode,
        @Schema(description = "the signal that ended it, or 0", example = "0") Integer signal,
        @Schema(description = "one line saying why, naming the limit where one ended it", example = "exited with 0")
        String message,
        @Schema(description = "the platform it ran on", example = "ptrace") String platform,
        @Schema(description = "CPU time of the whole process tree", example = "41000000") Long cpuNanos,
        @Schema(description = "wall time from start to end", example = "52000000") Long wallNanos,
        @Schema(description = "highest memory use seen", example = "9437184") Long peakMemoryBytes,
        @Schema(description = "trapped system calls counted by name", example = "{\"openat\": 12, \"execve\": 1}")
        Map<String, Long> syscallCounts,
        @Schema(description = "every call the sandbox refused, in order (bounded)") List<Denied> deniedCalls,
        @Schema(description = "refused calls beyond the recorded bound", example = "0") Long deniedCallsDropped,
        @Schema(description = "whether the log was cut at the output limit", example = "false") Boolean logTruncated,
        @Schema(description = "why it ran on that platform: asked for, or what auto chose by this node's measurements",
                example = "auto: ptrace — served call 73 µs on kvm vs 15 µs on ptrace on this node (bare exit 52 µs);"
                        + " dynamic program, above 1×")
        String platformReason) {

    public static WorkloadResult of(SandboxResult r, boolean logTruncated) {
        return new WorkloadResult(r.termination(), r.exitCode(), r.signal(), r.message(), r.platform(), r.cpuNanos(),
                r.wallNanos(), r.peakMemoryBytes(), r.syscallCounts(), r.deniedCalls().stream().map(Denied::of).toList(),
                r.deniedCallsDropped(), logTruncated, r.platformReason());
    }

    /** A refused call as the tenant reads it: no host pid (the security events keep it, for the platform admin). */
    @Schema(description = "A system call the sandbox refused")
    @JsonIgnoreProperties(ignoreUnknown = true) // results stored before the pid was dropped carry it
    public record Denied(
            @Schema(description = "the x86-64 system call number", example = "101") int number,
            @Schema(description = "its name, or unknown_<nr>", example = "ptrace") String name,
            @Schema(description = "the errno returned (0 when the action was kill or fault)", example = "1") int errno,
            @Schema(description = "deny, kill or fault", example = "deny") String action,
            @Schema(description = "its arguments as far as registers show them", example = "") String detail) {

        static Denied of(DeniedCall d) {
            return new Denied(d.number(), d.name(), d.errno(), d.action(), d.detail() == null ? "" : d.detail());
        }
    }
}
