package dev.palisade.sandbox.platform.ptrace;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The cgroup of one sandbox: memory, pids, CPU accounting and a CPU rate (the CFS quota, for
 * services), on cgroup v2 (a unified {@code /sys/fs/cgroup}) or v1 (one hierarchy per controller,
 * as on this host). Whatever the host does not offer is left out and said so in {@link #missing()}.
 */
final class Cgroup implements AutoCloseable {

    private static final Path ROOT = Path.of("/sys/fs/cgroup");
    private static final boolean V2 = Files.exists(ROOT.resolve("cgroup.controllers"));
    private final boolean v2;
    private final Path memory, pids, cpu, cpuQuota;
    private final List<Path> created = new ArrayList<>();
    private final List<String> missing = new ArrayList<>();

    /** Fresh cgroups made ahead of time off the start-up path (mkdir in cgroupfs can take milliseconds). */
    private static final java.util.concurrent.BlockingQueue<Cgroup> READY = new java.util.concurrent.LinkedBlockingQueue<>();
    private static final int READY_TARGET = 4;
    private static final java.util.concurrent.atomic.AtomicLong NAMES = new java.util.concurrent.atomic.AtomicLong();
    private static final java.util.concurrent.ExecutorService MAKER = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "palisade-cgroups");
        t.setDaemon(true);
        return t;
    });

    private Cgroup(String name) {
        this.v2 = V2;
        if (v2) {
            Path dir = make(ROOT.resolve("palisade"), true).map(p -> make(p.resolve(name), false).orElse(null)).orElse(null);
            memory = pids = cpu = cpuQuota = dir;
            if (dir == null) {
                missing.add("cgroup v2 not writable");
            }
        } else {
            memory = make(ROOT.resolve("memory/palisade"), true).flatMap(p -> make(p.resolve(name), false)).orElse(null);
            pids = make(ROOT.resolve("pids/palisade"), true).flatMap(p -> make(p.resolve(name), false)).orElse(null);
            cpu = make(ROOT.resolve("cpuacct/palisade"), true).flatMap(p -> make(p.resolve(name), false)).orElse(null);
            cpuQuota = make(ROOT.resolve("cpu/palisade"), true).flatMap(p -> make(p.resolve(name), false)).orElse(null);
        }
    }

    /** The CFS period the CPU quota is given in (100 ms, the kernel's default). */
    private static final long CPU_PERIOD_US = 100_000;

    /** Sets the limits (and says what could not be set in {@link #missing()}). */
    void configure(dev.palisade.sandbox.Limits limits) {
        long memoryBytes = limits.memoryBytes();
        int maxTasks = limits.maxProcesses();
        if (memory != null && memoryBytes > 0) {
            if (!write(memory, v2 ? "memory.max" : "memory.limit_in_bytes", Long.toString(memoryBytes))) {
                missing.add("memory limit");
            }
            if (v2) {
                write(memory, "memory.swap.max", "0");
            } else {
                write(memory, "memory.swappiness", "0");
            }
        } else if (memoryBytes > 0) {
            missing.add("memory cgroup");
        }
        if (pids != null && maxTasks > 0) {
            // one more than the sandbox may have: the engine's stub process lives in it too
            if (!write(pids, "pids.max", Integer.toString(maxTasks + 1))) {
                missing.add("pids limit");
            }
        } else if (maxTasks > 0) {
            missing.add("pids cgroup");
        }
        if (cpu == null) {
            missing.add("cpu accounting cgroup");
        }
        if (limits.cpuMillicores() > 0) {
            // the rate's share of each period: the affinity gives whole CPUs, the quota holds the tree to the rate
            long quota = Math.max(1000, limits.cpuMillicores() * CPU_PERIOD_US / 1000);
            boolean set = cpuQuota != null && (v2 ? write(cpuQuota, "cpu.max", quota + " " + CPU_PERIOD_US)
                    : write(cpuQuota, "cpu.cfs_period_us", Long.toString(CPU_PERIOD_US))
                    && write(cpuQuota, "cpu.cfs_quota_us", Long.toString(quota)));
            if (!set) {
                missing.add("cpu quota");
            }
        }
    }

    /** The CPU quota in cores (quota / period), or 0 when none is set. */
    double quotaCores() {
        if (v2) {
            return read(cpuQuota, "cpu.max").map(s -> s.trim().split(" ")).filter(f -> !f[0].equals("max"))
                    .map(f -> Double.parseDouble(f[0]) / Double.parseDouble(f[1])).orElse(0.0);
        }
        return read(cpuQuota, "cpu.cfs_quota_us").map(s -> Long.parseLong(s.trim())).filter(q -> q > 0)
                .map(q -> q / (double) read(cpuQuota, "cpu.cfs_period_us").map(s -> Long.parseLong(s.trim())).orElse(CPU_PERIOD_US))
                .orElse(0.0);
    }

    /** A cgroup for one sandbox with these limits: a ready one if there is, else made now. */
    static Cgroup create(dev.palisade.sandbox.Limits limits) {
        Cgroup c = fresh();
        c.configure(limits);
        return c;
    }

    /** A new, empty cgroup without limits yet. */
    static Cgroup fresh() {
        Cgroup c = READY.poll();
        if (c == null) {
            c = new Cgroup(uniqueName());
        }
        MAKER.execute(Cgroup::refill);
        return c;
    }

    static {
        MAKER.execute(Cgroup::removeStale);
    }

    /** Removes cgroups that engines which are gone left behind (named {@code s<engine pid>-<n>}). */
    private static void removeStale() {
        for (String controller : List.of("memory", "pids", "cpuacct", "cpu", "")) {
            Path dir = ROOT.resolve(controller).resolve("palisade");
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (var children = Files.list(dir)) {
                for (Path c : children.toList()) {
                    String n = c.getFileName().toString();
                    int dash = n.indexOf('-');
                    if (n.startsWith("s") && dash > 1 && Files.isDirectory(c)
                            && !Files.exists(Path.of("/proc", n.substring(1, dash)))) {
                        try {
                            Files.delete(c);
                        } catch (IOException ignored) {
                            // still has processes; left alone
                        }
                    }
                }
            } catch (IOException | RuntimeException ignored) {
                // best effort
            }
        }
    }

    private static String uniqueName() {
        return "s" + ProcessHandle.current().pid() + "-" + NAMES.incrementAndGet();
    }

    private static void refill() {
        while (READY.size() < READY_TARGET) {
            READY.add(new Cgroup(uniqueName()));
        }
    }

    private Optional<Path> make(Path dir, boolean shared) {
        try {
            if (shared && Files.isDirectory(dir)) {
                if (v2) {
                    write(dir, "cgroup.subtree_control", "+memory +pids +cpu");
                }
                return Optional.of(dir);
            }
            if (!Files.isDirectory(dir.getParent())) {
                return Optional.empty();
            }
            Files.createDirectory(dir);
            if (!shared) {
                created.add(dir);
            } else if (v2) {
                write(dir.getParent(), "cgroup.subtree_control", "+memory +pids +cpu");
                write(dir, "cgroup.subtree_control", "+memory +pids +cpu");
            }
            return Optional.of(dir);
        } catch (IOException e) {
            return Files.isDirectory(dir) ? Optional.of(dir) : Optional.empty();
        }
    }

    private static boolean write(Path dir, String file, String value) {
        try {
            Files.writeString(dir.resolve(file), value);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Optional<String> read(Path dir, String file) {
        if (dir == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(dir.resolve(file)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Puts a process (and so everything it will start) into every controller. */
    void add(int pid) {
        for (Path p : distinct()) {
            write(p, "cgroup.procs", Integer.toString(pid));
        }
    }

    private List<Path> distinct() {
        List<Path> out = new ArrayList<>();
        for (Path p : new Path[]{memory, pids, cpu, cpuQuota}) {
            if (p != null && !out.contains(p)) {
                out.add(p);
            }
        }
        return out;
    }

    List<String> missing() {
        return missing;
    }

    /** CPU time of the whole tree in nanoseconds, or -1 when not accounted. */
    long cpuNanos() {
        if (v2) {
            return read(cpu, "cpu.stat").flatMap(s -> s.lines().filter(l -> l.startsWith("usage_usec "))
                    .map(l -> Long.parseLong(l.substring(11).trim()) * 1000).findFirst()).orElse(-1L);
        }
        return read(cpu, "cpuacct.usage").map(s -> Long.parseLong(s.trim())).orElse(-1L);
    }

    /** Peak memory in bytes, or -1. */
    long peakMemory() {
        return read(memory, v2 ? "memory.peak" : "memory.max_usage_in_bytes").map(s -> Long.parseLong(s.trim())).orElse(-1L);
    }

    /** How many times the kernel's OOM killer ended a process of this cgroup. */
    long oomKills() {
        return read(memory, v2 ? "memory.events" : "memory.oom_control").flatMap(s -> s.lines()
                .filter(l -> l.startsWith("oom_kill ")).map(l -> Long.parseLong(l.substring(9).trim())).findFirst()).orElse(0L);
    }

    /** Kills every process in the cgroups at once (v2's cgroup.kill; false where there is none). Safe from any thread. */
    boolean killAll() {
        boolean killed = false;
        if (v2) {
            for (Path dir : created) {
                killed |= write(dir, "cgroup.kill", "1");
            }
        }
        return killed;
    }

    /** Kills what is left (v2: cgroup.kill) and removes the cgroups. */
    @Override
    public void close() {
        for (Path dir : created) {
            if (v2) {
                write(dir, "cgroup.kill", "1");
            }
            for (int i = 0; i < 50; i++) {
                try {
                    Files.deleteIfExists(dir);
                    break;
                } catch (IOException e) {
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        }
    }
}
