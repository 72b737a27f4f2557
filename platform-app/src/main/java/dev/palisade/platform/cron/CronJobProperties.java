package dev.palisade.platform.cron;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Cron jobs ({@code palisade.cron-jobs.*}).
 *
 * @param enabled         whether this instance fires cron jobs (any instance may; each firing runs on one)
 * @param pollingInterval how often this instance looks for due firings: how late a firing may start
 * @param threads         firings this instance handles at once (each only submits a workload)
 */
@ConfigurationProperties("palisade.cron-jobs")
public record CronJobProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("2s") Duration pollingInterval,
        @DefaultValue("2") int threads) {
}
