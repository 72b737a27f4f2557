package dev.palisade.sandbox.sentry.vfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text of {@code /proc}'s resource views, the way LXCFS shows a container its limits: a
 * {@code meminfo} of the memory limit, and {@code cpuinfo} and {@code stat} with only the CPUs the
 * sandbox may use. One home for both platforms: ptrace binds files of this text over its procfs,
 * KVM's synthetic {@link ProcFs} serves it.
 */
public final class ProcText {
    /** The kernel release the sandbox sees (uname, /proc/version): the host's, whose system calls it gets. */
    public static final String RELEASE = hostRelease();
    /** The kernel version string (uname's version, /proc/version). */
    public static final String VERSION = "#1 SMP Palisade Sentry";
    private static final Pattern PROCESSOR = Pattern.compile("(?m)^processor\\s*:\\s*(\\d+)");
    /** Compiled once: stat is made at every sandbox's start. */
    private static final Pattern CPU_LINE = Pattern.compile("cpu\\d+ .*"), SPACES = Pattern.compile("\\s+");

    private ProcText() {
    }

    /** The host's /proc/cpuinfo, read once: it does not change while the engine runs, and it is long. */
    private static final class HostCpuinfo {
        static final String TEXT = read("/proc/cpuinfo");
    }

    private static String hostRelease() {
        String r = read("/proc/sys/kernel/osrelease").trim();
        return r.isEmpty() ? "6.1.0" : r;
    }

    /** /proc/version: the release and version uname gives. */
    public static String version() {
        return "Linux version " + RELEASE + " (palisade@sandbox) " + VERSION + "\n";
    }

    /** The host's /proc/cpuinfo ("" when it cannot be read). */
    public static String hostCpuinfo() {
        return HostCpuinfo.TEXT;
    }

    /** The host's /proc/stat now ("" when it cannot be read). */
    public static String hostStat() {
        return read("/proc/stat");
    }

    private static String read(String path) {
        try {
            return Files.readString(Path.of(path));
        } catch (IOException e) {
            return "";
        }
    }

    /** A meminfo of {@code limit} bytes, all free, no swap: what {@code free} and {@code psutil} read. */
    public static String meminfo(long limit) {
        long kb = limit / 1024;
        StringBuilder b = new StringBuilder();
        String[][] lines = {{"MemTotal", "" + kb}, {"MemFree", "" + kb}, {"MemAvailable", "" + kb}, {"Buffers", "0"},
                {"Cached", "0"}, {"SwapCached", "0"}, {"Active", "0"}, {"Inactive", "0"}, {"SwapTotal", "0"},
                {"SwapFree", "0"}, {"Dirty", "0"}, {"Writeback", "0"}, {"AnonPages", "0"}, {"Mapped", "0"},
                {"Shmem", "0"}, {"Slab", "0"}, {"SReclaimable", "0"}, {"SUnreclaim", "0"}, {"CommitLimit", "" + kb},
                {"Committed_AS", "0"}};
        for (String[] l : lines) {
            b.append(String.format("%-16s%8s kB%n", l[0] + ":", l[1]));
        }
        return b.toString();
    }

    /** The host's cpuinfo, only the blocks of {@code cpus}, numbered from 0. */
    public static String cpuinfo(String host, int[] cpus) {
        StringBuilder b = new StringBuilder();
        int next = 0;
        for (String block : host.split("\n\n")) {
            int cpu = processor(block);
            if (cpu < 0 || !contains(cpus, cpu)) {
                continue;
            }
            b.append(block.replaceFirst("(?m)^processor\\s*:\\s*\\d+", "processor\t: " + next++)
                    .replaceFirst("(?m)^siblings\\s*:\\s*\\d+", "siblings\t: " + cpus.length)
                    .replaceFirst("(?m)^cpu cores\\s*:\\s*\\d+", "cpu cores\t: " + cpus.length)).append("\n\n");
        }
        return b.toString();
    }

    private static int processor(String block) {
        Matcher m = PROCESSOR.matcher(block);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The host's stat with the per-CPU lines of {@code cpus} only, numbered from 0, and their sum as the total. */
    public static String stat(String host, int[] cpus) {
        List<String> mine = new ArrayList<>();
        long[] sum = null;
        StringBuilder rest = new StringBuilder();
        for (String line : host.split("\n")) {
            if (CPU_LINE.matcher(line).matches()) {
                String[] f = SPACES.split(line.trim());
                int cpu = Integer.parseInt(f[0].substring(3));
                if (!contains(cpus, cpu)) {
                    continue;
                }
                if (sum == null) {
                    sum = new long[f.length - 1];
                }
                for (int i = 1; i < f.length && i - 1 < sum.length; i++) {
                    sum[i - 1] += Long.parseLong(f[i]);
                }
                mine.add("cpu" + mine.size() + line.substring(f[0].length()));
            } else if (!line.startsWith("cpu ")) {
                rest.append(line).append('\n');
            }
        }
        StringBuilder b = new StringBuilder("cpu ");
        for (long v : sum == null ? new long[10] : sum) {
            b.append(' ').append(v);
        }
        b.append('\n');
        for (String l : mine) {
            b.append(l).append('\n');
        }
        return b.append(rest).toString();
    }

    private static boolean contains(int[] cpus, int cpu) {
        for (int c : cpus) {
            if (c == cpu) {
                return true;
            }
        }
        return false;
    }
}
