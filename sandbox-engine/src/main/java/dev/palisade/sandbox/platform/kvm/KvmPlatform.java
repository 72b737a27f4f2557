package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.nativeinterop.KvmSystem;
import dev.palisade.sandbox.platform.Platform;
import dev.palisade.sandbox.sentry.vfs.DiskBound;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.VirtualFs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The KVM platform: an x86-64 program (static, or dynamic with its interpreter) in a VM with no guest kernel, its system calls
 * carried out by the Java Sentry. See {@code docs/kvm.md}.
 */
public final class KvmPlatform implements Platform {
    private static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    static final long MAX_EXECUTABLE = 256L << 20;
    private volatile Optional<String> unavailable;
    private final java.util.function.Consumer<String> trace;

    /** Trace lines ({@code SandboxSpec.trace}) go to stderr. */
    public KvmPlatform() {
        this(System.err::println);
    }

    /** Trace lines ({@code SandboxSpec.trace}) go to {@code trace}. */
    public KvmPlatform(java.util.function.Consumer<String> trace) {
        this.trace = trace;
    }

    @Override
    public String name() {
        return "kvm";
    }

    @Override
    public Optional<String> unavailableReason() {
        Optional<String> u = unavailable;
        if (u == null) {
            u = check();
            unavailable = u;
        }
        return u;
    }

    private static Optional<String> check() {
        if (!Files.exists(Path.of(KvmSystem.DEVICE))) {
            return Optional.of(KvmSystem.DEVICE + " does not exist (no KVM on this host)");
        }
        try (KvmSystem k = KvmSystem.open()) {
            // version and capabilities are checked by open()
        } catch (RuntimeException | LinkageError e) {
            return Optional.of("KVM is unusable: " + e.getMessage());
        }
        try {
            SyscallPathProbe.Result r = SyscallPathProbe.result();
            if (r.chosen() == null) {
                return Optional.of("no system call path works on this host's KVM: " + r.summary());
            }
            VdsoClock.start();   // once per JVM, here rather than in the first sandbox's start-up
        } catch (RuntimeException | LinkageError e) {
            return Optional.of("KVM probe failed: " + e.getMessage());
        }
        return Optional.empty();
    }

    /** Nanoseconds of one round trip guest → host → guest on the chosen path (median of the start-up probe); empty when none works. */
    public static java.util.OptionalLong exitNanos() {
        SyscallPathProbe.Result r = SyscallPathProbe.result();
        return r.trials().stream().filter(t -> t.path() == r.chosen() && t.works())
                .mapToLong(t -> Math.round(t.nanosPerCall())).findFirst();
    }

    /** What the start-up probe found: the path chosen and the cost of each. */
    public static String probeSummary() {
        String probe = SyscallPathProbe.result().summary();
        VdsoClock.start();
        return probe + "; vDSO clocks: " + VdsoClock.status();
    }

    /**
     * Nanoseconds from {@link #start} to the program's first instruction (VM, memory, page tables,
     * ELF and stack all built); empty for another platform's sandbox or before the program runs.
     */
    public static java.util.OptionalLong startupNanos(Sandbox s) {
        if (s instanceof KvmSandbox k && k.startupNanos() > 0) {
            return java.util.OptionalLong.of(k.startupNanos());
        }
        return java.util.OptionalLong.empty();
    }

    @Override
    public Optional<String> refusal(SandboxSpec spec) {
        return spec.network() == dev.palisade.sandbox.NetworkPolicy.EGRESS ? Optional.of(EGRESS_REFUSAL) : Optional.empty();
    }

    /** Why the egress policy is refused here: the Sentry's sockets are its own loopback, with no way out. */
    public static final String EGRESS_REFUSAL = "the network policy egress needs the ptrace platform: the KVM Sentry"
            + " implements sockets itself, on a loopback of its own, and cannot connect out yet";

    @Override
    public boolean canRun(SandboxSpec spec) {
        try {
            return prepare(spec, false) != null;
        } catch (SandboxException e) {
            return false;
        }
    }

