package dev.palisade.platform.ingress;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Requests through the ingress per service: Micrometer timers
 * ({@code palisade.ingress.requests}, tags tenant, service, status) for the metrics endpoint,
 * and a small in-memory view for the API and the workload page: counts by status code and
 * p50/p99 over the last {@value #WINDOW} requests, and the requests of the last minute. Counts are
 * this instance's since it started.
 */
@Component
public class IngressStats {

    static final int WINDOW = 1024;

    private final MeterRegistry meters;
    private final Clock clock;
    private final Map<String, PerService> services = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    @Autowired
    IngressStats(MeterRegistry meters) {
        this(meters, Clock.systemUTC());
    }

    IngressStats(MeterRegistry meters, Clock clock) {
        this.meters = meters;
        this.clock = clock;
    }

    /** What the API shows of a service's requests. */
    @Schema(name = "ServiceRequestStats", description = "A service's requests through the ingress")
    public record Snapshot(long total, Map<Integer, Long> byStatus, double p50Millis, double p99Millis) {
    }

    private static final class PerService {
        final LongAdder total = new LongAdder();
        final Map<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
        final long[] latencies = new long[WINDOW];
        int next;
        int filled;
        // requests per second of the last minute, each slot tagged with the second it counts
        final long[] secondOf = new long[60];
        final long[] countIn = new long[60];

        synchronized void count(long second) {
            int slot = (int) (second % 60);
            if (secondOf[slot] != second) {
                secondOf[slot] = second;
                countIn[slot] = 0;
            }
            countIn[slot]++;
        }

        synchronized long lastMinute(long now) {
            long sum = 0;
            for (int i = 0; i < 60; i++) {
                if (now - secondOf[i] < 60) {
                    sum += countIn[i];
                }
            }
            return sum;
        }

        synchronized void latency(long nanos) {
            latencies[next] = nanos;
            next = (next + 1) % WINDOW;
            filled = Math.min(WINDOW, filled + 1);
        }

        synchronized long[] window() {
            return Arrays.copyOf(latencies, filled);
        }
    }

    void record(String tenant, String service, int status, long nanos) {
        PerService s = services.computeIfAbsent(tenant + "/" + service, k -> new PerService());
        s.total.increment();
        s.byStatus.computeIfAbsent(status, k -> new LongAdder()).increment();
        s.latency(nanos);
        s.count(clock.millis() / 1000);
        timers.computeIfAbsent(tenant + "/" + service + "/" + status, k -> Timer.builder("palisade.ingress.requests")
                .description("Requests proxied to hosted services, by service and status code")
                .tag("tenant", tenant).tag("service", service).tag("status", Integer.toString(status))
                .register(meters)).record(nanos, TimeUnit.NANOSECONDS);
    }

    public Snapshot snapshot(String tenant, String service) {
        PerService s = services.get(tenant + "/" + service);
        if (s == null) {
            return new Snapshot(0, Map.of(), 0, 0);
        }
        Map<Integer, Long> by = new TreeMap<>();
        s.byStatus.forEach((k, v) -> by.put(k, v.sum()));
        long[] w = s.window();
        Arrays.sort(w);
        return new Snapshot(s.total.sum(), by, percentile(w, 0.50), percentile(w, 0.99));
    }

    /** Requests to the service in the last 60 seconds, on this instance. */
    public long lastMinute(String tenant, String service) {
        PerService s = services.get(tenant + "/" + service);
        return s == null ? 0 : s.lastMinute(clock.millis() / 1000);
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
        return Math.round(sorted[Math.max(0, i)] / 1000.0) / 1000.0;
    }
}
