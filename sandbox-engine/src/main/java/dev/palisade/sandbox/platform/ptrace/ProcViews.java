package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.sentry.vfs.ProcText;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sandbox's own {@code /proc/meminfo}, {@code /proc/cpuinfo} and {@code /proc/stat}, the way
 * LXCFS shows a container its limits, so {@code free} shows the memory limit, and {@code nproc},
 * {@code os.cpu_count()} and {@code /proc/cpuinfo} the CPUs the sandbox may use. The text is
 * {@link ProcText}'s, the same KVM's /proc serves. They are a snapshot taken at the start: the
 * counters of {@code stat} and the free memory do not move while the sandbox runs.
 *
 * <p>The files live in a small tmpfs of the sandbox's own mount namespace, parked on its
 * {@code /proc} mount point ({@link MountSetup}): the engine writes them there from the host
 * side, the mount is made read-only, and the sandbox's init binds each file over its entry of
 * the proc it mounts on top. So no host file exists for them, and nothing is left behind when a
 * sandbox or the engine ends.
 */
final class ProcViews {

    private static final FileAttribute<Set<PosixFilePermission>> READ_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r--r--r--"));
    private static final Set<StandardOpenOption> CREATE = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    /** A view made empty ahead of time ({@link #create}) is filled in place: its bind shows that file. */
    private static final Set<java.nio.file.OpenOption> FILL = Set.of(StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    /** Every view a sandbox may get, in a prepared stub whose init binds them before its spec is known. */
    static final List<String> ALL = List.of("cpuinfo", "stat", "meminfo");
    /**
     * The texts that only depend on the CPU set or the memory limit, made once per engine. A
     * tenant picks its memory limit, so each cache keeps at most {@link #CACHED} texts.
     */
    private static final Map<String, byte[]> CPUINFO = new ConcurrentHashMap<>();
    private static final Map<Long, byte[]> MEMINFO = new ConcurrentHashMap<>();
    private static final int CACHED = 64;

    private ProcViews() {
    }

    static {
        removeStale();
    }

    /** The /proc entries a sandbox with this spec gets a view of. */
    static List<String> names(SandboxSpec spec) {
        return spec.limits().memoryBytes() > 0 ? List.of("cpuinfo", "stat", "meminfo") : List.of("cpuinfo", "stat");
    }

    /** Makes every view, empty, in {@code dir} (a prepared stub's parked tmpfs), for {@link #write} to fill later. */
    static void create(Path dir) {
        try {
            for (String name : ALL) {
                FileChannel.open(dir.resolve(name), CREATE, READ_ONLY).close();
            }
        } catch (IOException e) {
            throw new SandboxException("cannot make the sandbox's /proc views: " + e.getMessage(), e);
        }
    }

    /**
     * Writes the views of a sandbox with this spec running on {@code cpus} into {@code dir} (its
     * parked tmpfs): new files, or with {@code made} the empty ones {@link #create} made.
     */
    static void write(Path dir, SandboxSpec spec, int[] cpus, boolean made) {
        try {
            for (String name : names(spec)) {
                byte[] text = switch (name) {
                    case "cpuinfo" -> cached(CPUINFO, Arrays.toString(cpus), k -> bytes(ProcText.cpuinfo(ProcText.hostCpuinfo(), cpus)));
                    case "meminfo" -> cached(MEMINFO, spec.limits().memoryBytes(), m -> bytes(ProcText.meminfo(m)));
                    default -> bytes(ProcText.stat(ProcText.hostStat(), cpus));
                };
                try (FileChannel f = made ? FileChannel.open(dir.resolve(name), FILL) : FileChannel.open(dir.resolve(name), CREATE, READ_ONLY)) {
                    ByteBuffer b = ByteBuffer.wrap(text);
                    while (b.hasRemaining()) {
                        f.write(b);
                    }
                }
            }
        } catch (IOException e) {
            throw new SandboxException("cannot write the sandbox's /proc views: " + e.getMessage(), e);
        }
    }

    /** The text for {@code key}, kept for the next sandbox while the cache has room. */
    private static <K> byte[] cached(Map<K, byte[]> cache, K key, java.util.function.Function<K, byte[]> make) {
        byte[] text = cache.get(key);
        if (text == null) {
            text = make.apply(key);
            if (cache.size() < CACHED) {
                cache.putIfAbsent(key, text);
            }
        }
        return text;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Removes the host directories that engines before this one wrote the views to (named
     * {@code v<engine pid>-<n>} under {@code views}), once their engine is gone.
     */
    private static void removeStale() {
        Path views = RootFs.BASE.resolve("views");
        if (!Files.isDirectory(views)) {
            return;
        }
        try (var dirs = Files.list(views)) {
            for (Path d : dirs.toList()) {
                String n = d.getFileName().toString();
                int dash = n.indexOf('-');
                if (n.startsWith("v") && dash > 1 && !Files.exists(Path.of("/proc", n.substring(1, dash)))) {
                    try (var files = Files.list(d)) {
                        for (Path f : files.toList()) {
                            Files.deleteIfExists(f);
                        }
                    }
                    Files.deleteIfExists(d);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }
}
