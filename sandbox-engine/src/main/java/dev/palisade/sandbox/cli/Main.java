package dev.palisade.sandbox.cli;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.NetworkPolicy;
import dev.palisade.sandbox.egress.EgressRules;
import dev.palisade.sandbox.PlatformChoice;
import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.NodeProbe;
import dev.palisade.sandbox.SandboxEngine;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code palisade-sandbox.jar run [options] -- PROGRAM [ARGS…]}: runs one program in a sandbox with
 * the caller's stdin, stdout and stderr; exits with the program's status, 128+N for a signal, 125
 * when the engine failed (one line on stderr says why).
 */
public final class Main {

    static final int ENGINE_FAILED = 125;
    private static final String USAGE = """
            usage: palisade-sandbox run [options] -- PROGRAM [ARGS...]
              --platform ptrace|kvm|auto   default auto
              --root DIR                   read-only root (default: host userland without secrets)
              --bind HOST:SANDBOX[:ro]     extra directory, repeatable
              --workdir DIR                working directory inside (default /workspace)
              --workspace DIR              host directory mounted at /workspace (default: a fresh one)
              --cpu-ms N  --wall-ms N  --memory BYTES  --pids N  --fsize BYTES  --output BYTES
              --disk-limit BYTES           size of /workspace and of /tmp each (files: one per 16 KiB)
              --cpus N                     CPU rate in cores, e.g. 2 or 0.5 (default: all of the engine's CPUs)
              --net none|loopback|egress   default none; egress: the public internet, as root, ptrace only
              --allow CIDR[:PORT]          with egress: also allow this private destination, repeatable
              --resolver IP                with egress: a DNS resolver for /etc/resolv.conf, repeatable
              --env K=V                    repeatable
              --stats FILE                 write the result as JSON
              --trace                      print each trapped system call and the decision to stderr
            """;

    private Main() {
    }

    public static void main(String[] args) {
        if (System.getProperty("palisade.prespawn") == null) {
            System.setProperty("palisade.prespawn", "0"); // one sandbox per process: nothing to keep ready
        }
        System.exit(run(args, System.in, System.out, System.err));
    }

    /** Parses a command line into a spec; throws {@link IllegalArgumentException} with a usage message. */
    static Parsed parse(String[] args) {
        if (args.length == 0 || !args[0].equals("run")) {
            throw new IllegalArgumentException("expected the command 'run'");
        }
        Limits limits = Limits.DEFAULT;
        List<SandboxSpec.Bind> binds = new ArrayList<>();
        List<String[]> env = new ArrayList<>();
        Path root = null, workspace = null, stats = null;
        String workdir = null;
        NetworkPolicy net = NetworkPolicy.NONE;
        List<EgressRules.Destination> allow = new ArrayList<>();
        List<String> resolvers = new ArrayList<>();
        PlatformChoice platform = PlatformChoice.AUTO;
        boolean trace = false;
        int i = 1;
        for (; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                i++;
                break;
            }
            if (a.equals("--trace")) {
                trace = true;
                continue;
            }
            if (!a.startsWith("--") || i + 1 >= args.length) {
                if (!a.startsWith("--")) {
                    break; // the program itself, without "--"
                }
                throw new IllegalArgumentException("option " + a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--platform" -> platform = PlatformChoice.valueOf(v.toUpperCase(Locale.ROOT));
                case "--root" -> root = Path.of(v);
                case "--bind" -> {
                    String[] p = v.split(":");
                    if (p.length < 2 || p.length > 3 || (p.length == 3 && !p[2].equals("ro") && !p[2].equals("rw"))) {
                        throw new IllegalArgumentException("--bind HOST:SANDBOX[:ro], got " + v);
                    }
                    binds.add(new SandboxSpec.Bind(Path.of(p[0]), p[1], p.length == 3 && p[2].equals("ro")));
                }
                case "--workdir" -> workdir = v;
                case "--workspace" -> workspace = Path.of(v);
                case "--cpu-ms" -> limits = limits.withCpuMillis(Long.parseLong(v));
                case "--wall-ms" -> limits = limits.withWallMillis(Long.parseLong(v));
                case "--memory" -> limits = limits.withMemoryBytes(Long.parseLong(v));
                case "--pids" -> limits = limits.withMaxProcesses(Integer.parseInt(v));
                case "--fsize" -> limits = limits.withFileSizeBytes(Long.parseLong(v));
                case "--output" -> limits = limits.withOutputBytes(Long.parseLong(v));
                case "--disk-limit" -> limits = limits.withDiskBytes(Long.parseLong(v));
                case "--cpus" -> limits = limits.withCpuMillicores(cpuMillicores(v));
                case "--net" -> net = NetworkPolicy.valueOf(v.toUpperCase(Locale.ROOT));
                case "--env" -> {
                    int eq = v.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--env K=V, got " + v);
                    }
                    env.add(new String[]{v.substring(0, eq), v.substring(eq + 1)});
                }
                case "--stats" -> stats = Path.of(v);
                case "--allow" -> allow.add(EgressRules.Destination.parse(v));
                case "--resolver" -> resolvers.add(v);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        List<String> command = Arrays.asList(args).subList(Math.min(i, args.length), args.length);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no program given");
        }
        EgressRules d = EgressRules.DEFAULT;
        SandboxSpec.Builder b = SandboxSpec.builder(command).root(root).workspace(workspace).workdir(workdir)
                .limits(limits).network(net).platform(platform).trace(trace)
                .egress(new EgressRules(allow, resolvers.isEmpty() ? d.resolvers() : resolvers, d.maxConnections(),
                        d.newConnectionsPerSecond(), d.bandwidthBytesPerSecond()));
        binds.forEach(b::bind);
        env.forEach(kv -> b.env(kv[0], kv[1]));
        return new Parsed(b.build(), stats);
    }

