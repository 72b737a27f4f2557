package dev.palisade.platform.config;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param dataDir where the platform keeps its state on this machine (the embedded PostgreSQL
 *     lives in {@code <dataDir>/postgres})
 * @param adminPassword password of the first admin, used only when that user is created
 *     (env {@code PALISADE_ADMIN_PASSWORD}); generated and printed once when empty
 */
@ConfigurationProperties("palisade")
public record PalisadeProperties(@DefaultValue("./palisade-data") Path dataDir, String adminPassword) {
}
