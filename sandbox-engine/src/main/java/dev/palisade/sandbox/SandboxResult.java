package dev.palisade.sandbox;

import java.util.List;
import java.util.Map;

/**
 * How a sandbox ended and what it did.
 *
 * @param termination     why it ended
 * @param exitCode        the program's exit code when {@code termination == EXITED}, else -1
 * @param signal          the signal that ended it, or 0
 * @param message         one human-readable line saying why, naming the limit where one ended it
 * @param platform        "ptrace" or "kvm"
 * @param cpuNanos        CPU time of the whole tree
 * @param wallNanos       wall time from start to end
 * @param peakMemoryBytes highest memory use seen
 * @param syscallCounts   trapped system calls counted by name (calls the seccomp filter lets through unstopped are not seen)
 * @param deniedCalls     every call the Sentry refused, in order (bounded; see {@code deniedCallsDropped})
 * @param deniedCallsDropped denied calls beyond the recorded bound
 * @param platformReason  why this platform ran it, one line ({@code SandboxEngine} sets it; null from a platform alone)
 */
public record SandboxResult(
        Termination termination,
        int exitCode,
        int signal,
        String message,
        String platform,
        long cpuNanos,
        long wallNanos,
        long peakMemoryBytes,
        Map<String, Long> syscallCounts,
        List<DeniedCall> deniedCalls,
        long deniedCallsDropped,
        String platformReason) {

    public SandboxResult {
        syscallCounts = Map.copyOf(syscallCounts);
        deniedCalls = List.copyOf(deniedCalls);
    }

    /** A platform's own result, before the engine says why that platform was chosen. */
    public SandboxResult(Termination termination, int exitCode, int signal, String message, String platform, long cpuNanos,
            long wallNanos, long peakMemoryBytes, Map<String, Long> syscallCounts, List<DeniedCall> deniedCalls,
            long deniedCallsDropped) {
        this(termination, exitCode, signal, message, platform, cpuNanos, wallNanos, peakMemoryBytes, syscallCounts,
                deniedCalls, deniedCallsDropped, null);
    }

    /** This result with the reason its platform was chosen. */
    public SandboxResult withPlatformReason(String reason) {
        return new SandboxResult(termination, exitCode, signal, message, platform, cpuNanos, wallNanos, peakMemoryBytes,
                syscallCounts, deniedCalls, deniedCallsDropped, reason);
    }

    /** The exit status of the command-line tool: the program's code, 128+signal, or 125 for an engine error. */
    public int shellStatus() {
        return switch (termination) {
            case EXITED -> exitCode;
            case ENGINE_ERROR -> 125;
            case DISK_LIMIT -> signal > 0 ? 128 + signal : exitCode; // the program ended on its own after ENOSPC
            default -> signal > 0 ? 128 + signal : 128 + 9;
        };
    }
}
