package dev.palisade.platform.volume;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Volumes ({@code palisade.volumes.*}).
 *
 * @param maxSize      the largest volume a tenant may create (its storage quota bounds them all together)
 * @param maxPerTenant the most volumes one tenant keeps
 * @param maxEntries   the most entries an imported archive may have
 */
@ConfigurationProperties("palisade.volumes")
public record VolumeProperties(
        @DefaultValue("64GB") DataSize maxSize,
        @DefaultValue("50") int maxPerTenant,
        @DefaultValue("200000") int maxEntries) {
}
