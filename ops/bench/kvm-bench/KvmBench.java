import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxEngine;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.platform.Platform;
import dev.palisade.sandbox.platform.kvm.KvmPlatform;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * KVM platform benchmark, run by ops/bench/kvm-bench.sh (by hand, not in CI). Arguments:
 * BIN_DIR (holds probe-glibc) DATA_DIR (holds big.bin). Prints one table row per measurement.
 */
public class KvmBench {
    static Path bin, data;
    static SandboxEngine engine = SandboxEngine.create();

    record Out(String stdout, SandboxResult result, long wallNs, long startupNs) {
    }

    static Out sandbox(String platform, List<String> cmd, Path ws) throws Exception {
        Platform p = engine.platform(platform).orElseThrow();
        SandboxSpec spec = SandboxSpec.builder(cmd).workspace(ws)
                .bind(new SandboxSpec.Bind(bin, "/bench-bin", true)).build();
        long t0 = System.nanoTime();
        try (Sandbox s = p.start(spec)) {
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
                try {
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    s.stdout().transferTo(b);
                    return b.toByteArray();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            CompletableFuture.runAsync(() -> {
                try {
                    s.stderr().transferTo(java.io.OutputStream.nullOutputStream());
                } catch (Exception ignored) {
                }
            });
            s.stdin().close();
            SandboxResult r = s.await();
            long wall = System.nanoTime() - t0;
            return new Out(new String(out.get(), StandardCharsets.UTF_8), r, wall, KvmPlatform.startupNanos(s).orElse(-1));
        }
    }

    static String nativeRun(List<String> cmd, Path dir, long[] wall) throws Exception {
        return nativeRun(cmd, dir, wall, false);
    }

    static String nativeRun(List<String> cmd, Path dir, long[] wall, boolean onlyPath) throws Exception {
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
        if (onlyPath) {
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
        }
        Process pr = pb.start();
        pr.getOutputStream().close();
        String s = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        pr.waitFor();
        wall[0] = System.nanoTime() - t0;
        return s;
    }

    static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a[a.length / 2];
    }

    static double perCall(String out) {
        return Double.parseDouble(out.trim().split(" ")[0]);
    }

    static double cpuPerCall(String out) {
        return Double.parseDouble(out.trim().split(" ")[1]);
    }

