package dev.palisade.sandbox;

/**
 * Resource limits of one sandbox. A value of 0 means "no limit of this kind".
 *
 * @param cpuMillis      CPU time of the whole process tree
 * @param wallMillis     wall-clock time from start to the end of the last process
 * @param memoryBytes    peak memory (cgroup on ptrace, guest size on KVM)
 * @param maxProcesses   processes and threads alive at once
 * @param fileSizeBytes  largest file the program may write
 * @param outputBytes    stdout and stderr together; past it the sandbox ends with {@link Termination#OUTPUT_LIMIT}
 */
public record Limits(long cpuMillis, long wallMillis, long memoryBytes, int maxProcesses, long fileSizeBytes, long outputBytes) {

    /** Defaults when nothing is said: generous but finite, so a forgotten limit cannot hang a worker. */
    public static final Limits DEFAULT = new Limits(
            60_000, 300_000, 512L * 1024 * 1024, 64, 256L * 1024 * 1024, 16L * 1024 * 1024);

    public Limits {
        if (cpuMillis < 0 || wallMillis < 0 || memoryBytes < 0 || maxProcesses < 0 || fileSizeBytes < 0 || outputBytes < 0) {
            throw new IllegalArgumentException("limits cannot be negative");
        }
    }

    public Limits withCpuMillis(long v) { return new Limits(v, wallMillis, memoryBytes, maxProcesses, fileSizeBytes, outputBytes); }
    public Limits withWallMillis(long v) { return new Limits(cpuMillis, v, memoryBytes, maxProcesses, fileSizeBytes, outputBytes); }
    public Limits withMemoryBytes(long v) { return new Limits(cpuMillis, wallMillis, v, maxProcesses, fileSizeBytes, outputBytes); }
    public Limits withMaxProcesses(int v) { return new Limits(cpuMillis, wallMillis, memoryBytes, v, fileSizeBytes, outputBytes); }
    public Limits withFileSizeBytes(long v) { return new Limits(cpuMillis, wallMillis, memoryBytes, maxProcesses, v, outputBytes); }
    public Limits withOutputBytes(long v) { return new Limits(cpuMillis, wallMillis, memoryBytes, maxProcesses, fileSizeBytes, v); }
}
