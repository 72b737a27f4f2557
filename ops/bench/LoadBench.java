import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load and density against running Palisade instances (started by ops/bench/load.sh, which compiles
 * this with KeptConnection.java and ProcessCpu.java), loopback only, bounded in time. Run by hand, never in CI:
 *
 *   java -cp DIR LoadBench load    --api URL1,URL2 --password P [--rate 300] [--seconds 60] [--submit-share 0.1]
 *                                  [--warmup 30] [--pids name=PID,...]
 *   java -cp DIR LoadBench density --api URL1 --password P --worker-pid PID [--count 500] [--wait 240]
 *
 * load: an open-loop, steady rate of requests (the schedule does not wait for answers, so a slow
 * server shows as latency, not as a lower rate), spread over the API replicas: submits of a tiny
 * workload (/bin/true) and reads (one workload, a page of the list). First the same mix at half
 * the rate for --warmup seconds, not counted. Prints throughput, p50, p99, errors (anything but
 * 2xx, or no answer within 10 s) and the CPU each of the --pids processes (with its descendants:
 * PostgreSQL's backends, the worker's sandboxes) and the client itself used meanwhile.
 * density: submits COUNT workloads that sleep, waits until as many as will run are RUNNING on the
 * worker, and reports how many ran at once and the memory each cost (host MemAvailable drop and
 * worker JVM RSS growth, divided by the number running); then cancels them all.
 */
