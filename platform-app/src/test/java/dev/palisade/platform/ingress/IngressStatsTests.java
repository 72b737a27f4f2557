package dev.palisade.platform.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The request rate the console shows is the last minute's, not the average since the deployment. */
class IngressStatsTests {

    private Instant now = Instant.parse("2026-12-06T10:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    @Test
    void lastMinuteCountsOnlyTheLastSixtySeconds() {
        IngressStats stats = new IngressStats(new SimpleMeterRegistry(), clock);
        for (int i = 0; i < 5; i++) {
            stats.record("acme", "web", 200, 1_000_000);
        }
        now = now.plus(Duration.ofSeconds(30));
        stats.record("acme", "web", 500, 1_000_000);
        stats.record("acme", "api", 200, 1_000_000);
        assertThat(stats.lastMinute("acme", "web")).isEqualTo(6);

        now = now.plus(Duration.ofSeconds(40)); // the first five are 70 s old
        assertThat(stats.lastMinute("acme", "web")).isEqualTo(1);
        assertThat(stats.snapshot("acme", "web").total()).isEqualTo(6);

        now = now.plus(Duration.ofMinutes(2));
        assertThat(stats.lastMinute("acme", "web")).isZero();
        stats.record("acme", "web", 200, 1_000_000); // reuses a slot last written minutes ago
        assertThat(stats.lastMinute("acme", "web")).isEqualTo(1);
        assertThat(stats.lastMinute("acme", "none")).isZero();
    }
}
