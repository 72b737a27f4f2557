package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Runs programs in the real sandbox and natively, for comparison. No mocks. */
final class Runs {

    static final PtracePlatform PLATFORM = new PtracePlatform(PtracePlatform.DEFAULT_UID, PtracePlatform.DEFAULT_GID, s -> { });
    /** Enough for every test, small enough that a runaway test ends quickly. */
    static final Limits TEST_LIMITS = new Limits(20_000, 30_000, 512L << 20, 64, 64L << 20, 8L << 20);

    /** How a run ended; {@code result} is null for a native run. */
    record Outcome(SandboxResult result, int status, String stdout, String stderr) {
    }

    private Runs() {
    }

    /** Skips the test, saying why, where the host cannot run the ptrace platform. */
    static void assumePlatform() {
        Optional<String> why = PLATFORM.unavailableReason();
        assumeTrue(why.isEmpty(), () -> "ptrace platform unavailable on this host: " + why.orElse(""));
    }

    static SandboxSpec.Builder spec(String... command) {
        return SandboxSpec.builder(List.of(command)).limits(TEST_LIMITS);
    }

    static Outcome run(SandboxSpec spec) {
        return run(spec, null);
    }

    static Outcome run(SandboxSpec spec, String stdin) {
        try (Sandbox s = PLATFORM.start(spec)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
            Thread o = drain(s.stdout(), out), e = drain(s.stderr(), err);
            try (OutputStream in = s.stdin()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException ignored) {
                // the program may not read its stdin
            }
            SandboxResult r = s.await(Duration.ofSeconds(60))
                    .orElseThrow(() -> new AssertionError("sandbox did not end in 60 s; the engine's threads:\n" + threadDump()));
            o.join(5000);
            e.join(5000);
            return new Outcome(r, r.shellStatus(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } catch (InterruptedException ex) {
            throw new AssertionError(ex);
        }
    }

    /** Every thread's stack, so that a sandbox that does not end says where the engine waits. */
    static String threadDump() {
        StringBuilder b = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, stack) -> {
            b.append('"').append(t.getName()).append("\" ").append(t.getState()).append('\n');
            for (StackTraceElement f : stack) {
                b.append("    at ").append(f).append('\n');
            }
        });
        return b.toString();
    }

    private static Thread drain(InputStream in, ByteArrayOutputStream to) {
        Thread t = new Thread(() -> {
            try {
                in.transferTo(to);
            } catch (IOException ignored) {
                // closed
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Runs a command natively (not traced: ProcessBuilder is fine here) in {@code dir} with {@code env}. */
    static Outcome runNative(Path dir, Map<String, String> env, String... command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
            pb.environment().putAll(env);
            pb.redirectErrorStream(false);
            Process p = pb.start();
            p.getOutputStream().close();
            ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
            Thread o = drain(p.getInputStream(), out), e = drain(p.getErrorStream(), err);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            o.join(5000);
            e.join(5000);
            return new Outcome(null, p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } catch (IOException | InterruptedException ex) {
            throw new AssertionError(ex);
        }
    }

    /** Compiles the attack programs of src/test/resources/attacks into a fresh directory. */
    static Path compileAttacks() throws IOException, InterruptedException {
        return compile("attacks");
    }

    /** Compiles the C programs of src/test/resources/{@code resources} into a fresh directory. */
    static Path compile(String resources) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("palisade-" + resources);
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path src = Path.of("src/test/resources/" + resources);
        List<Path> sources = new ArrayList<>();
        try (var s = Files.list(src)) {
            s.filter(p -> p.toString().endsWith(".c")).forEach(sources::add);
        }
        for (Path c : sources) {
            String name = c.getFileName().toString().replace(".c", "");
            Process p = new ProcessBuilder("gcc", "-O1", "-o", dir.resolve(name).toString(), c.toString())
                    .inheritIO().start();
            assertThat(p.waitFor()).as("gcc " + c).isZero();
        }
        return dir;
    }

    /** A test program's output of "name: value" lines, by name, in order. */
    static Map<String, String> namedLines(String stdout) {
        Map<String, String> lines = new java.util.LinkedHashMap<>();
        stdout.lines().forEach(l -> {
            int at = l.indexOf(": ");
            lines.put(l.substring(0, at), l.substring(at + 2));
        });
        return lines;
    }
}
