package dev.palisade.sandbox;

import dev.palisade.sandbox.nativeinterop.NativeCallException;
import dev.palisade.sandbox.nativeinterop.Posix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A host directory given to a sandbox as its {@code /workspace} ({@link SandboxSpec#workspace()}),
 * bounded as a whole: when the engine runs as root it is a tmpfs of its own, mounted on the host
 * for the workload's life, with {@code size=} and {@code nr_inodes=} from {@link Limits#diskBound()}
 * and {@link Limits#diskInodes()}. The caller unpacks inputs into it before the run and collects
 * what the program left after it; a program that writes past the bound gets ENOSPC, and the host's
 * disk never sees a byte of it. {@link #close()} unmounts and removes it; {@link #removeStale}
 * cleans up what a killed process left mounted.
 *
 * <p>Without root no mount is possible: the directory is a plain one, bounded only file by file
 * ({@code RLIMIT_FSIZE}); {@link #bound()} says so.
 *
 * <p>Its pages live in memory (tmpfs), charged to the memory cgroup of whoever writes them: a
 * workspace larger than the program's memory limit ends it with the memory limit first.
 */
public final class BoundedWorkspace implements AutoCloseable {

    /**
     * The mount's source names the process that made it (pid and start time, as a pid is reused),
     * so a later start knows what a dead one left.
     */
    private static final String SOURCE = "palisade-ws-";
    private final Path dir;
    private final boolean mounted;
    private final long bytes, inodes;

    private BoundedWorkspace(Path dir, boolean mounted, long bytes, long inodes) {
        this.dir = dir;
        this.mounted = mounted;
        this.bytes = bytes;
        this.inodes = inodes;
    }

    /**
     * Makes {@code dir} (which must not exist yet, or be an empty directory) a workspace bounded by
     * {@code limits}' disk bound ({@link Limits#diskBound()} bytes, {@link Limits#diskInodes()} files).
     */
    public static BoundedWorkspace create(Path dir, Limits limits) {
        Path d = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(d);
            try (var entries = Files.list(d)) {
                if (entries.findAny().isPresent()) {
                    throw new SandboxException("workspace " + d + " is not empty");
                }
            }
        } catch (IOException e) {
            throw new SandboxException("cannot create the workspace " + d + ": " + e.getMessage(), e);
        }
        long size = limits.diskBound(), inodes = limits.diskInodes();
        if (Posix.geteuid() != 0) {
            return new BoundedWorkspace(d, false, size, inodes);
        }
        try {
            Posix.mount(SOURCE + processId(ProcessHandle.current()), d.toString(), "tmpfs", Posix.MS_NOSUID | Posix.MS_NODEV,
                    "mode=755,size=" + size + ",nr_inodes=" + inodes);
        } catch (NativeCallException e) {
            throw new SandboxException("cannot mount the workspace " + d + ": " + e.getMessage(), e);
        }
        return new BoundedWorkspace(d, true, size, inodes);
    }

    /** Its size in bytes (as a bound only when {@link #bounded()}). */
    public long bytes() {
        return bytes;
    }

    public Path path() {
        return dir;
    }

    /** True when the workspace is a bounded filesystem of its own (the engine runs as root). */
    public boolean bounded() {
        return mounted;
    }

    /** What bounds it, in words. */
    public String bound() {
        return mounted ? "a tmpfs of " + bytes + " bytes and " + inodes + " files"
                : "no bound as a whole (the engine is not root, so it cannot mount one): each file is bounded by the"
                        + " file size limit only";
    }

    /** Unmounts (if mounted) and removes the workspace with everything in it. */
    @Override
    public void close() {
        if (mounted) {
            unmount(dir);
        }
        FileTrees.delete(dir);
    }

    /**
     * Unmounts the workspaces under {@code root} that a process which is gone left mounted (a
     * worker killed with {@code kill -9}) and removes their directories; workspaces of live
     * processes (another instance on this machine) are left alone. Returns how many it removed.
     */
    public static int removeStale(Path root) {
        Path r = root.toAbsolutePath().normalize();
        List<Path> stale = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                // id parent dev root mountpoint options [optional...] - fstype source superoptions
                String[] f = line.split(" ");
                int dash = List.of(f).indexOf("-");
                if (f.length <= 4 || dash < 0 || dash + 2 >= f.length || !f[dash + 2].startsWith(SOURCE)) {
                    continue;
                }
                Path p = Path.of(unescape(f[4]));
                String owner = f[dash + 2].substring(SOURCE.length());
                boolean alive;
                try {
                    alive = ProcessHandle.of(Long.parseLong(owner.split("-")[0]))
                            .filter(ProcessHandle::isAlive).map(h -> processId(h).equals(owner)).orElse(false);
                } catch (NumberFormatException e) {
                    continue;
                }
                if (p.startsWith(r) && !p.equals(r) && !alive) {
                    stale.add(p);
                }
            }
        } catch (IOException e) {
            throw new SandboxException("cannot read /proc/self/mountinfo: " + e.getMessage(), e);
        }
        stale.sort(Comparator.comparingInt(Path::getNameCount).reversed()); // the deepest first
        for (Path m : stale) {
            unmount(m);
            FileTrees.delete(m);
        }
        return stale.size();
    }

    private static String processId(ProcessHandle h) {
        return h.pid() + "-" + h.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static void unmount(Path p) {
        try {
            Posix.umount2(p.toString(), Posix.MNT_DETACH);
        } catch (NativeCallException e) {
            throw new SandboxException("cannot unmount the workspace " + p + ": " + e.getMessage(), e);
        }
    }
}
