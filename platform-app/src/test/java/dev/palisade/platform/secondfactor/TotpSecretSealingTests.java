package dev.palisade.platform.secondfactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.platform.api.ApiTestSupport;
import dev.palisade.platform.secret.SecretVault;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * TOTP secrets are sealed at rest with the secret keys: the column never holds the secret an app
 * was given; a plain secret from before sealing still works and is sealed at its first use (or at
 * start); a key rotation re-seals it; a sealed secret moved to another user's row does not open.
 */
class TotpSecretSealingTests extends ApiTestSupport {

    @Autowired
    SecondFactors secondFactors;
    @Autowired
    SecretVault vault;

    @Test
    void theSecretIsSealedAtRestAndPlainOnesAreSealedOnFirstUse() throws Exception {
        String admin = adminToken();
        String tenant = createTenant(admin);
        String name = unique("tess");
        userToken(admin, tenant, name, "TENANT_MEMBER");
        long id = jdbc.queryForObject("select id from app_user where username = ?", Long.class, name);

        byte[] secret = base32(secondFactors.begin(id, name).secret());
        byte[] stored = jdbc.queryForObject("select secret from user_second_factor where user_id = ?", byte[].class, id);
        assertThat(stored).isNotEqualTo(secret);
        assertThat(indexOf(stored, secret)).isNegative();
        assertThat(jdbc.queryForObject("select key_id from user_second_factor where user_id = ?", String.class, id))
                .isNotNull();
        secondFactors.confirm(id, name, null, tenant, Totp.code(secret, Totp.step(Instant.now()), 6));

        // a row as it was before 56.2: plain, no key; its codes still work, and it is sealed by that use
        jdbc.update("update user_second_factor set secret = ?, key_id = null, last_used_step = 0 where user_id = ?",
                secret, id);
        assertThat(secondFactors.verify(id, name, Totp.code(secret, Totp.step(Instant.now()), 6))).isTrue();
        assertThat(jdbc.queryForObject("select key_id from user_second_factor where user_id = ?", String.class, id))
                .isNotNull();
        assertThat(jdbc.queryForObject("select secret from user_second_factor where user_id = ?", byte[].class, id))
                .isNotEqualTo(secret);

        // rotation re-seals it with the new key (and the old key can go): its codes still work
        jdbc.update("update user_second_factor set last_used_step = 0 where user_id = ?", id);
        String before = jdbc.queryForObject("select key_id from user_second_factor where user_id = ?", String.class, id);
        SecretVault.Rotation rotation = vault.rotate("test");
        assertThat(jdbc.queryForObject("select key_id from user_second_factor where user_id = ?", String.class, id))
                .isEqualTo(rotation.keyId()).isNotEqualTo(before);
        assertThat(secondFactors.verify(id, name, Totp.code(secret, Totp.step(Instant.now()), 6))).isTrue();
    }

    @Test
    void aSealedSecretCopiedToAnotherUserDoesNotOpen() throws Exception {
        String admin = adminToken();
        String tenant = createTenant(admin);
        String a = unique("ann"), b = unique("bea");
        userToken(admin, tenant, a, "TENANT_MEMBER");
        userToken(admin, tenant, b, "TENANT_MEMBER");
        long idA = jdbc.queryForObject("select id from app_user where username = ?", Long.class, a);
        long idB = jdbc.queryForObject("select id from app_user where username = ?", Long.class, b);
        byte[] secretA = base32(secondFactors.begin(idA, a).secret());
        secondFactors.begin(idB, b);
        jdbc.update("""
                update user_second_factor set secret = (select secret from user_second_factor where user_id = ?),
                    key_id = (select key_id from user_second_factor where user_id = ?) where user_id = ?""", idA, idA, idB);
        try {
            assertThatThrownBy(() -> secondFactors.confirm(idB, b, null, tenant,
                            Totp.code(secretA, Totp.step(Instant.now()), 6)))
                    .hasMessageContaining("does not authenticate");
        } finally {
            // a row nothing can open would stop a key rotation of the tests sharing this database
            jdbc.update("delete from user_second_factor where user_id = ?", idB);
        }
    }

    /** RFC 4648 base32, as an authenticator app reads the secret the set-up page shows. */
    static byte[] base32(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int buffer = 0, bits = 0;
        for (char c : s.toCharArray()) {
            buffer = (buffer << 5) | "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".indexOf(c);
            bits += 5;
            if (bits >= 8) {
                out.write((buffer >> (bits - 8)) & 0xff);
                bits -= 8;
            }
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }
}
