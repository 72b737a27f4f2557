import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxEngine;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.platform.Platform;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Memory per idle sandbox: starts N sandboxes of one platform that each run a program that
 * sleeps, waits until every one is running and has settled, and prints the host memory they
 * take: this JVM's resident set (guest memory, page tables and the Sentry's objects live in it)
 * plus, on ptrace, the sandboxes' own processes, each divided by N.
 *
 * java -cp palisade-sandbox.jar:classes IdleMemory PLATFORM N PROGRAM [ARGS...]
 */
public class IdleMemory {

    public static void main(String[] args) throws Exception {
        String platform = args[0];
        int n = Integer.parseInt(args[1]);
        List<String> command = List.of(args).subList(2, args.length);
        SandboxEngine engine = SandboxEngine.create();
        Platform p = engine.platform(platform).orElseThrow();
        Path ws = Files.createTempDirectory("palisade-idle-memory");

        // one short run first: classes loaded, pools and the probe made, before the baseline
        List<String> quick = new ArrayList<>(command);
        quick.set(quick.size() - 1, "0");
        try (Sandbox s = p.start(spec(quick, ws))) {
            drain(s);
            SandboxResult r = s.await();
            if (r.exitCode() != 0) {
                throw new IllegalStateException("the warm-up run ended " + r.termination() + " " + r.message());
            }
        }
        settle();
        long base = residentKb(ProcessHandle.current().pid());
        long baseChildren = childrenKb();

        List<Sandbox> running = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < n; i++) {
                Sandbox s = p.start(spec(command, ws));
                drain(s);
                running.add(s);
            }
            long started = System.nanoTime() - t0;
            settle();
            long alive = 0;
            for (Sandbox s : running) {
                alive += s.await(java.time.Duration.ZERO).isEmpty() ? 1 : 0;
            }
            long rss = residentKb(ProcessHandle.current().pid());
            long children = childrenKb();
            double perJvm = (rss - base) / (double) n, perChildren = (children - baseChildren) / (double) n;
            System.out.printf("%s: %d sandboxes running %s (%d still alive after settling), started in %.0f ms;"
                    + " per sandbox %.2f MB in the engine's JVM + %.2f MB in sandbox processes = %.2f MB"
                    + " (JVM RSS %.0f -> %.0f MB)%n", platform, n, String.join(" ", command), alive, started / 1e6,
                    perJvm / 1024, perChildren / 1024, (perJvm + perChildren) / 1024, base / 1024.0, rss / 1024.0);
        } finally {
            for (Sandbox s : running) {
                s.kill();
            }
            for (Sandbox s : running) {
                s.await();
                s.close();
            }
        }
    }

    private static SandboxSpec spec(List<String> command, Path ws) {
        return SandboxSpec.builder(command).workspace(ws).build();
    }

    private static void drain(Sandbox s) throws Exception {
        s.stdin().close();
        CompletableFuture.runAsync(() -> {
            try {
                s.stdout().transferTo(OutputStream.nullOutputStream());
                s.stderr().transferTo(OutputStream.nullOutputStream());
            } catch (Exception ignored) {
                // ended
            }
        });
    }

    private static void settle() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(700);
        }
    }

    /** VmRSS of a process in KiB (0 when it is gone). */
    static long residentKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            // gone meanwhile
        }
        return 0;
    }

    /** The resident sets of every process below this one (the ptrace platform's sandboxes), in KiB. */
    static long childrenKb() {
        return ProcessHandle.current().descendants().mapToLong(h -> residentKb(h.pid())).sum();
    }
}
