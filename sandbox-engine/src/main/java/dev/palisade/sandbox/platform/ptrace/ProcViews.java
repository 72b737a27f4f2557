package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.SandboxSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sandbox's own {@code /proc/meminfo}, {@code /proc/cpuinfo} and {@code /proc/stat}, the way
 * LXCFS shows a container its limits: files the engine writes at set-up and the sandbox's init
 * binds read-only over those entries of its {@code /proc} ({@link MountSetup}). So {@code free}
 * shows the memory limit, and {@code nproc}, {@code os.cpu_count()} and {@code /proc/cpuinfo} the
 * CPUs the sandbox may use. They are a snapshot taken at the start: the counters of {@code stat}
 * and the free memory do not move while the sandbox runs.
 */
final class ProcViews {

    private static final Path DIR = RootFs.BASE.resolve("views");
    private static final AtomicLong NAMES = new AtomicLong();

    /** The host directory holding the views and the names of the entries they replace. */
    record Views(Path dir, List<String> names) {
        /** Removes the host files, once the sandbox has ended. */
        void delete() {
            try {
                for (String n : names) {
                    Files.deleteIfExists(dir.resolve(n));
                }
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // a later engine start removes what is left (the directory is per engine pid)
            }
        }
    }

    private ProcViews() {
    }

    /** The host's /proc/cpuinfo, read once: it does not change while the engine runs, and it is long. */
    private static final class HostCpuinfo {
        static final String TEXT = read();

        private static String read() {
            try {
                return Files.readString(Path.of("/proc/cpuinfo"));
            } catch (IOException e) {
                return "";
            }
        }
    }

    static {
        removeStale();
    }

    /** Removes the views engines that are gone left behind (named {@code v<engine pid>-<n>}). */
    private static void removeStale() {
        if (!Files.isDirectory(DIR)) {
            return;
        }
        try (var dirs = Files.list(DIR)) {
            for (Path d : dirs.toList()) {
                String n = d.getFileName().toString();
                int dash = n.indexOf('-');
                if (n.startsWith("v") && dash > 1 && !Files.exists(Path.of("/proc", n.substring(1, dash)))) {
                    try (var files = Files.list(d)) {
                        new Views(d, files.map(f -> f.getFileName().toString()).toList()).delete();
                    }
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }

    /** Writes the views for a sandbox with this spec running on {@code cpus}. */
    static Views write(SandboxSpec spec, int[] cpus) {
        Map<String, String> files = new LinkedHashMap<>();
        try {
            files.put("cpuinfo", cpuinfo(HostCpuinfo.TEXT, cpus));
            files.put("stat", stat(Files.readString(Path.of("/proc/stat")), cpus));
            if (spec.limits().memoryBytes() > 0) {
                files.put("meminfo", meminfo(spec.limits().memoryBytes()));
            }
            Files.createDirectories(DIR);
            Path dir = Files.createDirectory(DIR.resolve("v" + ProcessHandle.current().pid() + "-" + NAMES.incrementAndGet()),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            for (var e : files.entrySet()) {
                Path f = Files.writeString(dir.resolve(e.getKey()), e.getValue());
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--r--r--"));
            }
            return new Views(dir, new ArrayList<>(files.keySet()));
        } catch (IOException e) {
            throw new SandboxException("cannot write the sandbox's /proc views: " + e.getMessage(), e);
        }
    }

    /** A meminfo of {@code limit} bytes, all free, no swap: what {@code free} and {@code psutil} read. */
    static String meminfo(long limit) {
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
    static String cpuinfo(String host, int[] cpus) {
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
        var m = java.util.regex.Pattern.compile("(?m)^processor\\s*:\\s*(\\d+)").matcher(block);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The host's stat with the per-CPU lines of {@code cpus} only, numbered from 0, and their sum as the total. */
    static String stat(String host, int[] cpus) {
        List<String> mine = new ArrayList<>();
        long[] sum = null;
        StringBuilder rest = new StringBuilder();
        for (String line : host.split("\n")) {
            if (line.matches("cpu\\d+ .*")) {
                String[] f = line.trim().split("\\s+");
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
