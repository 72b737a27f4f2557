package dev.palisade.sandbox;

import dev.palisade.sandbox.nativeinterop.NativeCallException;
import dev.palisade.sandbox.nativeinterop.Posix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A persistent volume: an ext4 filesystem in one image file on the host, preallocated to its
 * size when it is made (so the host's disk gives up those bytes once, at creation, and never
 * again however the volume fills), loop-mounted ({@code nosuid,nodev}) on a host directory that
 * the sandbox gets as a bind ({@link SandboxSpec.Bind}). The kernel bounds it: a program that
 * writes past its size gets {@code ENOSPC}, on the ptrace platform (the program's own writes) and
 * on the KVM platform (the Sentry's writes on its behalf) alike.
 *
 * <p>Mounting a filesystem needs root: {@link #unavailableReason()} says why volumes cannot be
 * had on this host (no root, no {@code mkfs.ext4}, no loop devices).
 */
public final class VolumeImage {

    /** The smallest volume: smaller ones hold little but ext4's own metadata. */
    public static final long MIN_BYTES = 16L << 20;
    private static final int EBUSY = 16;
    private static final List<String> SBIN = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");

    private VolumeImage() {
    }

    /** Why volumes cannot be made or mounted on this host, or null when they can. */
    public static String unavailableReason() {
        if (Posix.geteuid() != 0) {
            return "volumes need the engine to run as root (it loop-mounts a filesystem per volume); "
                    + "this engine runs without root";
        }
        if (tool("mkfs.ext4") == null) {
            return "volumes need mkfs.ext4 (Debian package e2fsprogs), which is not installed";
        }
        if (tool("mount") == null || !Files.exists(Path.of("/dev/loop-control"))) {
            return "volumes need loop devices (/dev/loop-control) and mount(8), which this host lacks";
        }
        return null;
    }

    /**
     * Makes the image file {@code image} (which must not exist): {@code bytes} preallocated, an
     * ext4 filesystem with no blocks reserved for root, its top directory owned by uid/gid.
     */
    public static void create(Path image, long bytes, int uid, int gid) {
        requireAvailable();
        if (bytes < MIN_BYTES) {
            throw new SandboxException("a volume is at least " + MIN_BYTES + " bytes");
        }
        try {
            Files.createDirectories(image.getParent());
            if (Files.exists(image)) {
                throw new SandboxException("volume image " + image + " exists already");
            }
            run("fallocate", "-l", Long.toString(bytes), image.toString());
            // every table is written now: no background initialisation later punches holes into the image
            run("mkfs.ext4", "-q", "-F", "-m", "0", "-E", "root_owner=" + uid + ":" + gid
                    + ",nodiscard,lazy_itable_init=0,lazy_journal_init=0", image.toString());
            // mkfs may punch holes where it zeroes (it does on tmpfs): allocate them again, keeping the data
            run("fallocate", "-l", Long.toString(bytes), image.toString());
            Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(image);
            } catch (IOException ignored) {
                // the message below says what failed; a half-made image is removed when it can be
            }
            throw e instanceof SandboxException s ? s : new SandboxException("cannot make the volume image " + image + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Mounts the image on {@code dir} (created if missing, empty) with {@code nosuid,nodev}; its top
     * directory is left to uid/gid alone ({@code 0700}).
     */
    public static void mount(Path image, Path dir, int uid, int gid) {
        requireAvailable();
        Path d = dir.toAbsolutePath().normalize();
        if (!Files.isRegularFile(image)) {
            throw new SandboxException("volume image " + image + " is missing");
        }
        try {
            Files.createDirectories(d);
            run("mount", "-t", "ext4", "-o", "loop,nosuid,nodev,noatime,noinit_itable", image.toString(), d.toString());
            Files.setAttribute(d, "unix:uid", uid);
            Files.setAttribute(d, "unix:gid", gid);
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new SandboxException("cannot mount the volume image " + image + ": " + e.getMessage(), e);
        }
    }

    /** True when a filesystem is mounted at {@code dir}. */
    public static boolean mounted(Path dir) {
        String d = dir.toAbsolutePath().normalize().toString();
        return mountPoints().stream().anyMatch(p -> p.toString().equals(d));
    }

    /**
     * Unmounts the volume at {@code dir}; its loop device goes with it. False, and still mounted,
     * while something uses it (a sandbox's bind of it): never detached lazily, since mounting the
     * image again while a detached mount lives would put two file systems on one image.
     * Nothing mounted there: true.
     */
    public static boolean unmount(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        if (!mounted(d)) {
            return true;
        }
        try {
            Posix.umount2(d.toString(), 0);
            return true;
        } catch (NativeCallException e) {
            if (e.errno() == EBUSY) {
                return false;
            }
            throw new SandboxException("cannot unmount the volume at " + d + ": " + e.getMessage(), e);
        }
    }

    /**
     * Unmounts every file system mounted below {@code root} that nothing uses (what a stopped
     * process left); one in use stays mounted. Returns how many it unmounted.
     */
    public static int unmountAllUnder(Path root) {
        Path r = root.toAbsolutePath().normalize();
        List<Path> under = new ArrayList<>(mountPoints().stream().filter(p -> p.startsWith(r) && !p.equals(r)).toList());
        under.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        int n = 0;
        for (Path p : under) {
            if (unmount(p)) {
                n++;
            }
        }
        return n;
    }

    private static List<Path> mountPoints() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" "))
                    .filter(f -> f.length > 4).map(f -> Path.of(BoundedWorkspace.unescape(f[4]))).toList();
        } catch (IOException e) {
            throw new SandboxException("cannot read /proc/self/mountinfo: " + e.getMessage(), e);
        }
    }

    private static void requireAvailable() {
        String why = unavailableReason();
        if (why != null) {
            throw new SandboxException(why);
        }
    }

    private static String tool(String name) {
        return SBIN.stream().map(d -> Path.of(d, name)).filter(Files::isExecutable).map(Path::toString).findFirst()
                .orElse(null);
    }

    /** Runs a system tool to completion; its output is the error's message when it fails. */
    private static void run(String tool, String... args) throws IOException {
        String path = tool(tool);
        if (path == null) {
            throw new IOException(tool + " is not installed");
        }
        List<String> command = new ArrayList<>();
        command.add(path);
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(tool + " did not finish within 120 s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(tool + " was interrupted");
        }
        if (p.exitValue() != 0) {
            throw new IOException(tool + " failed (exit " + p.exitValue() + "): " + out);
        }
    }
}
