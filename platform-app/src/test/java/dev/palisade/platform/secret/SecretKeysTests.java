package dev.palisade.platform.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.platform.config.PalisadeProperties;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sealing and keys on their own: what opens, what does not, and the key file's rights. */
class SecretKeysTests {

    @TempDir
    Path dir;

    private static String key(int fill) {
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) fill);
        return Base64.getEncoder().encodeToString(k);
    }

    private SecretKeys configured(String key, List<String> previous) {
        return new SecretKeys(new SecretProperties(key, previous, dir.resolve("run")), new PalisadeProperties(dir, null));
    }

    @Test
    void aValueSealedUnderAPreviousKeyStillOpensAndReSealsUnderTheCurrentOne() {
        SecretKeys old = configured(key(1), List.of());
        SecretKeys.Sealed sealed = old.seal("hunter2".getBytes(StandardCharsets.UTF_8), "row-a");
        SecretKeys rotated = configured(key(2), List.of(key(1)));
        assertThat(rotated.currentKeyId()).isNotEqualTo(old.currentKeyId());
        assertThat(new String(rotated.open(sealed, "row-a"), StandardCharsets.UTF_8)).isEqualTo("hunter2");
        SecretKeys.Sealed again = rotated.seal(rotated.open(sealed, "row-a"), "row-a");
        assertThat(again.keyId()).isEqualTo(rotated.currentKeyId());
        // without the old key, the old value does not open; the new one does
        SecretKeys only = configured(key(2), List.of());
        assertThatThrownBy(() -> only.open(sealed, "row-a")).isInstanceOf(SecretKeys.UnreadableSecretException.class)
                .hasMessageContaining(old.currentKeyId());
        assertThat(only.open(again, "row-a")).isEqualTo("hunter2".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aValueMovedToAnotherRowOrAlteredDoesNotOpen() {
        SecretKeys keys = configured(key(3), List.of());
        SecretKeys.Sealed sealed = keys.seal("value".getBytes(StandardCharsets.UTF_8), "tenant_secret:1:db");
        assertThatThrownBy(() -> keys.open(sealed, "tenant_secret:2:db"))
                .isInstanceOf(SecretKeys.UnreadableSecretException.class);
        byte[] altered = sealed.bytes().clone();
        altered[altered.length - 1] ^= 1;
        assertThatThrownBy(() -> keys.open(new SecretKeys.Sealed(sealed.keyId(), altered), "tenant_secret:1:db"))
                .isInstanceOf(SecretKeys.UnreadableSecretException.class);
        // two seals of one value differ (fresh nonce each time)
        assertThat(keys.seal("value".getBytes(StandardCharsets.UTF_8), "x").bytes())
                .isNotEqualTo(keys.seal("value".getBytes(StandardCharsets.UTF_8), "x").bytes());
    }

    @Test
    void theKeyFileIsMadeOwnerOnlyAndAConfiguredKeyIsNotRotatedAtRunTime() throws Exception {
        SecretKeys fromFile = configured(null, List.of());
        Path file = dir.resolve("secret-keys");
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        String first = fromFile.currentKeyId();
        assertThat(fromFile.addKey()).isNotEqualTo(first);
        assertThat(Files.readAllLines(file)).hasSize(2);
        fromFile.retireAllButCurrent();
        assertThat(Files.readAllLines(file)).hasSize(1);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        // a second start reads the same key
        assertThat(configured(null, List.of()).currentKeyId()).isEqualTo(fromFile.currentKeyId());

        assertThat(configured(key(4), List.of()).rotatable()).isFalse();
        assertThatThrownBy(() -> configured(key(4), List.of()).addKey()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("previous-keys");
        assertThatThrownBy(() -> configured("c2hvcnQ=", List.of())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("32");
    }
}
