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

    /** The engine's own directory: {@code /run/palisade}, or the caller's own one when rootless. */
    static final Path BASE = Rootless.ACTIVE ? Rootless.baseDir() : Path.of("/run/palisade");
    static final Path STAGE = BASE.resolve("stage");
    /** Host skeleton of the default root (mount points and top-level symlinks), used when the spec adds no binds. */
    static final Path SKEL = BASE.resolve("skel");
    /** The sandbox's /dev, prepared once on the host: five device nodes, the fd symlinks, shm -> /tmp. */
    static final Path DEV = BASE.resolve("dev");
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
    /** Default root with no binds of its own: the shared host skeleton serves as the root's base. */
    boolean useSkeleton;
    /** The root's own binds (the host's userland, or nothing for an image). */
    final List<Bind> binds = new ArrayList<>();
    /** The spec's binds, made after the root's (a prepared stub makes them when it is adopted). */
    final List<Bind> specBinds = new ArrayList<>();
    final List<String> masks = new ArrayList<>();
    final List<Boolean> maskIsDir = new ArrayList<>();
    /** Default root only: mount points of the spec's binds, made in the fresh root (true = directory). */
    final java.util.Map<String, Boolean> mountPoints = new java.util.LinkedHashMap<>();
    /**
     * Mount points of the spec's binds under {@code /tmp} or {@code /workspace} (path under the
     * stage, true = directory): those filesystems are mounted in the sandbox, so the stub makes
     * the mount points there, after mounting them.
     */
    final java.util.Map<String, Boolean> mountPointsInside = new java.util.LinkedHashMap<>();

    /** Whether a path inside the sandbox lies on a filesystem mounted at set-up (so not in the root or image). */
    static boolean onSandboxMount(String inside) {
        return inside.startsWith("/tmp/") || inside.startsWith("/workspace/");
    }

    private RootFs(String stage, Path hostRoot) {
        this.stage = stage;
        this.hostRoot = hostRoot;
    }

    private static volatile boolean skeletonReady;
    /** The host's side of the default root, looked at once (per sandbox it cost a dozen failed lookups). */
    private static final List<Bind> DEFAULT_BINDS = new ArrayList<>();
    private static final List<String> DEFAULT_MASKS = new ArrayList<>();
    private static final List<Boolean> DEFAULT_MASK_IS_DIR = new ArrayList<>();

    static {
        for (String top : HOST_TOP) {
            Path host = Path.of("/", top);
            if (Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
                DEFAULT_BINDS.add(new Bind(host.toString(), STAGE + "/" + top, true));
            }
        }
        for (String m : MASKED) {
            Path host = Path.of(m);
            if (Files.exists(host, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(host)) {
                DEFAULT_MASKS.add(STAGE + m);
                DEFAULT_MASK_IS_DIR.add(Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS));
            }
        }
    }

    /** Plans the filesystem of a spec, creating host-side mount points where needed. */
    static RootFs plan(SandboxSpec spec) {
        try {
            ensureBase();
            RootFs fs;
            if (spec.root() == null) {
                fs = new RootFs(STAGE.toString(), null);
                fs.useSkeleton = spec.binds().isEmpty();
                fs.binds.addAll(DEFAULT_BINDS);
                fs.masks.addAll(DEFAULT_MASKS);
                fs.maskIsDir.addAll(DEFAULT_MASK_IS_DIR);
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
                if (onSandboxMount(inside)) {
                    fs.mountPointsInside.put(fs.stage + inside, Files.isDirectory(host));
                    fs.specBinds.add(new Bind(host.toString(), fs.stage + inside, b.readOnly()));
                    continue;
                }
                if (fs.hostRoot == null) {
                    String top = inside.split("/")[1];
                    if (inside.equals("/") || HOST_TOP.contains(top) || List.of("proc", "dev").contains(top)) {
                        throw new SandboxException("cannot bind over " + inside + " in the default root");
                    }
                    fs.mountPoints.put(inside, Files.isDirectory(host));
                    fs.specBinds.add(new Bind(host.toString(), fs.stage + inside, b.readOnly()));
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
                fs.specBinds.add(new Bind(host.toString(), fs.stage + inside, b.readOnly()));
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
        if (Rootless.ACTIVE) {
            Rootless.ensureBase(BASE);
        } else {
            Files.createDirectories(BASE);
            Files.setPosixFilePermissions(BASE, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Files.createDirectories(STAGE);
        Files.createDirectories(EMPTY_DIR);
        Files.setPosixFilePermissions(EMPTY_DIR, PosixFilePermissions.fromString("r-xr-xr-x"));
        if (!Files.exists(EMPTY_FILE)) {
            Files.createFile(EMPTY_FILE);
        }
        Files.setPosixFilePermissions(EMPTY_FILE, PosixFilePermissions.fromString("r--r--r--"));
        for (String top : HOST_TOP) {
            Path host = Path.of("/", top);
            Path skel = SKEL.resolve(top);
            if (Files.exists(skel, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            if (Files.isSymbolicLink(host)) {
                Files.createDirectories(SKEL);
                Files.createSymbolicLink(skel, Files.readSymbolicLink(host));
            } else if (Files.isDirectory(host)) {
                Files.createDirectories(skel);
            }
        }
        for (String d : List.of("proc", "dev", "tmp", "workspace")) {
            Files.createDirectories(SKEL.resolve(d));
        }
        // nothing else belongs in the skeleton (an older engine may have left mount points there)
        try (var entries = Files.list(SKEL)) {
            for (Path e : entries.toList()) {
                String n = e.getFileName().toString();
                if (!HOST_TOP.contains(n) && !List.of("proc", "dev", "tmp", "workspace").contains(n)) {
                    Files.deleteIfExists(e);
                }
            }
        }
        Files.createDirectories(DEV);
        int[][] numbers = {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}};
        for (int i = 0; i < DEVICES.size(); i++) {
            Path node = DEV.resolve(DEVICES.get(i));
            if (Rootless.ACTIVE && !Files.exists(node, LinkOption.NOFOLLOW_LINKS)) {
                Files.createFile(node); // no mknod without root: the host's node is bound onto it inside
            } else if (!Files.exists(node, LinkOption.NOFOLLOW_LINKS)) {
                dev.palisade.sandbox.nativeinterop.Posix.mknodChar(node.toString(), 0666, numbers[i][0], numbers[i][1]);
                Files.setPosixFilePermissions(node, PosixFilePermissions.fromString("rw-rw-rw-"));
            }
        }
        String[][] links = {{"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
                {"stderr", "/proc/self/fd/2"}, {"shm", "/tmp"}};
        for (String[] l : links) {
            if (!Files.exists(DEV.resolve(l[0]), LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(DEV.resolve(l[0]), Path.of(l[1]));
            }
        }
        Files.createDirectories(DEV.resolve("pts"));
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

}
