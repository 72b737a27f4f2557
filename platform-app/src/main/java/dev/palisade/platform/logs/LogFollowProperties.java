package dev.palisade.platform.logs;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Live log followers ({@code palisade.logs.follow.*}). A follower costs memory, not a thread;
 * the caps bound that memory and the connections held open.
 *
 * @param maxPerUser   open followers one user may hold on one node; past it 429
 * @param maxPerTenant open followers of one tenant's users on one node; past it 429
 * @param maxPerNode   open followers on one node, everyone's; past it 429
 * @param retryAfter   what the 429's {@code Retry-After} says
 * @param heartbeat    how often an idle stream gets a comment line, which finds a client gone
 * @param maxDuration  a stream is closed after this long (the client resumes with {@code Last-Event-ID})
 * @param sweep        how often every followed log is read even without a notice (one lost with a
 *                     dropped database connection)
 */
@ConfigurationProperties("palisade.logs.follow")
public record LogFollowProperties(
        @DefaultValue("20") int maxPerUser,
        @DefaultValue("100") int maxPerTenant,
        @DefaultValue("2000") int maxPerNode,
        @DefaultValue("10s") Duration retryAfter,
        @DefaultValue("5s") Duration heartbeat,
        @DefaultValue("1h") Duration maxDuration,
        @DefaultValue("30s") Duration sweep) {
}
