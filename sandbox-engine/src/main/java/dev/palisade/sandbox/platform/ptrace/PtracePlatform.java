package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.nativeinterop.Posix;
import dev.palisade.sandbox.platform.Platform;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

/**
 * Runs any Linux x86-64 program under the Sentry through ptrace and a seccomp-bpf filter, inside
 * fresh mount, pid, net, ipc, uts and cgroup namespaces, as an unprivileged uid. Without root it
 * runs {@linkplain Rootless rootless}, in a user namespace, and says once what is missing.
 */
public final class PtracePlatform implements Platform {

    /** The uid and gid sandboxes run as unless told otherwise ("nobody"). */
    public static final int DEFAULT_UID = 65534, DEFAULT_GID = 65534;

    private static final ScheduledExecutorService TIMERS = timers();

    private static ScheduledExecutorService timers() {
        var pool = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "palisade-limits");
            t.setDaemon(true);
            return t;
        });
        pool.setRemoveOnCancelPolicy(true); // a sandbox's timers go when it ends, not when they would have fired
        return pool;
    }

    private final int uid, gid;
    private final Consumer<String> trace;
    /**
     * Stubs kept ready for the next sandboxes ({@code -Dpalisade.prespawn=N}; the command-line tool
     * uses 0). Two by default: preparing one (its pivot's RCU wait above all) can take longer than
     * a short sandbox runs, and two are prepared side by side.
     */
    private final StubPool pool;
    private static final java.util.Map<String, StubPool> POOLS = new java.util.concurrent.ConcurrentHashMap<>();

    public PtracePlatform() {
        this(DEFAULT_UID, DEFAULT_GID, System.err::println);
    }

    /** A platform running sandboxes as {@code uid}/{@code gid}, printing {@code --trace} lines to {@code trace}. */
    public PtracePlatform(int uid, int gid, Consumer<String> trace) {
        if (uid <= 0 || gid <= 0) {
            throw new IllegalArgumentException("sandboxes never run as root");
        }
        this.uid = uid;
        this.gid = gid;
        this.trace = trace;
        // one pool per uid in the JVM: engines created again and again share it (no idle stubs pile up)
        this.pool = POOLS.computeIfAbsent(uid + ":" + gid,
                k -> new StubPool(Integer.getInteger("palisade.prespawn", 2), uid, gid));
    }

    /** Initialises the tracer's filters and the Sentry's table they are built from (both platforms use the table). */
    public static void warmUp() {
        try {
            Tracer.servePaths();
        } catch (Throwable e) {
            // the first sandbox meets the same failure on its own path, and reports it there
        }
    }

    @Override
    public String name() {
        return "ptrace";
    }

    private volatile Optional<String> unavailable;

    /** Probed once per platform instance: the host does not change under a running engine. */
    @Override
    public Optional<String> unavailableReason() {
        Optional<String> u = unavailable;
        if (u == null) {
            u = probe();
            unavailable = u;
        }
        return u;
    }

    private static Optional<String> probe() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")
                || !System.getProperty("os.arch", "").matches("amd64|x86_64")) {
            return Optional.of("the ptrace platform needs Linux on x86-64");
        }
        try {
            if (Rootless.ACTIVE) {
                Optional<String> refused = Rootless.unavailableReason();
                if (refused.isPresent()) {
                    return refused;
                }
            }
            Path yama = Path.of("/proc/sys/kernel/yama/ptrace_scope");
            if (Files.exists(yama) && Files.readString(yama).trim().equals("3")) {
                return Optional.of("ptrace is disabled on this host (kernel.yama.ptrace_scope = 3)");
            }
            if (!Files.exists(Path.of("/proc/self/ns/pid"))) {
                return Optional.of("the kernel has no namespaces");
            }
        } catch (Exception e) {
            return Optional.of("cannot probe the host: " + e.getMessage());
        }
        return Optional.empty();
    }

    @Override
    public boolean canRun(SandboxSpec spec) {
        return true;
    }

    @Override
    public Optional<String> refusal(SandboxSpec spec) {
        if (spec.network() == dev.palisade.sandbox.NetworkPolicy.EGRESS && Rootless.ACTIVE) {
            return Optional.of(EGRESS_ROOTLESS);
        }
        return Optional.empty();
    }

    /** What rootless mode cannot do for the egress policy. */
    static final String EGRESS_ROOTLESS = "the network policy egress needs the engine to run as root: it creates a veth"
            + " pair and nftables rules in the host's network namespace; rootless, a sandbox gets none or loopback only";

    @Override
    public Sandbox start(SandboxSpec spec) {
        unavailableReason().ifPresent(why -> {
            throw new SandboxException("ptrace platform unavailable: " + why);
        });
        refusal(spec).ifPresent(r -> {
            throw new SandboxException("platform ptrace cannot run this sandbox: " + r);
        });
        String program = resolve(spec);
        ExecRewrite.strings(spec, program); // too large a command or environment is refused before anything starts
        // a spec's own identity (e.g. one uid per tenant) wins over the platform's default;
        // rootless, there is one identity only: the caller's, root (without capabilities) inside
        int u = Rootless.ACTIVE ? 0 : spec.identity() == null ? uid : spec.identity().uid();
        int g = Rootless.ACTIVE ? 0 : spec.identity() == null ? gid : spec.identity().gid();
        if (spec.workspace() != null && !Files.isDirectory(spec.workspace())) {
            throw new SandboxException("workspace is not a directory: " + spec.workspace());
        }
        if (Rootless.ACTIVE) {
            Rootless.warnOnce();
        } else if (spec.workspace() != null) {
            // the sandbox's uid must be able to write its workspace (only the top directory is changed)
            Posix.chown(spec.workspace().toAbsolutePath().toString(), u, g);
        }
        return new PtraceSandbox(spec, u, g, trace, program, pool.take(spec), TIMERS);
    }

    /**
     * The program's path inside the sandbox: a name without a slash is looked up in the sandbox's
     * PATH, on the host side of the directories the sandbox will see. Unresolved names are left as
     * they are and fail inside like a shell's "not found" (127).
     */
    static String resolve(SandboxSpec spec) {
        String prog = spec.command().get(0);
        if (prog.contains("/")) {
            return prog;
        }
        String path = spec.environment().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : path.split(":")) {
            if (!dir.startsWith("/")) {
                continue;
            }
            for (Path host : hostViews(spec, dir + "/" + prog)) {
                if (Files.isRegularFile(host) && Files.isExecutable(host)) {
                    return dir + "/" + prog;
                }
            }
        }
        return prog;
    }

    private static List<Path> hostViews(SandboxSpec spec, String inside) {
        List<Path> out = new ArrayList<>();
        for (SandboxSpec.Bind b : spec.binds()) {
            if (inside.startsWith(b.sandboxPath() + "/")) {
                out.add(b.hostPath().resolve(inside.substring(b.sandboxPath().length() + 1)));
            }
        }
        if (inside.startsWith("/workspace/") && spec.workspace() != null) {
            out.add(spec.workspace().resolve(inside.substring("/workspace/".length())));
        }
        if (spec.root() != null) {
            out.add(Path.of(spec.root() + inside));
        } else if (inside.startsWith("/usr/") || inside.startsWith("/bin/") || inside.startsWith("/sbin/")) {
            out.add(Path.of(inside));
        }
        return out;
    }

    static Map<String, String> defaults() {
        return Map.of("PATH", "/usr/local/bin:/usr/bin:/bin");
    }
}
