package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.sentry.vfs.ProcText;

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
 * CPUs the sandbox may use. The text is {@link ProcText}'s, the same KVM's /proc serves. They are a
 * snapshot taken at the start: the counters of {@code stat} and the free memory do not move while
 * the sandbox runs.
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
            files.put("cpuinfo", ProcText.cpuinfo(ProcText.hostCpuinfo(), cpus));
            files.put("stat", ProcText.stat(ProcText.hostStat(), cpus));
            if (spec.limits().memoryBytes() > 0) {
                files.put("meminfo", ProcText.meminfo(spec.limits().memoryBytes()));
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
}
