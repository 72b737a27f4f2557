package dev.palisade.sandbox;

/**
 * Resource limits of one sandbox. A value of 0 means "no limit of this kind" (except
 * {@code diskBytes}, see there).
 *
 * @param cpuMillis      CPU time of the whole process tree
 * @param wallMillis     wall-clock time from start to the end of the last process
 * @param memoryBytes    peak memory (cgroup on ptrace, guest size on KVM)
 * @param maxProcesses   processes and threads alive at once
 * @param fileSizeBytes  largest file the program may write
 * @param outputBytes    stdout and stderr together; past it the sandbox ends with {@link Termination#OUTPUT_LIMIT}
 * @param diskBytes      size of each of the sandbox's writable filesystems ({@code /workspace}, {@code /tmp}),
 *                       which also get {@link #diskInodes()} files at most; past either a write fails with
 *                       ENOSPC. 0: the file size limit, or 256 MiB without one (never unbounded)
 * @param cpuMillicores  a rate rather than a total: thousandths of a CPU core the sandbox may use at once (1500 =
 *                       one and a half cores). Its processes may run on {@link #cpuCount()} CPUs (ptrace: their
 *                       affinity, so {@code nproc} inside says so) and get that share of them per period (the
 *                       cgroup's CPU quota; KVM: the vCPU held to it). 0: every CPU the engine may use, no quota
 */
public record Limits(long cpuMillis, long wallMillis, long memoryBytes, int maxProcesses, long fileSizeBytes, long outputBytes,
        long diskBytes, long cpuMillicores) {

    /** Defaults when nothing is said: generous but finite, so a forgotten limit cannot hang a worker. */
    public static final Limits DEFAULT = new Limits(
            60_000, 300_000, 512L * 1024 * 1024, 64, 256L * 1024 * 1024, 16L * 1024 * 1024, 0, 0);

    /** Disk bytes per inode a writable filesystem gets (at least {@link #MIN_INODES}): bounds file count, hence kernel memory. */
    public static final long BYTES_PER_INODE = 16 * 1024;
    public static final long MIN_INODES = 256;

    public Limits {
        if (cpuMillis < 0 || wallMillis < 0 || memoryBytes < 0 || maxProcesses < 0 || fileSizeBytes < 0 || outputBytes < 0
                || diskBytes < 0 || cpuMillicores < 0) {
            throw new IllegalArgumentException("limits cannot be negative");
        }
    }

    /** Limits as before the disk bound existed: the writable filesystems are as large as the file size limit. */
    public Limits(long cpuMillis, long wallMillis, long memoryBytes, int maxProcesses, long fileSizeBytes, long outputBytes) {
        this(cpuMillis, wallMillis, memoryBytes, maxProcesses, fileSizeBytes, outputBytes, 0, 0);
    }

    /** Limits without a CPU rate: the program may use every core the host gives it. */
    public Limits(long cpuMillis, long wallMillis, long memoryBytes, int maxProcesses, long fileSizeBytes, long outputBytes,
            long diskBytes) {
        this(cpuMillis, wallMillis, memoryBytes, maxProcesses, fileSizeBytes, outputBytes, diskBytes, 0);
    }

    /** The size each writable filesystem gets: {@code diskBytes}, else the file size limit, else 256 MiB. */
    public long diskBound() {
        return diskBytes > 0 ? diskBytes : fileSizeBytes > 0 ? fileSizeBytes : 256L << 20;
    }

    /** The number of files (inodes) each writable filesystem may hold. */
    public long diskInodes() {
        return Math.max(MIN_INODES, diskBound() / BYTES_PER_INODE);
    }

    /** What a result says when the disk bound of {@code where} (/workspace, /tmp) was reached. */
    public String diskLimitMessage(String where) {
        return "disk limit of " + diskBound() + " bytes and " + diskInodes() + " files of " + where
                + " reached (writes failed with ENOSPC)";
    }

    public Limits withCpuMillis(long v) { return new Limits(v, wallMillis, memoryBytes, maxProcesses, fileSizeBytes, outputBytes, diskBytes, cpuMillicores); }
    public Limits withWallMillis(long v) { return new Limits(cpuMillis, v, memoryBytes, maxProcesses, fileSizeBytes, outputBytes, diskBytes, cpuMillicores); }
    public Limits withMemoryBytes(long v) { return new Limits(cpuMillis, wallMillis, v, maxProcesses, fileSizeBytes, outputBytes, diskBytes, cpuMillicores); }
    public Limits withMaxProcesses(int v) { return new Limits(cpuMillis, wallMillis, memoryBytes, v, fileSizeBytes, outputBytes, diskBytes, cpuMillicores); }
    public Limits withFileSizeBytes(long v) { return new Limits(cpuMillis, wallMillis, memoryBytes, maxProcesses, v, outputBytes, diskBytes, cpuMillicores); }
    public Limits withOutputBytes(long v) { return new Limits(cpuMillis, wallMillis, memoryBytes, maxProcesses, fileSizeBytes, v, diskBytes, cpuMillicores); }
    public Limits withCpuMillicores(long v) { return new Limits(cpuMillis, wallMillis, memoryBytes, maxProcesses, fileSizeBytes, outputBytes, diskBytes, v); }
    public Limits withDiskBytes(long v) { return new Limits(cpuMillis, wallMillis, memoryBytes, maxProcesses, fileSizeBytes, outputBytes, v, cpuMillicores); }

    /** CPUs the sandbox may run on: the rate rounded up to whole cores; 0 for every CPU the engine may use. */
    public int cpuCount() {
        return (int) Math.min(Integer.MAX_VALUE, (cpuMillicores + 999) / 1000);
    }
}
