package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.nativeinterop.Posix;

import java.util.Arrays;

/**
 * The CPUs a sandbox runs on: as many as its CPU rate rounds up to ({@code Limits.cpuCount()}) (all the engine's
 * CPUs when it grants 0), taken in turn from the engine's own set so that sandboxes with fewer
 * cores than the host spread over it. The program's processes and its tracer share that set;
 * nothing is pinned to one CPU, so a parallel program gets every core it is allowed.
 */
final class CpuSet {

    /** The engine's CPUs, read from its main thread (a tracer thread's own affinity is narrower). */
    private static final int[] ENGINE = Posix.allowedCpus((int) ProcessHandle.current().pid());

    private CpuSet() {
    }

    /** The engine's CPUs, in order. */
    static int[] engine() {
        return ENGINE.clone();
    }

    /** {@code cores} CPUs of the engine's (all when 0 or more than it has), starting at its {@code turn}-th. */
    static int[] forSandbox(int cores, int turn) {
        int n = cores <= 0 ? ENGINE.length : Math.min(cores, ENGINE.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = ENGINE[Math.floorMod(turn + i, ENGINE.length)];
        }
        Arrays.sort(out);
        return out;
    }
}
