package dev.palisade.platform.image;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Imported and uploaded images ({@code palisade.images.*}).
 *
 * @param maxSize      largest image archive accepted (a multipart upload is also bounded by
 *                     spring.servlet.multipart.max-file-size; a tenant's raw upload streams to disk)
 * @param maxUnpacked  most bytes all layers may unpack to
 * @param maxEntries   most entries all layers may hold
 */
@ConfigurationProperties("palisade.images")
public record ImageProperties(
        @DefaultValue("256MB") DataSize maxSize,
        @DefaultValue("2GB") DataSize maxUnpacked,
        @DefaultValue("200000") int maxEntries) {
}
