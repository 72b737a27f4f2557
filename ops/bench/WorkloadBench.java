import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Workload benchmark against a running Palisade (JDK only, no libraries):
 * <ol>
 * <li>latency: N /bin/true workloads one after the other; for each, submit → RUNNING and
 * submit → finished, from the server's own timestamps (createdAt, startedAt, finishedAt) and,
 * for finished, also as the client saw it by polling;</li>
 * <li>throughput: C concurrent clients submitting for S seconds, spread over T tenants;
 * accepted submissions per second and the p50/p99 of one submit's latency. One tenant's
 * submits are admitted one at a time (its usage row is locked until the insert commits, so the
 * quota is exact), so T=1 shows the per-tenant ceiling and T>1 the platform's.</li>
 * </ol>
 * Before the throughput is counted, the same load runs for W seconds (the JIT of a fresh JVM); with
 * a worker, how many workloads it finished per second meanwhile is printed too. The
 * CPU the named processes (with their descendants) and the client used meanwhile is printed.
 * With {@code -Dworker.count=K} (and a process named {@code worker} in the list) it first measures
 * the worker's CPU per workload: K /bin/true workloads submitted at a steady
 * {@code -Dworker.rate} per second (default 30, the load test's share), after as many unmeasured
 * for the JIT, and the worker process's CPU (its JVM plus its reaped sandboxes) from the first
 * submit until the last one finished, divided by K; with K &gt; 0 and N = 0 it stops there.
 * Run by ops/bench/workloads-bench.sh, which starts the app and compiles this with KeptConnection.java:
 *   java -cp DIR WorkloadBench http://localhost:8080 ADMIN_PASSWORD [N=100] [C=32] [S=10] [T=1] [W=30] [name=PID,...]
 */
public class WorkloadBench {

    static String base;
    static String token;

    public static void main(String[] args) throws Exception {
        base = args[0];
        String password = args[1];
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int clients = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        int seconds = args.length > 4 ? Integer.parseInt(args[4]) : 10;
        int tenants = args.length > 5 ? Math.max(1, Integer.parseInt(args[5])) : 1;
        int warmUpSeconds = args.length > 6 ? Integer.parseInt(args[6]) : 30;
        Map<String, Long> pids = ProcessCpu.parse(args.length > 7 ? args[7] : "");

        HttpResponse<String> minted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/api/v1/tokens"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"bench\"}")).build(), HttpResponse.BodyHandlers.ofString());
        token = field(minted.body(), "token");
        String[] paths = new String[tenants];
        for (int k = 0; k < tenants; k++) {
            String slug = "bench-" + Long.toString(System.nanoTime() % 1_000_000, 36) + "-" + k;
            send("POST", "/api/v1/tenants", "{\"slug\":\"" + slug + "\",\"displayName\":\"bench\"}");
            send("PUT", "/api/v1/tenants/" + slug + "/quota", """
                    {"maxConcurrentWorkloads":8,"maxCpuMillis":10000,"maxWallMillis":60000,"maxMemoryBytes":268435456,
                     "maxProcesses":16,"maxOutputBytes":65536,"cpuSecondsPerMonth":100000000,"storageBytes":1073741824}""");
            paths[k] = "/api/v1/tenants/" + slug + "/workloads";
        }
        String path = paths[0];
        String spec = "{\"name\":\"true\",\"command\":[\"/bin/true\"]}";
        System.out.printf("load average at start: %s (%d CPUs)%n", loadAverage(), Runtime.getRuntime().availableProcessors());
        int workerCount = Integer.getInteger("worker.count", 0);
        if (workerCount > 0) {
            workerCpu(paths[0], spec, workerCount, Integer.getInteger("worker.rate", 30), pids);
            if (n == 0) {
                return;
            }
        }

        // warm-up of the latency run: connections, sandbox stub pool
        for (int i = 0; i < 20; i++) {
            String id = field(send("POST", path, spec).body(), "id");
            if (n > 0) {
                awaitEnd(path, id);
            }
        }
        long[] toRunning = new long[n], toFinished = new long[n], clientFinished = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            String id = field(send("POST", path, spec).body(), "id");
            String w = awaitEnd(path, id);
            clientFinished[i] = System.nanoTime() - t0;
            Instant created = Instant.parse(field(w, "createdAt"));
            toRunning[i] = Duration.between(created, Instant.parse(field(w, "startedAt"))).toNanos();
            toFinished[i] = Duration.between(created, Instant.parse(field(w, "finishedAt"))).toNanos();
        }
        if (n > 0) {
            print("submit_to_running (server clock)", toRunning);
            print("submit_to_finished (server clock)", toFinished);
            print("submit_to_finished (client, polling 2 ms)", clientFinished);
        }

        // warm-up of the throughput run: the JIT. A fresh JVM compiles its hot paths for a minute or
        // more, which would be measured instead of a platform that has been up for hours
        if (warmUpSeconds > 0) {
            Throughput warm = submitFor(warmUpSeconds, clients, paths, spec);
            System.out.printf("warm-up: %d clients submitting for %d s (not counted): %.0f accepted/s; load average %s%n",
                    clients, warmUpSeconds, warm.accepted / warm.elapsed, loadAverage());
        }

        long finishedBefore = n > 0 ? finished(paths) : 0;
        Map<String, Long> cpuBefore = ProcessCpu.ticks(pids);
        long machineBefore = ProcessCpu.machineTicks();
        long clientBefore = ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class).getProcessCpuTime();
        Throughput t = submitFor(seconds, clients, paths, spec);
        Map<String, Long> cpuAfter = ProcessCpu.ticks(pids);
        double machineSeconds = (ProcessCpu.machineTicks() - machineBefore) / 100.0;
        long clientCpu = ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class).getProcessCpuTime() - clientBefore;
        long[] l = t.latencies.stream().mapToLong(Long::longValue).toArray();
        System.out.printf("throughput clients=%d tenants=%d seconds=%.1f accepted=%d refused=%d failed=%d accepted_per_s=%.0f%n",
                clients, tenants, t.elapsed, t.accepted, t.refused, t.failed, t.accepted / t.elapsed);
        print("submit_latency", l);
        if (n > 0) {
            // the worker shares the 2 CPUs: what it ran meanwhile, the rest waits in the queue
            System.out.printf("finished by the worker during the run: %.0f/s%n", (finished(paths) - finishedBefore) / t.elapsed);
        }
        StringBuilder cpu = new StringBuilder();
        cpuAfter.forEach((name, ticks) -> cpu.append(String.format("%s %.1f s (%.2f ms per accepted submit), ", name,
                (ticks - cpuBefore.get(name)) / 100.0, (ticks - cpuBefore.get(name)) * 10.0 / Math.max(1, t.accepted))));
        System.out.printf("CPU during the throughput run: %sthis client %.1f s; the whole machine %.1f s%n", cpu,
                clientCpu / 1e9, machineSeconds);
        long[] sorted = l.clone();
        Arrays.sort(sorted);
        System.out.printf("RESULT submits (" + tenants + (tenants == 1 ? " tenant" : " tenants")
                + "): %.0f accepted/s (goal 300), p50 %.1f ms, p99 %.1f ms, errors %d, refused %d;"
                + " load average %s%n", t.accepted / t.elapsed, pct(sorted, 50), pct(sorted, 99), t.failed,
                t.refused, loadAverage());
    }

    /**
     * The worker's CPU per /bin/true workload at a steady submit rate: the CPU of the process named
     * "worker" (with its descendants) from the first submit until every one of the K finished.
     */
    static void workerCpu(String path, String spec, int count, int rate, Map<String, Long> pids) throws Exception {
        if (!pids.containsKey("worker")) {
            throw new IllegalArgumentException("worker.count needs a process named worker in the list");
        }
        submitSteadily(path, spec, count, rate); // the JIT's warm-up, not counted
        long before = ProcessCpu.ticks(Map.of("worker", pids.get("worker"))).get("worker");
        long t0 = System.nanoTime();
        submitSteadily(path, spec, count, rate);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        long ticks = ProcessCpu.ticks(Map.of("worker", pids.get("worker"))).get("worker") - before;
        System.out.printf("RESULT worker CPU per workload: %.2f ms (%d /bin/true at %d/s, worker CPU %.2f s over %.1f s);"
                + " load average %s%n", ticks * 10.0 / count, count, rate, ticks / 100.0, elapsed, loadAverage());
    }

    /** Submits K workloads at R per second, then waits until none of this tenant's is queued or running. */
    static void submitSteadily(String path, String spec, int count, int rate) throws Exception {
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long due = start + i * 1_000_000_000L / rate;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            int status = send("POST", path, spec).status();
            if (status != 201) {
                throw new IllegalStateException("submit answered " + status);
            }
        }
        while (open(path) > 0) {
            Thread.sleep(20);
        }
    }

    /** This tenant's workloads still queued or running. */
    static long open(String path) throws java.io.IOException {
        long sum = 0;
        for (String state : new String[] {"QUEUED", "RUNNING"}) {
            Matcher m = Pattern.compile("\"totalElements\":(\\d+)").matcher(send("GET", path + "?state=" + state + "&size=1", null).body());
            if (!m.find()) {
                throw new IllegalStateException("no totalElements");
            }
            sum += Long.parseLong(m.group(1));
        }
        return sum;
    }

    record Throughput(ConcurrentLinkedQueue<Long> latencies, long accepted, long refused, long failed, double elapsed) {
    }

    /** C clients, each submitting one after the other for S seconds to the tenants in turn. */
    static Throughput submitFor(int seconds, int clients, String[] paths, String spec) throws InterruptedException {
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicLong accepted = new AtomicLong(), refused = new AtomicLong(), failed = new AtomicLong();
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        CountDownLatch done = new CountDownLatch(clients);
        long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            String own = paths[c % paths.length];
            Thread t = new Thread(() -> {
                try {
                    while (System.nanoTime() < end) {
                        long t0 = System.nanoTime();
                        int status;
                        try {
                            status = send("POST", own, spec).status();
                        } catch (java.io.IOException e) {
                            status = -1;
                        }
                        latencies.add(System.nanoTime() - t0);
                        if (status == 201) {
                            accepted.incrementAndGet();
                        } else if (status == 429 || status == 422) {
                            refused.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                        }
                    }
                } finally {
                    KeptConnection.closeMine();
                    done.countDown();
                }
            });
            t.start();
        }
        done.await();
        return new Throughput(latencies, accepted.get(), refused.get(), failed.get(), (System.nanoTime() - start) / 1e9);
    }

    /** Workloads that ran to SUCCEEDED, over the tenants. */
    static long finished(String[] paths) throws java.io.IOException {
        long sum = 0;
        for (String p : paths) {
            Matcher m = Pattern.compile("\"totalElements\":(\\d+)").matcher(send("GET", p + "?state=SUCCEEDED&size=1", null).body());
            if (!m.find()) {
                throw new IllegalStateException("no totalElements");
            }
            sum += Long.parseLong(m.group(1));
        }
        return sum;
    }

    static double pct(long[] sorted, int p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1e6;
    }

    /** The 1, 5 and 15 minute load averages: the figures mean little on a busy machine. */
    static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    static void print(String what, long[] ns) {
        long[] s = ns.clone();
        Arrays.sort(s);
        System.out.printf("%s n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms%n", what, s.length,
                s[s.length / 2] / 1e6, s[Math.min(s.length - 1, (int) Math.ceil(s.length * 0.99) - 1)] / 1e6,
                s[s.length - 1] / 1e6);
    }

    static String awaitEnd(String path, String id) throws Exception {
        while (true) {
            String w = send("GET", path + "/" + id, null).body();
            String state = field(w, "state");
            if (!state.equals("QUEUED") && !state.equals("RUNNING")) {
                return w;
            }
            Thread.sleep(2);
        }
    }

    static KeptConnection.Answer send(String method, String path, String body) throws java.io.IOException {
        return KeptConnection.call(base, method, path, token, body);
    }

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + name + " in " + json);
        }
        return m.group(1);
    }
}