    record Parsed(SandboxSpec spec, Path stats) {
    }

    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        Parsed p;
        try {
            p = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("palisade-sandbox: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        SandboxEngine engine = SandboxEngine.createUnmeasured(err::println);
        try {
            if (p.spec().platform() == dev.palisade.sandbox.PlatformChoice.AUTO
                    && engine.platform("kvm").filter(k -> k.unavailableReason().isEmpty()).isPresent()) {
                // one run per process: auto needs this node's measurement now, kept for the rest of the boot
                engine = engine.withNodeMeasurement(NodeProbe.measureOncePerBoot(engine.platforms(), NodeProbe.BOOT_CACHE));
            }
            if (p.spec().trace()) {
                SandboxEngine.Decision d = engine.decide(p.spec());
                err.println("palisade-sandbox: platform " + d.platform().name() + " (" + d.reason() + ")");
            }
        } catch (Exception e) {
            err.println("palisade-sandbox: " + (e.getMessage() == null ? e.toString() : e.getMessage()).lines().findFirst().orElse(""));
            return ENGINE_FAILED;
        }
        try (Sandbox sandbox = engine.start(p.spec())) {
            Thread o = pump(sandbox.stdout(), out, "stdout");
            Thread e = pump(sandbox.stderr(), err, "stderr");
            Thread i = new Thread(() -> {
                try (OutputStream to = sandbox.stdin()) {
                    in.transferTo(to);
                } catch (IOException ignored) {
                    // the program closed its stdin
                }
            }, "palisade-stdin");
            i.setDaemon(true);
            i.start();
            SandboxResult r = sandbox.await();
            for (var refused : sandbox.takeRefusedConnections()) {
                err.println("palisade-sandbox: refused connection: " + refused.describe());
            }
            o.join(2000);
            e.join(2000);
            out.flush();
            if (p.stats() != null) {
                Files.writeString(p.stats(), Json.of(r));
            }
            if (r.termination() != dev.palisade.sandbox.Termination.EXITED
                    && r.termination() != dev.palisade.sandbox.Termination.SIGNALED) {
                err.println("palisade-sandbox: " + r.message());
            }
            return r.shellStatus();
        } catch (Exception e) {
            err.println("palisade-sandbox: " + (e.getMessage() == null ? e.toString() : e.getMessage()).lines().findFirst().orElse(""));
            return ENGINE_FAILED;
        }
    }

    /** {@code --cpus}: cores as a decimal (0.5, 2), to thousandths of a core. */
    static long cpuMillicores(String cores) {
        double c = Double.parseDouble(cores);
        if (!(c > 0) || c > 4096) {
            throw new IllegalArgumentException("--cpus takes a number of cores above 0, got " + cores);
        }
        return Math.max(1, Math.round(c * 1000));
    }

    private static Thread pump(InputStream from, PrintStream to, String name) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16384];
            try {
                int n;
                while ((n = from.read(buf)) > 0) {
                    to.write(buf, 0, n);
                    to.flush();
                }
            } catch (IOException ignored) {
                // closed
            }
        }, "palisade-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
