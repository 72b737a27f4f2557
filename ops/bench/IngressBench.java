import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load generator for ops/bench/ingress-bench.sh: GETs with one request per connection (the
 * python server closes anyway), N client threads for a fixed time, per target; prints requests
 * per second and p50/p99 latency for each target side by side, and each one's overhead over the
 * first when that is {@code direct}; and how many requests were answered, warm-up included.
 *
 * java IngressBench.java SECONDS CONCURRENCY NAME=URL [NAME=URL…]
 */
public class IngressBench {

    /** {@code answered}: requests answered in the run and its warm-up, for counting a server's work around the whole call. */
    record Result(String name, double rps, double p50, double p99, long errors, long answered) {
    }

    public static void main(String[] args) throws Exception {
        int seconds = Integer.parseInt(args[0]);
        int concurrency = Integer.parseInt(args[1]);
        List<Result> results = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            Result warmUp = run("warm-up", URI.create(kv[1]), 2, concurrency);   // JIT, python's first requests
            Result r = run(kv[0], URI.create(kv[1]), seconds, concurrency);
            results.add(new Result(r.name(), r.rps(), r.p50(), r.p99(), r.errors(), warmUp.answered() + r.answered()));
        }
        System.out.printf("%-14s %6s %10s %10s %10s %8s %9s%n", "target", "conc", "req/s", "p50 ms", "p99 ms", "errors",
                "answered");
        for (Result r : results) {
            System.out.printf("%-14s %6d %10.0f %10.3f %10.3f %8d %9d%n", r.name(), concurrency, r.rps(), r.p50(), r.p99(),
                    r.errors(), r.answered());
        }
        // every further target against the first (direct): the overhead it adds
        for (int i = 1; i < results.size() && results.get(0).name().equals("direct"); i++) {
            Result d = results.get(0), g = results.get(i);
            System.out.printf("overhead %-8s p50 %+.3f ms, p99 %+.3f ms; throughput %.0f%% of direct%n",
                    g.name() + ":", g.p50() - d.p50(), g.p99() - d.p99(), 100.0 * g.rps() / d.rps());
        }
    }

    static Result run(String name, URI uri, int seconds, int concurrency) throws Exception {
        byte[] request = ("GET " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicLong errors = new AtomicLong();
        // services answer at {service}.{tenant}.apps.localhost: names under localhost are the loopback, as in browsers
        InetSocketAddress to = uri.getHost().endsWith(".localhost")
                ? new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), uri.getPort())
                : new InetSocketAddress(uri.getHost(), uri.getPort());
        // "alone" targets measure the ingress's own answer (a 404 for a name that is no service)
        char expected = name.endsWith("alone") ? '4' : '2';
        List<long[]> perThread = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        int[] counts = new int[concurrency];
        for (int t = 0; t < concurrency; t++) {
            long[] lat = new long[2_000_000];
            perThread.add(lat);
            int idx = t;
            Thread th = new Thread(() -> {
                byte[] buf = new byte[16384];
                int n = 0;
                while (System.nanoTime() < end && n < lat.length) {
                    long start = System.nanoTime();
                    try (Socket s = new Socket()) {
                        s.setTcpNoDelay(true);
                        s.connect(to, 5000);
                        s.setSoTimeout(10000);
                        OutputStream out = s.getOutputStream();
                        out.write(request);
                        out.flush();
                        InputStream in = s.getInputStream();
                        int first = -1;
                        for (int r; (r = in.read(buf)) >= 0; ) {
                            if (first < 0 && r >= 12) {
                                first = buf[9] == expected ? 200 : 0;
                            }
                        }
                        if (first != 200) {
                            errors.incrementAndGet();
                            continue;
                        }
                    } catch (Exception e) {
                        errors.incrementAndGet();
                        continue;
                    }
                    lat[n++] = System.nanoTime() - start;
                }
                counts[idx] = n;
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        int total = Arrays.stream(counts).sum();
        long[] all = new long[total];
        int k = 0;
        for (int t = 0; t < concurrency; t++) {
            System.arraycopy(perThread.get(t), 0, all, k, counts[t]);
            k += counts[t];
        }
        Arrays.sort(all);
        return new Result(name, total / (double) seconds, pct(all, 0.50), pct(all, 0.99), errors.get(), total);
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] / 1e6;
    }
}
