package dev.palisade.platform.retention;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code palisade.retention.*}.
 *
 * @param defaultDays   days a tenant keeps finished workloads unless it chose otherwise
 * @param maxDays       the most days a tenant may choose
 * @param purgeInterval how often the purge runs (on one instance)
 * @param batch         workloads deleted per transaction
 */
@ConfigurationProperties("palisade.retention")
public record RetentionProperties(
        @DefaultValue("30") int defaultDays,
        @DefaultValue("365") int maxDays,
        @DefaultValue("1h") Duration purgeInterval,
        @DefaultValue("500") int batch) {

    public RetentionProperties {
        if (defaultDays < 1 || defaultDays > maxDays || maxDays > 36_500 || batch < 1) {
            throw new IllegalArgumentException("palisade.retention: default-days between 1 and max-days (at most "
                    + "36500), batch at least 1");
        }
    }
}