    /** Whether the spec's program is linked dynamically (has {@code PT_INTERP}); empty when KVM cannot run it. */
    public Optional<Boolean> dynamicProgram(SandboxSpec spec) {
        try {
            return Optional.of(prepare(spec, false).elf().dynamic());
        } catch (SandboxException e) {
            return Optional.empty();
        }
    }

    private record Prepared(VirtualFs fs, String execPath, ElfImage elf, ElfImage interp, Path tmp, Path ownWorkspace, String workdir) {
    }

    private Prepared prepare(SandboxSpec spec, boolean keepDirs) {
        Path tmp = null;
        Path ownWs = null;
        Path shm = null;
        try {
            Path ws = spec.workspace();
            if (ws == null) {
                ownWs = keepDirs ? SpareDirs.take("palisade-kvm-ws") : emptyDir();
                ws = ownWs;
            }
            tmp = keepDirs ? SpareDirs.take("palisade-kvm-tmp") : emptyDir();
            List<VirtualFs.Mount> binds = new ArrayList<>();
            if (keepDirs) {
                // /dev/shm (shm_open, sem_open): the sandbox's own, bounded as /tmp is, deleted with it
                shm = SpareDirs.take("palisade-kvm-shm");
                binds.add(new VirtualFs.Mount(VirtualFs.SHM, shm, false, new DiskBound(VirtualFs.SHM, spec.limits())));
            }
            for (SandboxSpec.Bind b : spec.binds()) {
                binds.add(new VirtualFs.Mount(b.sandboxPath(), b.hostPath(), b.readOnly()));
            }
            // a fresh /workspace and /tmp are bounded by the Sentry's account (a caller's workspace is the caller's)
            DiskBound wsBound = ownWs == null ? null : new DiskBound("/workspace", spec.limits());
            VirtualFs fs = new VirtualFs(spec.root(), ws, wsBound, tmp, new DiskBound("/tmp", spec.limits()), binds);
            String workdir;
            try {
                VirtualFs.Resolved w = fs.resolve("/", spec.workdir(), true);
                if (w.synthetic() || !Files.isDirectory(w.host())) {
                    throw new SandboxException("working directory " + spec.workdir() + " is not a directory in the sandbox");
                }
                workdir = w.path();
            } catch (FsError e) {
                throw new SandboxException("working directory " + spec.workdir() + " does not exist in the sandbox");
            }
            String program = spec.command().get(0);
            VirtualFs.Resolved exe = findProgram(fs, workdir, program, spec.environment());
            if (exe == null) {
                throw new SandboxException(program + ": not found in the sandbox");
            }
            if (exe.synthetic() || !Files.isRegularFile(exe.host(), LinkOption.NOFOLLOW_LINKS)) {
                throw new SandboxException(program + ": not a regular file");
            }
            long size = Files.size(exe.host());
            if (size > MAX_EXECUTABLE) {
                throw new SandboxException(program + ": executable larger than " + MAX_EXECUTABLE + " bytes");
            }
            ElfImage elf;
            try {
                elf = parseCached(exe.host());
            } catch (ElfImage.ElfException e) {
                throw new SandboxException(program + ": " + e.getMessage());
            }
            ElfImage interp = elf.dynamic() ? interpreter(fs, program, elf.interpreter) : null;
            return new Prepared(fs, exe.path(), elf, interp, tmp, ownWs, workdir);
        } catch (IOException e) {
            if (keepDirs) {
                deleteQuietly(tmp);
                deleteQuietly(ownWs);
                deleteQuietly(shm);
            }
            throw new SandboxException("cannot prepare the sandbox: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (keepDirs) {
                deleteQuietly(tmp);
                deleteQuietly(ownWs);
                deleteQuietly(shm);
            }
            throw e;
        }
    }

    /** The interpreter a dynamic program names, resolved inside the sandbox: a static (PIE) ELF itself. */
    private static ElfImage interpreter(VirtualFs fs, String program, String path) throws IOException {
        VirtualFs.Resolved r;
        try {
            r = fs.resolve("/", path, true);
        } catch (FsError e) {
            throw new SandboxException(program + ": its interpreter " + path + " is not in the sandbox");
        }
        if (r.synthetic() || !Files.isRegularFile(r.host(), LinkOption.NOFOLLOW_LINKS) || Files.size(r.host()) > MAX_EXECUTABLE) {
            throw new SandboxException(program + ": its interpreter " + path + " is not a regular file");
        }
        try {
            ElfImage interp = parseCached(r.host());
            if (interp.dynamic() || !interp.pie()) {
                throw new SandboxException(program + ": its interpreter " + path + " is not a position-independent static ELF");
            }
            return interp;
        } catch (ElfImage.ElfException e) {
            throw new SandboxException(program + ": its interpreter " + path + ": " + e.getMessage());
        }
    }

