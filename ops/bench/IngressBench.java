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
 * python server closes anyway), over TLS or WebSocket round trips by target
 * ({@link #probes}), N client threads for a fixed time, per target; prints requests
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

    /** One request (or round trip) of a target, on the calling client thread; false: it failed. */
    interface Probe {
        boolean once(byte[] buf) throws Exception;
    }

    /** A thread's probe: each client thread gets its own (its own WebSocket, say). */
    interface Probes {
        Probe forThread() throws Exception;
    }

    /**
     * How a target is asked, by its URL and name: {@code http://} one request per connection;
     * {@code https://} the same over TLS, resuming the session (named {@code …-noresume}: a full
     * handshake each time); {@code ws://}: a WebSocket per client thread, a 32-byte
     * text echoed back per round trip. Names under {@code .localhost} need a hosts file
     * ({@code -Djdk.net.hosts.file}) for the TLS and WebSocket kinds. HTTP/2 is h2-probe.py's.
     */
    static Probes probes(String name, URI uri) throws Exception {
        char expected = name.endsWith("alone") ? '4' : '2';
        if (uri.getScheme().equals("ws")) {
            java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
            return () -> {
                java.util.concurrent.LinkedBlockingQueue<String> echoed = new java.util.concurrent.LinkedBlockingQueue<>();
                java.net.http.WebSocket ws = client.newWebSocketBuilder().buildAsync(uri, new java.net.http.WebSocket.Listener() {
                    StringBuilder text = new StringBuilder();

                    @Override
                    public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket w, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            echoed.add(text.toString());
                            text = new StringBuilder();
                        }
                        w.request(1);
                        return null;
                    }
                }).get(10, java.util.concurrent.TimeUnit.SECONDS);
                String message = "0123456789abcdef0123456789abcdef";
                return buf -> {
                    ws.sendText(message, true).get(10, java.util.concurrent.TimeUnit.SECONDS);
                    return message.equals(echoed.poll(10, java.util.concurrent.TimeUnit.SECONDS));
                };
            };
        }
        boolean tls = uri.getScheme().equals("https");
        boolean resume = !name.endsWith("-noresume");
        javax.net.ssl.SSLContext shared = tls ? trustAll() : null;
        byte[] request = ("GET " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        // services answer at {service}.{tenant}.apps.localhost: names under localhost are the loopback, as in browsers
        InetSocketAddress to = uri.getHost().endsWith(".localhost")
                ? new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), uri.getPort())
                : new InetSocketAddress(uri.getHost(), uri.getPort());
        return () -> buf -> {
            try (Socket plain = new Socket()) {
                plain.setTcpNoDelay(true);
                plain.connect(to, 5000);
                plain.setSoTimeout(10000);
                Socket s = plain;
                if (tls) {
                    javax.net.ssl.SSLSocket t = (javax.net.ssl.SSLSocket) (resume ? shared : trustAll()).getSocketFactory()
                            .createSocket(plain, uri.getHost(), uri.getPort(), true);
                    javax.net.ssl.SSLParameters p = t.getSSLParameters();
                    p.setServerNames(java.util.List.of(new javax.net.ssl.SNIHostName(uri.getHost())));
                    p.setApplicationProtocols(new String[] {"http/1.1"});
                    t.setSSLParameters(p);
                    s = t;
                }
                OutputStream out = s.getOutputStream();
                out.write(request);
                out.flush();
                InputStream in = s.getInputStream();
                int first = -1;
                try {
                    for (int r; (r = in.read(buf)) >= 0; ) {
                        if (first < 0 && r >= 12) {
                            first = buf[9] == expected ? 200 : 0;
                        }
                    }
                } catch (javax.net.ssl.SSLException closedWithoutNotify) {
                    // a server that closes without close_notify: what was read counts
                }
                return first == 200;
            }
        };
    }

    static javax.net.ssl.SSLContext trustAll() throws Exception {
        javax.net.ssl.SSLContext c = javax.net.ssl.SSLContext.getInstance("TLS");
        c.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
            public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String type) {
            }

            public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String type) {
            }

            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
            }
        }}, null);
        return c;
    }

    static Result run(String name, URI uri, int seconds, int concurrency) throws Exception {
        Probes probes = probes(name, uri);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicLong errors = new AtomicLong();
        List<long[]> perThread = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        int[] counts = new int[concurrency];
        for (int t = 0; t < concurrency; t++) {
            long[] lat = new long[2_000_000];
            perThread.add(lat);
            int idx = t;
            Probe probe = probes.forThread();
            Thread th = new Thread(() -> {
                byte[] buf = new byte[16384];
                int n = 0;
                while (System.nanoTime() < end && n < lat.length) {
                    long start = System.nanoTime();
                    try {
                        if (!probe.once(buf)) {
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