public class LoadBench {

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .executor(Executors.newFixedThreadPool(32)).build();
    static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f-]{36})\"");

    public static void main(String[] args) throws Exception {
        Map<String, String> o = options(args);
        String mode = args.length > 0 ? args[0] : "load";
        List<String> apis = List.of(o.getOrDefault("api", "http://127.0.0.1:8080").split(","));
        for (String a : apis) {
            String host = URI.create(a).getHost();
            if (!host.equals("127.0.0.1") && !host.equals("localhost") && !host.equals("::1")) {
                throw new IllegalArgumentException("loopback only: " + a);
            }
        }
        String token = mint(apis.get(0), o.getOrDefault("password", System.getenv("PALISADE_ADMIN_PASSWORD")));
        String tenant = o.getOrDefault("tenant", "bench");
        setUpTenant(apis.get(0), token, tenant);
        if (mode.equals("density")) {
            density(apis.get(0), token, tenant, Integer.parseInt(o.getOrDefault("count", "500")),
                    Long.parseLong(o.get("worker-pid")), Integer.parseInt(o.getOrDefault("wait", "240")));
        } else {
            load(apis, token, tenant, Integer.parseInt(o.getOrDefault("rate", "300")),
                    Integer.parseInt(o.getOrDefault("seconds", "60")), Double.parseDouble(o.getOrDefault("submit-share", "0.1")),
                    Integer.parseInt(o.getOrDefault("warmup", "30")), ProcessCpu.parse(o.getOrDefault("pids", "")));
        }
        System.exit(0);
    }

    static void load(List<String> apis, String token, String tenant, int rate, int seconds, double submitShare,
            int warmUpSeconds, Map<String, Long> pids) throws Exception {
        // a few workloads to read
        List<String> ids = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(id(send(post(apis.get(0) + path(tenant, ""), token, TRUE_SPEC)).body()));
        }
        int submitEvery = submitShare <= 0 ? Integer.MAX_VALUE : (int) Math.round(1 / submitShare);
        if (warmUpSeconds > 0) {
            // freshly started JVMs compile their hot paths first: on 2 CPUs three JVMs doing so would
            // be measured instead of the platform, which in production has been up for hours
            Drive warm = drive(apis, token, tenant, Math.max(1, rate / 2), warmUpSeconds, submitEvery, ids);
            System.out.printf("warm-up: %d req/s for %d s (not counted): %d answered, %d errors; load average %s%n",
                    Math.max(1, rate / 2), warmUpSeconds, warm.done, warm.errorCount(), loadAverage());
        }
        System.out.printf("load: %d requests/s for %d s over %s (1 in %d a submit, the rest reads); load average %s%n",
                rate, seconds, apis, submitEvery, loadAverage());
        Map<String, Long> cpuBefore = ProcessCpu.ticks(pids);
        long machineBefore = ProcessCpu.machineTicks();
        long clientBefore = clientCpuNanos();
        Drive d = drive(apis, token, tenant, rate, seconds, submitEvery, ids);
        Map<String, Long> cpuAfter = ProcessCpu.ticks(pids);
        double machineSeconds = (ProcessCpu.machineTicks() - machineBefore) / 100.0;
        long clientCpu = clientCpuNanos() - clientBefore;
        List<Long> sorted = new ArrayList<>(d.latencies);
        Collections.sort(sorted);
        System.out.printf("sent %d in %.1f s (%.1f/s offered); answered %d (%.1f/s)%n", d.total, d.sendingSeconds,
                d.total / d.sendingSeconds, d.done, d.done / d.elapsedSeconds);
        System.out.printf("latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms%n", pct(sorted, 50), pct(sorted, 90),
                pct(sorted, 99), sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1) / 1e6);
        System.out.printf("errors: %d %s%n", d.errorCount(), new TreeMap<>(d.errors));
        StringBuilder cpu = new StringBuilder();
        cpuAfter.forEach((name, ticks) -> cpu.append(String.format("%s %.1f s, ", name, (ticks - cpuBefore.get(name)) / 100.0)));
        System.out.printf("CPU used during the load (%.0f s wall, %d CPUs): %sthis client %.1f s; the whole machine %.1f s%n",
                d.elapsedSeconds, Runtime.getRuntime().availableProcessors(), cpu, clientCpu / 1e9, machineSeconds);
        System.out.printf("RESULT load: offered %d req/s, answered %.1f/s, p50 %.1f ms, p99 %.1f ms, errors %d of %d"
                + " (goal: 0 errors at 300 req/s); load average %s%n", rate, d.done / d.elapsedSeconds, pct(sorted, 50),
                pct(sorted, 99), d.errorCount(), d.total, loadAverage());
    }

    /** What one open-loop run saw; a request unanswered at the end counts as an error. */
    record Drive(long total, long done, ConcurrentLinkedQueue<Long> latencies, Map<String, AtomicInteger> errors,
            double sendingSeconds, double elapsedSeconds) {
        long errorCount() {
            return errors.values().stream().mapToInt(AtomicInteger::get).sum() + (total - done);
        }
    }

    /**
     * An open loop: the schedule hands each request to the client threads at its due time and its
     * latency counts from then, so a slow server (or a client short of connections) shows as
     * latency, never as a lower rate. Submits of /bin/true every {@code submitEvery}-th request,
     * the rest reads (one workload, a page of the list).
     */
    static Drive drive(List<String> apis, String token, String tenant, int rate, int seconds, int submitEvery,
            List<String> ids) throws Exception {
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
        AtomicInteger done = new AtomicInteger();
        long total = (long) rate * seconds;
        long periodNanos = 1_000_000_000L / rate;
        LinkedBlockingQueue<Runnable> due = new LinkedBlockingQueue<>();
        List<Thread> clients = new ArrayList<>();
        for (int w = 0; w < CONNECTIONS; w++) {
            Thread t = new Thread(() -> {
                try {
                    while (true) {
                        due.take().run();
                    }
                } catch (InterruptedException e) {
                    KeptConnection.closeMine(); // the run is over
                }
            }, "client-" + w);
            t.setDaemon(true);
            t.start();
            clients.add(t);
        }
        long start = System.nanoTime();
        for (long i = 0; i < total; i++) {
            long dueAt = start + i * periodNanos;
            long wait = dueAt - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            String api = apis.get((int) (i % apis.size()));
            boolean submit = i % submitEvery == 0;
            String method = submit ? "POST" : "GET";
            String target = submit ? path(tenant, "")
                    : i % 2 == 0 ? path(tenant, "/" + ids.get((int) (i % ids.size()))) : path(tenant, "?size=20");
            due.add(() -> {
                try {
                    KeptConnection.Answer a = KeptConnection.call(api, method, target, token, submit ? TRUE_SPEC : null);
                    if (a.status() / 100 != 2) {
                        errors.computeIfAbsent("HTTP " + a.status(), k -> new AtomicInteger()).incrementAndGet();
                    } else if (submit && ids.size() < 200) {
                        ids.add(id(a.body()));
                    }
                } catch (Exception e) {
                    errors.computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicInteger()).incrementAndGet();
                }
                latencies.add(System.nanoTime() - dueAt);
                done.incrementAndGet();
            });
        }
        long sentAll = System.nanoTime();
        while (done.get() < total && System.nanoTime() - sentAll < TimeUnit.SECONDS.toNanos(15)) {
            Thread.sleep(50);
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        clients.forEach(Thread::interrupt);
        return new Drive(total, done.get(), latencies, errors, (sentAll - start) / 1e9, elapsed);
    }

    static long clientCpuNanos() {
        return java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class)
                .getProcessCpuTime();
    }

    static final int CONNECTIONS = 64;

    /** The 1, 5 and 15 minute load averages: the figures mean little on a busy machine. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    static void density(String api, String token, String tenant, int count, long workerPid, int waitSeconds)
            throws Exception {
        long availBefore = memAvailableKb();
        long rssBefore = rssKb(workerPid);
        System.out.printf("density: submitting %d workloads of 'sleep 600' (worker pid %d, RSS %d MB, host MemAvailable %d MB)%n",
                count, workerPid, rssBefore / 1024, availBefore / 1024);
        List<String> ids = new ArrayList<>();
        int refused = 0;
        for (int i = 0; i < count; i++) {
            HttpResponse<String> r = send(post(api + path(tenant, ""), token, SLEEP_SPEC));
            if (r.statusCode() == 201) {
                ids.add(id(r.body()));
            } else {
                refused++;
                if (refused == 1) {
                    System.out.println("refused: " + r.statusCode() + " " + r.body());
                }
            }
        }
        long t0 = System.nanoTime();
        int running = 0;
        int best = 0;
        long bestAvail = availBefore;
        long bestRss = rssBefore;
        long stableSince = System.nanoTime();
        while (System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(waitSeconds)) {
            Thread.sleep(2000);
            running = countRunning(api, token, tenant);
            long avail = memAvailableKb();
            long rss = rssKb(workerPid);
            System.out.printf("  %5.0f s: %d running, host MemAvailable %d MB, worker RSS %d MB%n",
                    (System.nanoTime() - t0) / 1e9, running, avail / 1024, rss / 1024);
            if (running > best) {
                best = running;
                bestAvail = avail;
                bestRss = rss;
                stableSince = System.nanoTime();
            } else if (running == ids.size() || System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(20)) {
                bestAvail = Math.min(bestAvail, avail);
                bestRss = Math.max(bestRss, rss);
                break;
            }
        }
        System.out.printf("density: %d of %d sandboxes running at once on one worker (%d refused at submit)%n", best,
                count, refused);
        if (best > 0) {
            System.out.printf("memory per sandbox: %.2f MB of host memory (MemAvailable drop %d MB), of which worker JVM %.2f MB (RSS +%d MB)%n",
                    (availBefore - bestAvail) / 1024.0 / best, (availBefore - bestAvail) / 1024,
                    (bestRss - rssBefore) / 1024.0 / best, (bestRss - rssBefore) / 1024);
        }
        for (String id : ids) {
            send(post(api + path(tenant, "/" + id + "/cancel"), token, ""));
        }
        System.out.println("cancelled them all");
    }

    static int countRunning(String api, String token, String tenant) throws Exception {
        HttpResponse<String> r = send(get(api + path(tenant, "?state=RUNNING&size=1"), token));
        Matcher m = Pattern.compile("\"totalElements\":(\\d+)").matcher(r.body());
        if (m.find()) {
            return Integer.parseInt(m.group(1));
        }
        throw new IllegalStateException("no totalElements in " + r.body());
    }

    static final String TRUE_SPEC = "{\"name\":\"bench\",\"image\":\"host\",\"platform\":\"ptrace\",\"command\":[\"/bin/true\"]}";
    static final String SLEEP_SPEC = "{\"name\":\"dense\",\"image\":\"host\",\"platform\":\"ptrace\",\"command\":[\"/bin/sleep\",\"600\"],"
            + "\"limits\":{\"wallMillis\":900000,\"memoryBytes\":67108864}}";

    static void setUpTenant(String api, String token, String tenant) throws Exception {
        send(post(api + "/api/v1/tenants", token, "{\"slug\":\"" + tenant + "\",\"displayName\":\"Bench\"}"));
        HttpResponse<String> q = send(HttpRequest.newBuilder(URI.create(api + "/api/v1/tenants/" + tenant + "/quota"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("""
                        {"maxConcurrentWorkloads":2000,"maxCpuMillis":600000,"maxWallMillis":900000,"maxMemoryBytes":268435456,
                         "maxProcesses":64,"maxOutputBytes":1048576,"cpuSecondsPerMonth":100000000,"storageBytes":10737418240}"""))
                .build());
        if (q.statusCode() != 200) {
            throw new IllegalStateException("quota: " + q.statusCode() + " " + q.body());
        }
    }

    static String mint(String api, String password) throws Exception {
        String basic = Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(api + "/api/v1/tokens"))
                .header("Authorization", "Basic " + basic).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"bench\"}")).build());
        Matcher m = Pattern.compile("\"token\":\"([^\"]+)\"").matcher(r.body());
        if (r.statusCode() != 201 || !m.find()) {
            throw new IllegalStateException("could not mint a token: " + r.statusCode() + " " + r.body());
        }
        return m.group(1);
    }

    static String path(String tenant, String rest) {
        return "/api/v1/tenants/" + tenant + "/workloads" + rest;
    }

    static HttpRequest get(String url, String token) {
        return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token).GET().build();
    }

    static HttpRequest post(String url, String token, String json) {
        return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }

    static HttpResponse<String> send(HttpRequest r) throws Exception {
        return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
    }

    static String id(String body) {
        Matcher m = ID.matcher(body);
        if (!m.find()) {
            throw new IllegalStateException("no id in " + body);
        }
        return m.group(1);
    }

    static double pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)) / 1e6;
    }

    static long memAvailableKb() throws Exception {
        return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemAvailable:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D+", ""))).findFirst().orElse(0);
    }

    static long rssKb(long pid) throws Exception {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D+", ""))).findFirst().orElse(0);
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> o = new java.util.HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        return o;
    }
}
