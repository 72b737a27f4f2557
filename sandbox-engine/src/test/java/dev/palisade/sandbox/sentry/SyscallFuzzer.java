package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.TestStreams;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.platform.Platform;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Builds and runs {@code src/test/resources/fuzz/sysfuzz.c}, the seeded system call fuzzer, in a
 * sandbox and natively, and reads what it printed: its probes ({@code P index kind nr result
 * mode}), its totals ({@code T random=… probes=…}) and the batches a random call ended ({@code L}).
 */
final class SyscallFuzzer {
    /** Where the fuzzer is bound in the sandbox, and the read-only canary it attacks. */
    static final String BIN = "/fuzz", CANARY = "/canary";

    /** One probe's outcome; {@code exact}: compare the value, else only its errno or "succeeded". */
    record Probe(long index, int kind, int nr, long result, boolean exact) {
    }

    /** What one run printed and how it ended ({@code result} null for a native run). */
    record Outcome(SandboxResult result, int exitStatus, String stdout, String stderr, long wallNanos) {
        Map<Long, Probe> probes() {
            Map<Long, Probe> m = new LinkedHashMap<>();
            for (String l : stdout.lines().filter(l -> l.startsWith("P ")).toList()) {
                String[] f = l.split(" ");
                m.put(Long.parseLong(f[1]), new Probe(Long.parseLong(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]),
                        Long.parseLong(f[4]), f[5].equals("e")));
            }
            return m;
        }

        /** Calls the fuzzer made: random calls and probes, over every batch that finished. */
        long calls() {
            return total("random") + total("probes");
        }

        long total(String key) {
            return stdout.lines().filter(l -> l.startsWith("T ")).flatMap(l -> List.of(l.split(" ")).stream())
                    .filter(w -> w.startsWith(key + "=")).mapToLong(w -> Long.parseLong(w.substring(key.length() + 1))).sum();
        }

        List<String> lostBatches() {
            return stdout.lines().filter(l -> l.startsWith("L ")).toList();
        }

        boolean finished() {
            return stdout.lines().anyMatch(l -> l.startsWith("done "));
        }
    }

    private final Path dir;
    private final Path binary;

    private SyscallFuzzer(Path dir, Path binary) {
        this.dir = dir;
        this.binary = binary;
    }

    /** Compiles the fuzzer (freestanding, static) into a fresh world-readable directory. */
    static SyscallFuzzer build() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("palisade-fuzz");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path src = dir.resolve("sysfuzz.c");
        try (InputStream in = SyscallFuzzer.class.getResourceAsStream("/fuzz/sysfuzz.c")) {
            Files.copy(in, src);
        }
        Path out = dir.resolve("sysfuzz");
        List<String> cmd = List.of("gcc", "-static", "-nostdlib", "-fno-stack-protector", "-fno-builtin", "-O2", "-w",
                "-o", out.toString(), src.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + log);
        }
        return new SyscallFuzzer(dir, out);
    }

    /** The directory the fuzzer is built in (bound read-only into the sandbox). */
    Path binDir() {
        return dir;
    }

    /** The numbers the fuzzer draws from: every table entry that does not end the sandbox, and unknown numbers. */
    static String numbers() {
        List<Integer> n = new ArrayList<>();
        for (Syscall s : SyscallTable.ALL) {
            if (s.action() != Syscall.Action.KILL) {
                n.add(s.number());
            }
        }
        for (int unknown = SyscallTable.maxNumber() + 1; unknown < 512; unknown++) {
            n.add(unknown);
        }
        return n.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    /** Runs {@code calls} calls of {@code seed} in a sandbox of {@code platform}, with {@code canary} bound read-only. */
    Outcome inSandbox(Platform platform, long seed, long calls, Path canary, Limits limits) throws Exception {
        SandboxSpec spec = SandboxSpec.builder(List.of(BIN + "/sysfuzz", Long.toString(seed), Long.toString(calls), numbers()))
                .bind(new SandboxSpec.Bind(dir, BIN, true))
                .bind(new SandboxSpec.Bind(canary, CANARY, true))
                .limits(limits)
                .build();
        long t0 = System.nanoTime();
        try (Sandbox s = platform.start(spec)) {
            CompletableFuture<byte[]> out = TestStreams.drain(s.stdout()), err = TestStreams.drain(s.stderr());
            s.stdin().close();
            SandboxResult r = s.await(Duration.ofSeconds(120))
                    .orElseThrow(() -> new AssertionError("seed " + seed + ": the sandbox did not end in 120 s"));
            return new Outcome(r, r.shellStatus(), new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8),
                    new String(err.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8), System.nanoTime() - t0);
        }
    }

    /** Runs only the probes of {@code seed} natively: the reference the sandbox's probes must match. */
    Outcome natively(long seed, long calls) throws Exception {
        Path cwd = Files.createTempDirectory("palisade-fuzz-native");
        ProcessBuilder pb = new ProcessBuilder(binary.toString(), Long.toString(seed), Long.toString(calls), numbers(), "probes")
                .directory(cwd.toFile());
        pb.environment().clear();
        long t0 = System.nanoTime();
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<byte[]> out = TestStreams.drain(p.getInputStream()), err = TestStreams.drain(p.getErrorStream());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("native probes of seed " + seed + " did not end in 60 s");
        }
        return new Outcome(null, p.exitValue(), new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8),
                new String(err.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8), System.nanoTime() - t0);
    }
}
