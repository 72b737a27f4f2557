package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.SandboxSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The sandbox's filesystem: which host directories appear where, read-only or not, and what is
 * masked. The mounts themselves are made by the sandbox's first process in its own mount
 * namespace ({@link Tracer}); this class only plans them and prepares the host side.
 *
 * <p>Default root: a fresh tmpfs per sandbox holding the mount points and the host's top-level
 * symlinks such as {@code bin -> usr/bin} (made read-only once filled), with the host's {@code /usr} and
 * {@code /etc} bound read-only, secrets in {@code /etc} masked, and nothing else of the host:
 * no {@code /home}, {@code /root}, {@code /var}, {@code /opt}, {@code /work}, no engine files.
 */
final class RootFs {

    static final Path BASE = Path.of("/run/palisade");
    static final Path STAGE = BASE.resolve("stage");
    static final Path EMPTY_FILE = BASE.resolve("empty");
    static final Path EMPTY_DIR = BASE.resolve("empty.d");
    /** Top-level host entries of the default root: symlinks are copied, directories bound read-only. */
    static final List<String> HOST_TOP = List.of("usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32");
    /** Paths under the default root replaced by an empty file or directory. */
    static final List<String> MASKED = List.of("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-",
            "/etc/ssh", "/etc/ssl/private", "/etc/sudoers", "/etc/sudoers.d", "/etc/security/opasswd",
            "/etc/machine-id", "/etc/palisade");
    static final List<String> DEVICES = List.of("null", "zero", "full", "random", "urandom");

    /** A mount to make: bind {@code source} (host path) at {@code target} (path under the stage). */
    record Bind(String source, String target, boolean readOnly) {
    }

    final String stage;
    final Path hostRoot;
    final List<Bind> binds = new ArrayList<>();
    final List<String> masks = new ArrayList<>();
    final List<Boolean> maskIsDir = new ArrayList<>();
    /** Default root only: mount points of the spec's binds, made in the fresh root (true = directory). */
    final java.util.Map<String, Boolean> mountPoints = new java.util.LinkedHashMap<>();

    private RootFs(String stage, Path hostRoot) {
        this.stage = stage;
        this.hostRoot = hostRoot;
    }

    private static volatile boolean skeletonReady;

    /** Plans the filesystem of a spec, creating host-side mount points where needed. */
    static RootFs plan(SandboxSpec spec) {
        try {
            ensureBase();
            RootFs fs;
            if (spec.root() == null) {
                fs = new RootFs(STAGE.toString(), null);
                for (String top : HOST_TOP) {
                    Path host = Path.of("/", top);
                    if (Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
                        fs.binds.add(new Bind(host.toString(), STAGE + "/" + top, true));
                    }
                }
                for (String m : MASKED) {
                    Path host = Path.of(m);
                    if (Files.exists(host, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(host)) {
                        fs.masks.add(STAGE + m);
                        fs.maskIsDir.add(Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS));
                    }
                }
            } else {
                Path root = spec.root().toAbsolutePath().normalize();
                if (!Files.isDirectory(root)) {
                    throw new SandboxException("root is not a directory: " + root);
                }
                for (String d : List.of("proc", "dev", "tmp", "workspace")) {
                    Files.createDirectories(root.resolve(d));
                }
                fs = new RootFs(STAGE.toString(), root);
            }
            for (SandboxSpec.Bind b : spec.binds()) {
                Path host = b.hostPath().toAbsolutePath().normalize();
                if (!Files.exists(host)) {
                    throw new SandboxException("bind source does not exist: " + host);
                }
                String inside = Path.of(b.sandboxPath()).normalize().toString();
                if (fs.hostRoot == null) {
                    String top = inside.split("/")[1];
                    if (inside.equals("/") || HOST_TOP.contains(top) || List.of("proc", "dev").contains(top)) {
                        throw new SandboxException("cannot bind over " + inside + " in the default root");
                    }
                    fs.mountPoints.put(inside, Files.isDirectory(host));
                    fs.binds.add(new Bind(host.toString(), fs.stage + inside, b.readOnly()));
                    continue;
                }
                Path mountPoint = Path.of(fs.hostRoot + inside);
                if (!Files.exists(mountPoint, LinkOption.NOFOLLOW_LINKS)) {
                    if (Files.isDirectory(host)) {
                        Files.createDirectories(mountPoint);
                    } else {
                        Files.createDirectories(mountPoint.getParent());
                        Files.createFile(mountPoint);
                    }
                }
                fs.binds.add(new Bind(host.toString(), fs.stage + inside, b.readOnly()));
            }
            return fs;
        } catch (IOException e) {
            throw new SandboxException("cannot prepare the sandbox filesystem: " + e.getMessage(), e);
        }
    }

