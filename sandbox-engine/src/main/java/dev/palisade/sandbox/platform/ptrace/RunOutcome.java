package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.abi.Signal;
import dev.palisade.sandbox.nativeinterop.Posix;
import dev.palisade.sandbox.nativeinterop.Ptrace;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How a ptrace sandbox's processes ended, gathered while the loop reaps them, and the
 * {@link SandboxResult} made of it.
 */
final class RunOutcome {
    private final SandboxSpec spec;
    int initStatus = -1;
    int stubStatus = -1;
    int workloadStatus = -1;
    long stubCpuNanos;
    long stubMaxRss;
    /** Limit signals (SIGXCPU, SIGXFSZ) that ended some process, by signal. */
    final Map<Integer, Integer> limitSignals = new HashMap<>();
    /** The writable filesystem found full when the sandbox's init exited ("/workspace" or "/tmp"), or null. */
    String diskFull;
    private boolean policyKilled;
    private String policyMessage;

    RunOutcome(SandboxSpec spec) {
        this.spec = spec;
    }

    /** The table or the seccomp filter ended the sandbox for a call. */
    void policyKilled(String message) {
        policyKilled = true;
        policyMessage = message;
    }

    /**
     * Which of the sandbox's writable filesystems is full, seen through its init's root while the
     * init is stopped at its exit (its mount namespace still exists); null when none is.
     */
    static String fullFilesystem(int init) {
        for (String dir : List.of("/workspace", "/tmp")) {
            try {
                if (Posix.statvfs("/proc/" + init + "/root" + dir).full()) {
                    return dir;
                }
            } catch (RuntimeException e) {
                // not visible: nothing to say about it
            }
        }
        return null;
    }

    private String diskMessage() {
        return spec.limits().diskLimitMessage(diskFull);
    }

    /**
     * The sandbox's result once every process is gone: the first kill reason wins, then a policy
     * kill, then how its first process (or the stub) ended, read against the limits that may have
     * caused it.
     */
    SandboxResult build(Termination reason, String killMessage, Cgroup cgroup, int initPid, long wall,
                        SyscallCalls calls) {
        long cpuNs = cgroup.cpuNanos();
        if (cpuNs < 0) {
            cpuNs = stubCpuNanos;
        }
        long peak = cgroup.peakMemory();
        if (peak < 0) {
            peak = stubMaxRss;
        }
        long ooms = cgroup.oomKills();
        Termination term;
        int code = -1, signal = 0;
        String msg;
        int st = workloadStatus != -1 ? workloadStatus : initStatus;
        if (reason != null && reason != Termination.POLICY_VIOLATION) {
            term = reason;
            signal = Signal.SIGKILL;
            msg = killMessage;
        } else if (policyKilled) {
            term = Termination.POLICY_VIOLATION;
            signal = Signal.SIGSYS;
            msg = policyMessage;
        } else if (st == -1 && initPid == 0 && stubStatus != -1 && Ptrace.exited(stubStatus)) {
            // the stub found no program to run: nothing of the workload ever started
            term = Termination.EXITED;
            code = Ptrace.exitStatus(stubStatus);
            msg = "exited with code " + code + (code == 127 ? " (program not found)" : "");
        } else if (st == -1) {
            term = Termination.ENGINE_ERROR;
            msg = "the sandbox's first process was never seen to end";
        } else if (Ptrace.signaled(st)) {
            signal = Ptrace.termSig(st);
            if (signal == Signal.SIGXCPU) {
                term = Termination.CPU_LIMIT;
                msg = "CPU limit of " + spec.limits().cpuMillis() + " ms reached";
            } else if (signal == Signal.SIGXFSZ) {
                term = Termination.FILE_SIZE_LIMIT;
                msg = "file size limit of " + spec.limits().fileSizeBytes() + " bytes reached";
            } else if (signal == Signal.SIGKILL && ooms > 0) {
                term = Termination.MEMORY_LIMIT;
                msg = "memory limit of " + spec.limits().memoryBytes() + " bytes reached";
            } else if (diskFull != null) {
                term = Termination.DISK_LIMIT;
                msg = diskMessage() + "; ended by signal " + signal;
            } else {
                term = Termination.SIGNALED;
                msg = "ended by signal " + signal;
            }
        } else {
            code = Ptrace.exitStatus(st);
            term = Termination.EXITED;
            msg = "exited with code " + code;
            if (code != 0 && ooms > 0) {
                term = Termination.MEMORY_LIMIT;
                signal = Signal.SIGKILL;
                msg = "memory limit of " + spec.limits().memoryBytes() + " bytes reached (a process was killed; exit code " + code + ")";
            } else if (code != 0 && limitSignals.containsKey(Signal.SIGXFSZ)) {
                term = Termination.FILE_SIZE_LIMIT;
                signal = Signal.SIGXFSZ;
                msg = "file size limit of " + spec.limits().fileSizeBytes() + " bytes reached (exit code " + code + ")";
            } else if (code != 0 && limitSignals.containsKey(Signal.SIGXCPU)) {
                term = Termination.CPU_LIMIT;
                signal = Signal.SIGXCPU;
                msg = "CPU limit of " + spec.limits().cpuMillis() + " ms reached (exit code " + code + ")";
            } else if (code != 0 && diskFull != null) {
                term = Termination.DISK_LIMIT;
                msg = diskMessage() + "; exit code " + code;
            } else if (diskFull != null) {
                msg += "; " + diskMessage();
            }
        }
        return new SandboxResult(term, term == Termination.EXITED ? code : (term == Termination.SIGNALED ? -1 : code),
                signal, msg, "ptrace", cpuNs, wall, peak, calls.counts(), calls.denied(), calls.deniedDropped());
    }
}
