package dev.palisade.platform.ops;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * This instance's place in a deployment ({@code palisade.node.*}).
 *
 * @param role {@code api}, {@code worker} or {@code all} (default: one machine does everything)
 * @param migrateAndExit apply the database migrations (Flyway runs as the context starts) and
 *     exit with status 0: the Kubernetes migration Job runs the same jar this way, once per upgrade
 */
@ConfigurationProperties("palisade.node")
public record NodeProperties(@DefaultValue("all") NodeRole role, @DefaultValue("false") boolean migrateAndExit) {
}