    public static void main(String[] args) throws Exception {
        bin = Path.of(args[0]);
        data = Path.of(args[1]);
        int syscalls = 20000;
        boolean ptrace = engine.platform("ptrace").map(p -> p.unavailableReason().isEmpty()).orElse(false);
        System.out.println("kvm probe: " + KvmPlatform.probeSummary());
        System.out.println("ptrace platform: " + (ptrace ? "available" : "unavailable"));
        List<String> hello = List.of("/bench-bin/probe-glibc", "hello");
        // warm the JVM: the C2 compiler needs a few hundred sandboxes before start-up code is compiled
        for (int i = 0; i < 300; i++) {
            sandbox("kvm", hello, data);
        }
        List<Double> startup = new ArrayList<>(), whole = new ArrayList<>(), b2b = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Thread.sleep(20);   // lets the standby vCPU thread finish building the next machine
            Out o = sandbox("kvm", hello, data);
            startup.add(o.startupNs() / 1e6);
            whole.add(o.wallNs() / 1e6);
        }
        for (int i = 0; i < 50; i++) {
            b2b.add(sandbox("kvm", hello, data).startupNs() / 1e6);
        }
        System.out.printf("%-44s %12s %12s %12s%n", "measurement", "native", "kvm", "ptrace");
        List<Double> pStart = new ArrayList<>();
        if (ptrace) {
            for (int i = 0; i < 10; i++) {
                sandbox("ptrace", hello, data);
            }
            for (int i = 0; i < 20; i++) {
                pStart.add(sandbox("ptrace", hello, data).wallNs() / 1e6);
            }
        }
        List<Double> nStart = new ArrayList<>();
        long[] w = new long[1];
        for (int i = 0; i < 20; i++) {
            nativeRun(List.of(bin.resolve("probe-glibc").toString(), "hello"), data, w);
            nStart.add(w[0] / 1e6);
        }
        System.out.printf("%-44s %12s %12.2f %12s%n", "start-up to first instruction, ms (median)", "-", median(startup), "-");
        System.out.printf("%-44s %12s %12.2f %12s%n", "  same, back to back (no standby ready), ms", "-", median(b2b), "-");
        System.out.printf("%-44s %12.2f %12.2f %12s%n", "whole run of a hello program, ms (median)", median(nStart), median(whole),
                ptrace ? String.format("%.2f", median(pStart)) : "n/a");
        // syscall round trip
        List<String> sys = List.of("/bench-bin/probe-glibc", "syscalls", Integer.toString(syscalls));
        List<Double> k = new ArrayList<>(), p = new ArrayList<>(), n = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            k.add(perCall(sandbox("kvm", sys, data).stdout()));
            if (ptrace) {
                p.add(perCall(sandbox("ptrace", sys, data).stdout()));
            }
            n.add(perCall(nativeRun(List.of(bin.resolve("probe-glibc").toString(), "syscalls", Integer.toString(syscalls)), data, w)));
        }
        System.out.printf("%-44s %12.3f %12.3f %12s%n", "getppid round trip, us (median of 3 x " + syscalls + ")", median(n) / 1000,
                median(k) / 1000, ptrace ? String.format("%.3f", median(p) / 1000) : "n/a");
        clocks(ptrace);
        // would answering simple calls inside the guest pay off? A 16-byte read(2) served from the
        // read-ahead window without an exit: through glibc's patched call site (no syscall
        // instruction at all) and through musl's unpatched one (syscall -> LSTAR stub, in ring 3)
        List<String> reads = List.of("/bench-bin/probe-glibc", "reads", Integer.toString(syscalls), "/workspace/big.bin");
        List<Double> rg = new ArrayList<>(), rm = new ArrayList<>(), rn = new ArrayList<>();
        boolean musl = java.nio.file.Files.exists(bin.resolve("probe-musl"));
        for (int i = 0; i < 3; i++) {
            rg.add(perCall(sandbox("kvm", reads, data).stdout()));
            if (musl) {
                List<String> mr = new ArrayList<>(reads);
                mr.set(0, "/bench-bin/probe-musl");
                rm.add(perCall(sandbox("kvm", mr, data).stdout()));
            }
            rn.add(perCall(nativeRun(List.of(bin.resolve("probe-glibc").toString(), "reads", Integer.toString(syscalls),
                    data.resolve("big.bin").toString()), data, w)));
        }
        System.out.printf("%-44s %12.3f %12.3f %12s%n", "16-byte read in the guest, glibc patched, us", median(rn) / 1000,
                median(rg) / 1000, "-");
        System.out.printf("%-44s %12s %12s %12s%n", "  same, musl (syscall to the stub, no exit), us", "-",
                musl ? String.format("%.3f", median(rm) / 1000) : "n/a", "-");
        // sha256sum over 100 MB
        List<String> sha = List.of("/bin/busybox", "sha256sum", "/workspace/big.bin");
        List<Double> ks = new ArrayList<>(), ps = new ArrayList<>(), ns = new ArrayList<>();
        String expect = nativeRun(List.of("/bin/busybox", "sha256sum", "big.bin"), data, w).split(" ")[0];
        for (int i = 0; i < 3; i++) {
            nativeRun(List.of("/bin/busybox", "sha256sum", "big.bin"), data, w);
            ns.add(w[0] / 1e6);
            Out o = sandbox("kvm", sha, data);
            if (!o.stdout().startsWith(expect)) {
                throw new IllegalStateException("kvm sha256sum differs: " + o.stdout() + " " + o.result());
            }
            ks.add(o.wallNs() / 1e6);
            if (ptrace) {
                Out q = sandbox("ptrace", sha, data);
                ps.add(q.wallNs() / 1e6);
            }
        }
        System.out.printf("%-44s %12.1f %12.1f %12s%n", "busybox sha256sum 100 MB, ms (median of 3)", median(ns), median(ks),
                ptrace ? String.format("%.1f", median(ps)) : "n/a");
        System.out.printf("ratios: kvm/native sha256sum %.2f; kvm syscall %.1f us%n", median(ks) / median(ns), median(k) / 1000);
        programs(ptrace);
    }

    /**
     * clock_gettime(CLOCK_MONOTONIC) in a loop, ns per call: on kvm through the platform's vDSO
     * (no exit; the goal is within 2x native), natively and on ptrace through the host's. The
     * exits column is the kvm run's clock_gettime calls that reached the Sentry.
     */
    static void clocks(boolean ptrace) throws Exception {
        String calls = "1000000";
        for (String prog : List.of("clocks-static", "clocks-dyn")) {
            List<Double> k = new ArrayList<>(), p = new ArrayList<>(), n = new ArrayList<>();
            List<Double> kc = new ArrayList<>(), pc = new ArrayList<>(), nc = new ArrayList<>();
            long exits = 0;
            long[] w = new long[1];
            for (int i = 0; i < 5; i++) {
                Out o = sandbox("kvm", List.of("/bench-bin/" + prog, "bench", calls), data);
                k.add(perCall(o.stdout()));
                kc.add(cpuPerCall(o.stdout()));
                exits = Math.max(exits, o.result().syscallCounts().getOrDefault("clock_gettime", 0L));
                if (ptrace) {
                    String q = sandbox("ptrace", List.of("/bench-bin/" + prog, "bench", calls), data).stdout();
                    p.add(perCall(q));
                    pc.add(cpuPerCall(q));
                }
                String nat = nativeRun(List.of(bin.resolve(prog).toString(), "bench", calls), data, w);
                n.add(perCall(nat));
                nc.add(cpuPerCall(nat));
            }
            System.out.printf("%-44s %12.1f %12.1f %12s   kvm/native %.2f, clock_gettime exits %d%n",
                    "clock_gettime loop, wall ns/call, " + prog, median(n), median(k),
                    ptrace ? String.format("%.1f", median(p)) : "n/a", median(k) / median(n), exits);
            System.out.printf("%-44s %12.1f %12.1f %12s   kvm/native %.2f (median of 5 x 1e6 calls)%n",
                    "  same, CPU ns/call", median(nc), median(kc),
                    ptrace ? String.format("%.1f", median(pc)) : "n/a", median(kc) / median(nc));
        }
    }

    /**
     * Whole runs of real programs, dynamically linked ones of the image included, on all three
     * side by side: median wall time of a run, kvm's ratio to native and to ptrace, and the exits
     * one kvm run makes (its system calls that left the guest).
     */
    static void programs(boolean ptrace) throws Exception {
        System.out.printf("%n%-46s %9s %9s %9s %9s %9s %9s %11s%n", "whole run, ms (median of 5)", "native", "kvm", "ptrace",
                "kvm/nat", "kvm/ptr", "exits", "kvm start");
        row("static hello (glibc -static)", List.of("/bench-bin/probe-glibc", "hello"),
                List.of(bin.resolve("probe-glibc").toString(), "hello"), ptrace);
        row("dynamic hello (glibc, ld.so)", List.of("/bench-bin/probe-dyn", "hello"),
                List.of(bin.resolve("probe-dyn").toString(), "hello"), ptrace);
        row("/bin/echo hi (dynamic, image)", List.of("/bin/echo", "hi"), List.of("/bin/echo", "hi"), ptrace);
        row("python3 -c 'print(1)'", List.of("/usr/bin/python3", "-c", "print(1)"), List.of("/usr/bin/python3", "-c", "print(1)"), ptrace);
        row("sh -c '/bin/true; echo ok' (fork+exec+wait)", List.of("/bin/sh", "-c", "/bin/true; echo ok"),
                List.of("/bin/sh", "-c", "/bin/true; echo ok"), ptrace);
        row("sh -c 'ls /usr/bin | wc -l'", List.of("/bin/sh", "-c", "ls /usr/bin | wc -l"),
                List.of("/bin/sh", "-c", "ls /usr/bin | wc -l"), ptrace);
        String gcc = "printf '#include <stdio.h>\\nint main(void){puts(\\\"hi\\\");return 0;}\\n' > hello.c"
                + " && gcc -O2 -o hello hello.c && ./hello";
        row("gcc -O2 hello.c, then run it", List.of("/bin/sh", "-c", gcc), List.of("/bin/sh", "-c", gcc), ptrace);
        row("pipe ping-pong, 1000 round trips", List.of("/bench-bin/pingpong", "1000"),
                List.of(bin.resolve("pingpong").toString(), "1000"), ptrace);
    }

    /** A native run with only PATH in the environment, as the sandboxes get: its stdout, its wall time in {@code wall[0]}. */
    static String cleanNativeRun(List<String> cmd, Path dir, long[] wall) throws Exception {
        return nativeRun(cmd, dir, wall, true);
    }

    static void row(String name, List<String> cmd, List<String> nativeCmd, boolean ptrace) throws Exception {
        List<Double> n = new ArrayList<>(), k = new ArrayList<>(), p = new ArrayList<>(), start = new ArrayList<>();
        List<Double> exits = new ArrayList<>();
        long[] w = new long[1];
        String expect = cleanNativeRun(nativeCmd, data, w);
        for (int i = 0; i < 6; i++) {
            cleanNativeRun(nativeCmd, data, w);
            Out o = sandbox("kvm", cmd, data);
            if (!o.stdout().equals(expect)) {
                throw new IllegalStateException(name + ": kvm printed " + o.stdout() + " (" + o.result().message() + ")");
            }
            Out q = ptrace ? sandbox("ptrace", cmd, data) : null;
            if (i == 0) {
                continue;   // warm-up: page cache, the parsed-ELF cache, a standby machine
            }
            n.add(w[0] / 1e6);
            k.add(o.wallNs() / 1e6);
            start.add(o.startupNs() / 1e6);
            exits.add((double) o.result().syscallCounts().values().stream().mapToLong(Long::longValue).sum());
            if (q != null) {
                p.add(q.wallNs() / 1e6);
            }
        }
        System.out.printf("%-46s %9.2f %9.2f %9s %9.1f %9s %9.0f %9.2f ms%n", name, median(n), median(k),
                ptrace ? String.format("%.2f", median(p)) : "n/a", median(k) / median(n),
                ptrace ? String.format("%.2f", median(k) / median(p)) : "n/a", median(exits), median(start));
    }
}
