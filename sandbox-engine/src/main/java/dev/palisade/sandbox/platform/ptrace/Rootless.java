package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.nativeinterop.Posix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The engine started without root (a developer's laptop): the stub first enters a user namespace
 * of its own, where the caller's uid is mapped to root, and then builds the same mount, pid, net,
 * ipc, uts and cgroup namespaces as under root. What a user namespace cannot give is said once,
 * in {@link #WARNING}.
 *
 * <p>Inside, the program is uid 0 of that namespace without any capability (securebits lock
 * {@code NOROOT}, so no exec gives them back; {@code no_new_privs}); outside it is the caller's
 * uid, so it can reach only what the caller could, and the seccomp filter and the Sentry are the
 * same as under root.
 */
final class Rootless {

    /** True when this engine process is not root: every sandbox it starts is rootless. */
    static final boolean ACTIVE = Posix.geteuid() != 0;

    static final String WARNING = "palisade-sandbox: warning: not root, running rootless in a user namespace; missing:"
            + " a per-tenant uid (the program runs as the caller's uid, root without capabilities inside its namespace),"
            + " cgroups (memory bounded by RLIMIT_AS, CPU by RLIMIT_CPU, processes by the Sentry's count only),"
            + " a bounded host --workspace (bounded per file by --fsize only)";

    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private Rootless() {
    }

    /** The ids the kernel shows in a user namespace for a host id it has no mapping for. */
    private static final int OVERFLOW_UID = readInt("/proc/sys/kernel/overflowuid", 65534),
            OVERFLOW_GID = readInt("/proc/sys/kernel/overflowgid", 65534);
    private static final int CALLER_UID = Posix.geteuid(), CALLER_GID = Posix.getegid();

    /**
     * What the sandbox's user namespace shows for host uid or gid {@code id} ({@code group}: a
     * gid): root for the caller's own ({@link #mapCallerToRoot}), the overflow id for any other.
     */
    static int inSandbox(int id, boolean group) {
        return id == (group ? CALLER_GID : CALLER_UID) ? 0 : group ? OVERFLOW_GID : OVERFLOW_UID;
    }

    /** The host's id for the sandbox's uid or gid {@code id}: the caller's for root, -1 for any other, which has none. */
    static int onHost(int id, boolean group) {
        return id == 0 ? (group ? CALLER_GID : CALLER_UID) : -1;
    }

    /** Prints {@link #WARNING} once per engine process. */
    static void warnOnce() {
        if (WARNED.compareAndSet(false, true)) {
            System.err.println(WARNING);
        }
    }

    /** Why this host refuses unprivileged user namespaces, if it does. */
    static Optional<String> unavailableReason() {
        if (readInt("/proc/sys/user/max_user_namespaces", 1) == 0) {
            return Optional.of("not root, and user namespaces are disabled (user.max_user_namespaces = 0); run the engine as root");
        }
        if (readInt("/proc/sys/kernel/unprivileged_userns_clone", 1) == 0) {
            return Optional.of("not root, and unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0);"
                    + " run the engine as root");
        }
        if (readInt("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", 0) == 1) {
            return Optional.of("not root, and AppArmor restricts unprivileged user namespaces"
                    + " (kernel.apparmor_restrict_unprivileged_userns = 1); run the engine as root");
        }
        return Optional.empty();
    }

    /**
     * A number in a {@code /proc/sys} file, read in one call: a sysctl answers a read from past
     * its start with nothing, and {@code Files.readString} reads a file of size 0 byte by byte.
     */
    private static int readInt(String file, int absent) {
        try (java.io.InputStream in = Files.newInputStream(Path.of(file))) {
            byte[] b = new byte[32];
            int n = in.read(b);
            return Integer.parseInt(new String(b, 0, Math.max(n, 0), java.nio.charset.StandardCharsets.US_ASCII).trim());
        } catch (IOException | RuntimeException e) {
            return absent;
        }
    }

    /**
     * Maps the caller's uid and gid to 0 in the user namespace the stub {@code pid} just entered
     * (an unprivileged process may map its own ids only, and gids only once setgroups is denied).
     */
    static void mapCallerToRoot(int pid) {
        try {
            Files.writeString(Path.of("/proc/" + pid + "/setgroups"), "deny");
            Files.writeString(Path.of("/proc/" + pid + "/uid_map"), "0 " + Posix.geteuid() + " 1\n");
            Files.writeString(Path.of("/proc/" + pid + "/gid_map"), "0 " + Posix.getegid() + " 1\n");
        } catch (IOException e) {
            throw new SandboxException("setup: cannot map the caller to root in the sandbox's user namespace: " + e, e);
        }
    }

    /**
     * The engine's own directory without root: {@code $XDG_RUNTIME_DIR/palisade} or
     * {@code /tmp/palisade-<uid>}, which must be the caller's own directory (not a link someone
     * else planted in /tmp).
     */
    static Path baseDir() {
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        Path base = xdg != null && !xdg.isBlank() && Files.isDirectory(Path.of(xdg))
                ? Path.of(xdg, "palisade") : Path.of("/tmp", "palisade-" + Posix.geteuid());
        return base;
    }

    /** Creates {@link #baseDir()} (mode 700) and checks that it is the caller's own. */
    static void ensureBase(Path base) throws IOException {
        if (!Files.exists(base, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(base, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        int owner = (Integer) Files.getAttribute(base, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (!Files.isDirectory(base, LinkOption.NOFOLLOW_LINKS) || owner != Posix.geteuid()) {
            throw new SandboxException(base + " is not a directory of this user: refusing to build sandboxes there");
        }
    }
}
