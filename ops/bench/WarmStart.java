import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxEngine;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Per-sandbox start-up in a warm JVM: runs /bin/true in N sandboxes one after the other (after
 * WARM sandboxes of warm-up, 300 by default) and prints "warm_start N=<n> ns_per_op=<median>"
 * plus mean, p25 and p90. With "workspace" as the fourth argument each sandbox gets a fresh host
 * directory as its /workspace, as every platform workload does (made outside the timed part), and
 * the line starts "warm_start_workspace".
 *
 *   java -cp sandbox-engine/target/palisade-sandbox.jar ops/bench/WarmStart.java 300 [/bin/true [WARM [workspace]]]
 */
public class WarmStart {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        String program = args.length > 1 ? args[1] : "/bin/true";
        SandboxEngine engine = SandboxEngine.create();
        boolean workspace = args.length > 3 && args[3].equals("workspace");
        Path dirs = workspace ? Files.createTempDirectory("warmstart") : null;
        // warm: until the JIT has compiled the tracer's paths (C2 needs a few hundred sandboxes)
        int warm = args.length > 2 ? Integer.parseInt(args[2]) : 300;
        for (int i = 0; i < warm; i++) {
            once(engine, spec(program, dirs, i));
        }
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = once(engine, spec(program, dirs, warm + i));
        }
        Arrays.sort(t);
        double mean = Arrays.stream(t).average().orElse(0);
        System.out.printf((workspace ? "warm_start_workspace" : "warm_start") + " N=%d total_ns=%d ns_per_op=%d mean_ns=%.0f p25_ns=%d p90_ns=%d min_ns=%d%n",
                n, Arrays.stream(t).sum(), t[n / 2], mean, t[n / 4], t[n * 9 / 10], t[0]);
    }

    /** The spec of sandbox {@code i}: with a fresh host workspace when {@code dirs} is given. */
    private static SandboxSpec spec(String program, Path dirs, int i) throws java.io.IOException {
        SandboxSpec.Builder b = SandboxSpec.builder(List.of(program));
        if (dirs != null) {
            b.workspace(Files.createDirectory(dirs.resolve("ws" + i)));
        }
        return b.build();
    }

    private static long once(SandboxEngine engine, SandboxSpec spec) throws InterruptedException {
        long t0 = System.nanoTime();
        try (Sandbox s = engine.start(spec)) {
            s.stdin().close();
            SandboxResult r = s.await();
            if (r.termination() != Termination.EXITED || r.exitCode() != 0) {
                throw new IllegalStateException("sandbox failed: " + r.message());
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return System.nanoTime() - t0;
    }
}
