package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.TestStreams;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.platform.Platform;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Shared set-up for the KVM tests: skip without /dev/kvm, build test programs, run and compare. */
final class KvmTestSupport {
    private KvmTestSupport() {
    }

    static final KvmPlatform PLATFORM = new KvmPlatform();

    static void assumeKvm() {
        assumeTrue(Files.exists(Path.of("/dev/kvm")), "no /dev/kvm on this host: KVM platform tests skipped");
        assumeTrue(PLATFORM.unavailableReason().isEmpty(),
                () -> "KVM platform unavailable here: " + PLATFORM.unavailableReason().orElse(""));
    }

    /**
     * Makes {@code bin} a directory the sandbox may run the test programs built there with gcc
     * from; skips the test class on a host without KVM or gcc.
     */
    static void programDir(Path bin) throws java.io.IOException {
        assumeKvm();
        assumeTrue(have("gcc"), "gcc not installed: the KVM tests build their test programs with it");
        Files.setPosixFilePermissions(bin, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    static boolean have(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Compiles the test program with {@code compiler} and {@code flags}; null when the compiler is missing. */
    static Path build(Path dir, String compiler, String name, String... flags) throws Exception {
        return buildSource(dir, "probe.c", compiler, name, flags);
    }

    /** Compiles test resource {@code kvm/<source>} with {@code compiler} and {@code flags}; null when the compiler is missing. */
    static Path buildSource(Path dir, String source, String compiler, String name, String... flags) throws Exception {
        if (!have(compiler)) {
            return null;
        }
        Path src = dir.resolve(source);
        if (!Files.exists(src)) {
            try (InputStream in = KvmTestSupport.class.getResourceAsStream("/kvm/" + source)) {
                Files.copy(in, src);
            }
        }
        Path out = dir.resolve(name);
        List<String> cmd = new ArrayList<>(List.of(compiler, "-O2", "-w", "-o", out.toString(), src.toString()));
        cmd.addAll(2, List.of(flags));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + log);
        }
        return out;
    }

    record Run(SandboxResult result, String stdout, String stderr) {
    }

    static Run run(SandboxSpec spec) throws Exception {
        return run(spec, null);
    }

    static Run run(SandboxSpec spec, byte[] stdin) throws Exception {
        return run(PLATFORM, spec, stdin);
    }

    /** Runs {@code spec} on {@code platform} (the ptrace platform is the reference for KVM's behaviour). */
    static Run run(Platform platform, SandboxSpec spec, byte[] stdin) throws Exception {
        try (Sandbox s = platform.start(spec)) {
            CompletableFuture<byte[]> out = TestStreams.drain(s.stdout());
            CompletableFuture<byte[]> err = TestStreams.drain(s.stderr());
            if (stdin != null) {
                s.stdin().write(stdin);
            }
            s.stdin().close();
            SandboxResult r = s.await(Duration.ofSeconds(60)).orElseThrow(() -> new AssertionError("sandbox did not end in 60 s"));
            return new Run(r, new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8),
                    new String(err.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
        }
    }

    record Native(int exit, String stdout) {
    }

    /** Runs a command natively in {@code dir} with an empty environment. */
    static Native runNative(Path dir, List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().clear();
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Native(p.waitFor(), out);
    }

    /** The reference for what a call means: the same command on the ptrace platform. */
    static final PtracePlatform PTRACE = new PtracePlatform(PtracePlatform.DEFAULT_UID, PtracePlatform.DEFAULT_GID, s -> { });
    static final Limits LIMITS = new Limits(20_000, 30_000, 512L << 20, 64, 64L << 20, 8L << 20);

    /** Runs the command on both platforms in a fresh workspace each and compares stdout, stderr and status. */
    static Run sameAsPtrace(Path dir, String stdin, String... command) throws Exception {
        assumeTrue(PTRACE.unavailableReason().isEmpty(), () -> "ptrace platform unavailable: " + PTRACE.unavailableReason().orElse(""));
        byte[] in = stdin == null ? null : stdin.getBytes(StandardCharsets.UTF_8);
        Run kvm = run(PLATFORM, SandboxSpec.builder(List.of(command)).limits(LIMITS).build(), in);
        Run ptrace = run(PTRACE, SandboxSpec.builder(List.of(command)).limits(LIMITS).build(), in);
        String what = String.join(" ", command) + "\nkvm: " + kvm.result().message() + "\nkvm stderr: " + kvm.stderr();
        assertThat(kvm.result().platform()).isEqualTo("kvm");
        assertThat(kvm.stdout()).as("stdout of " + what).isEqualTo(ptrace.stdout());
        assertThat(kvm.stderr()).as("stderr of " + what).isEqualTo(ptrace.stderr());
        assertThat(kvm.result().termination()).as(what).isEqualTo(ptrace.result().termination());
        assertThat(kvm.result().exitCode()).as(what).isEqualTo(ptrace.result().exitCode());
        return kvm;
    }
}