    private static volatile Path emptyDir;

    /**
     * For {@link #canRun}, which only looks the program up: one empty directory (mode 700, never
     * written, never given to a sandbox) stands for a fresh /workspace and /tmp, instead of two
     * directories made and removed on every check (each platform workload asking for "auto").
     */
    private static Path emptyDir() throws IOException {
        Path d = emptyDir;
        if (d == null || !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
            synchronized (KvmPlatform.class) {
                d = emptyDir;
                if (d == null || !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                    d = Files.createTempDirectory("palisade-kvm-probe");
                    d.toFile().deleteOnExit();
                    emptyDir = d;
                }
            }
        }
        return d;
    }

    private record ElfKey(Path path, Object fileKey, long size, long mtime) {
    }

    /**
     * Parsed executables by file identity (inode, size, mtime), and the reason for those that are
     * not static x86-64 executables: start-up skips reading them again, and so does every {@link
     * #canRun} of a platform workload asking for "auto" with a dynamic program such as /bin/true.
     */
    private static final Map<ElfKey, Object> ELF_CACHE = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<ElfKey, Object> e) {
                    return size() > 64;
                }
            });

    static ElfImage parseCached(Path host) throws IOException, ElfImage.ElfException {
        var a = Files.readAttributes(host, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        ElfKey key = new ElfKey(host, a.fileKey(), a.size(), a.lastModifiedTime().toMillis());
        Object cached = ELF_CACHE.get(key);
        if (cached instanceof ElfImage elf) {
            return elf;
        }
        if (cached instanceof String refused) {
            throw new ElfImage.ElfException(refused);
        }
        try {
            ElfImage parsed = ElfImage.parse(Files.readAllBytes(host));
            ELF_CACHE.put(key, parsed);
            return parsed;
        } catch (ElfImage.ElfException e) {
            ELF_CACHE.put(key, e.getMessage());
            throw e;
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // empty temp dir left behind
            }
        }
    }

    private static VirtualFs.Resolved findProgram(VirtualFs fs, String cwd, String program, Map<String, String> env) {
        List<String> candidates = new ArrayList<>();
        if (program.contains("/")) {
            candidates.add(program);
        } else {
            for (String dir : env.getOrDefault("PATH", DEFAULT_PATH).split(":")) {
                if (!dir.isEmpty()) {
                    candidates.add(dir + "/" + program);
                }
            }
        }
        for (String c : candidates) {
            try {
                VirtualFs.Resolved r = fs.resolve(cwd, c, true);
                if (!r.synthetic() && Files.isRegularFile(r.host(), LinkOption.NOFOLLOW_LINKS)) {
                    return r;
                }
            } catch (FsError e) {
                // next
            }
        }
        return null;
    }

    @Override
    public Sandbox start(SandboxSpec spec) {
        long t0 = System.nanoTime();
        Optional<String> why = unavailableReason();
        if (why.isPresent()) {
            throw new SandboxException("platform kvm is unavailable: " + why.get());
        }
        refusal(spec).ifPresent(r -> {
            throw new SandboxException("platform kvm cannot run this sandbox: " + r);
        });
        Prepared p = prepare(spec, true);
        List<String> envp = new ArrayList<>();
        spec.environment().forEach((k, v) -> envp.add(k + "=" + v));
        if (!spec.environment().containsKey("PATH")) {
            envp.add("PATH=/usr/local/bin:/usr/bin:/bin");   // as the ptrace platform: shells and compilers search it
        }
        return new KvmSandbox(new KvmLaunch(spec, p.fs(), p.workdir(), p.execPath(), p.elf(), p.interp(), spec.command(), envp,
                p.tmp(), p.ownWorkspace(), trace), t0);
    }
}
