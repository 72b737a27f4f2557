package dev.palisade.platform.api;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * @param maxBodySize largest request body the API reads; larger ones get 413
 * @param maxPageSize largest {@code size} a list call accepts
 */
@ConfigurationProperties("palisade.api")
public record ApiProperties(@DefaultValue("64KB") DataSize maxBodySize, @DefaultValue("100") int maxPageSize) {
}
