package dev.palisade.platform.secret;

import java.nio.file.Path;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code palisade.secrets.*}.
 *
 * @param key          the key that seals secrets: 32 bytes, base64; unset: a key file
 *                     {@code <data-dir>/secret-keys} made {@code 0600} at first start (one machine only:
 *                     instances that share a database must share this key)
 * @param previousKeys keys secrets may still be sealed with (base64): at start every value sealed with
 *                     one of them is re-sealed with {@code key}, after which they can be dropped
 * @param runDir       host directory (a tmpfs) where a running workload's secret files live, bound
 *                     read-only at {@code /run/secrets}
 */
@ConfigurationProperties("palisade.secrets")
public record SecretProperties(String key, @DefaultValue List<String> previousKeys,
        @DefaultValue("/dev/shm/palisade-secrets") Path runDir) {
}