    private static synchronized void ensureBase() throws IOException {
        if (skeletonReady) {
            return;
        }
        Files.createDirectories(BASE);
        Files.setPosixFilePermissions(BASE, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(STAGE);
        Files.createDirectories(EMPTY_DIR);
        Files.setPosixFilePermissions(EMPTY_DIR, PosixFilePermissions.fromString("r-xr-xr-x"));
        if (!Files.exists(EMPTY_FILE)) {
            Files.createFile(EMPTY_FILE);
        }
        Files.setPosixFilePermissions(EMPTY_FILE, PosixFilePermissions.fromString("r--r--r--"));
        skeletonReady = true;
    }

    /**
     * Fills the fresh root tmpfs from the host side, through the first process's view of its mount
     * namespace ({@code /proc/<pid>/root}): the host's top-level symlinks and directories, the
     * sandbox's own mount points.
     */
    void populateRoot(int pid) {
        Path root = Path.of("/proc/" + pid + "/root" + stage);
        try {
            for (String top : HOST_TOP) {
                Path host = Path.of("/", top);
                if (Files.isSymbolicLink(host)) {
                    Files.createSymbolicLink(root.resolve(top), Files.readSymbolicLink(host));
                } else if (Files.isDirectory(host)) {
                    Files.createDirectory(root.resolve(top));
                }
            }
            for (String d : List.of("proc", "dev", "tmp", "workspace")) {
                Files.createDirectory(root.resolve(d));
            }
            for (var mp : mountPoints.entrySet()) {
                Path p = Path.of(root + mp.getKey());
                if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                Files.createDirectories(p.getParent());
                if (mp.getValue()) {
                    Files.createDirectory(p);
                } else {
                    Files.createFile(p);
                }
            }
        } catch (IOException e) {
            throw new SandboxException("cannot build the sandbox's root: " + e, e);
        }
    }

    /**
     * Fills the sandbox's fresh /dev tmpfs from the host side, through the first process's view of
     * its mount namespace ({@code /proc/<pid>/root}): device mount points, the usual symlinks, shm.
     */
    void populateDev(int pid) {
        Path dev = Path.of("/proc/" + pid + "/root" + stage + "/dev");
        try {
            for (String d : DEVICES) {
                Files.createFile(dev.resolve(d));
            }
            Files.createSymbolicLink(dev.resolve("fd"), Path.of("/proc/self/fd"));
            Files.createSymbolicLink(dev.resolve("stdin"), Path.of("/proc/self/fd/0"));
            Files.createSymbolicLink(dev.resolve("stdout"), Path.of("/proc/self/fd/1"));
            Files.createSymbolicLink(dev.resolve("stderr"), Path.of("/proc/self/fd/2"));
            Path shm = Files.createDirectory(dev.resolve("shm"));
            Files.setPosixFilePermissions(shm, PosixFilePermissions.fromString("rwxrwxrwx"));
            Files.createDirectory(dev.resolve("pts"));
        } catch (IOException e) {
            throw new SandboxException("cannot populate the sandbox's /dev: " + e, e);
        }
    }
}
