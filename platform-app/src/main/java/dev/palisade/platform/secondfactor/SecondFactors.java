package dev.palisade.platform.secondfactor;

import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.user.Role;
import dev.palisade.platform.secret.SealedColumn;
import dev.palisade.platform.secret.SealedColumns;
import dev.palisade.platform.secret.SecretKeys.Sealed;
import dev.palisade.web.account.SecondFactorActions.Refused;
import dev.palisade.web.account.SecondFactorActions.Setup;
import dev.palisade.web.account.SecondFactorActions.Status;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Each user's second factor: setting one up (a fresh secret, confirmed with a first code before
 * it counts), checking a code at login (each TOTP step accepted once, each recovery code once),
 * and turning it off. Recovery codes are kept as SHA-256 digests: they are random 80-bit values,
 * so a digest cannot be reversed by guessing, and a lookup needs no per-code hashing. TOTP
 * secrets are sealed with the secret keys ({@link SealedColumn}); a plain one from before that is
 * sealed at start or at its first use.
 */
@Component
@EnableConfigurationProperties(SecondFactorProperties.class)
public class SecondFactors {

    private static final Logger log = LoggerFactory.getLogger(SecondFactors.class);

    static final int SECRET_BYTES = 20, RECOVERY_CODES = 10;
    private static final String RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final JdbcClient jdbc;
    private final AuditLog audit;
    private final TransactionTemplate tx;
    private final SecondFactorProperties settings;
    private final Clock clock;
    private final SealedColumn secrets;

    SecondFactors(JdbcClient jdbc, AuditLog audit, TransactionTemplate tx, SecondFactorProperties settings,
            SealedColumns sealed) {
        this.jdbc = jdbc;
        this.audit = audit;
        this.tx = tx;
        this.settings = settings;
        this.clock = Clock.systemUTC();
        this.secrets = sealed.register("user_second_factor", "user_id", "secret");
    }

    /** The user's TOTP secret, set up ({@code enabled}) or being set up; a plain one left from before is sealed now. */
    private Optional<byte[]> secret(long userId, boolean enabled) {
        record Row(String keyId, byte[] bytes) {
        }
        return jdbc.sql("select key_id, secret from user_second_factor where user_id = :id and enabled_at is "
                        + (enabled ? "not null" : "null"))
                .param("id", userId).query((rs, i) -> new Row(rs.getString(1), rs.getBytes(2))).optional()
                .map(r -> {
                    if (r.keyId() != null) {
                        return secrets.open(userId, new Sealed(r.keyId(), r.bytes()));
                    }
                    sealPlain(userId, r.bytes());
                    return r.bytes();
                });
    }

    private void sealPlain(long userId, byte[] plain) {
        Sealed sealed = secrets.seal(userId, plain);
        jdbc.sql("update user_second_factor set secret = :sealed, key_id = :key where user_id = :id and key_id is null")
                .param("sealed", sealed.bytes()).param("key", sealed.keyId()).param("id", userId).update();
    }

    /** At start: TOTP secrets stored plain before they were sealed are sealed. */
    @EventListener(ApplicationReadyEvent.class)
    void sealPlainSecretsAtStart() {
        int n = 0;
        while (true) {
            Integer done = tx.execute(status -> {
                record Row(long userId, byte[] plain) {
                }
                List<Row> rows = jdbc.sql("select user_id, secret from user_second_factor where key_id is null "
                                + "limit 100 for update skip locked")
                        .query((rs, i) -> new Row(rs.getLong(1), rs.getBytes(2))).list();
                rows.forEach(r -> sealPlain(r.userId(), r.plain()));
                return rows.size();
            });
            if (done == null || done == 0) {
                break;
            }
            n += done;
        }
        if (n > 0) {
            log.info("Sealed {} TOTP secrets stored plain", n);
        }
    }

    /** Whether every password login of the user needs a code. */
    public boolean enabled(long userId) {
        return jdbc.sql("select count(*) from user_second_factor where user_id = :id and enabled_at is not null")
                .param("id", userId).query(Integer.class).single() > 0;
    }

    /** Whether the user must enrol before doing anything else. */
    public boolean mustEnrol(long userId, Role role) {
        return role == Role.PLATFORM_ADMIN && settings.requiredForPlatformAdmins() && !enabled(userId);
    }

    public Status status(long userId, Role role) {
        int left = jdbc.sql("select count(*) from user_recovery_code where user_id = :id and used_at is null")
                .param("id", userId).query(Integer.class).single();
        return new Status(enabled(userId), role == Role.PLATFORM_ADMIN && settings.requiredForPlatformAdmins(), left);
    }

    /** A fresh secret for the user, not yet in force; replaces one set up before and never confirmed. */
    public Setup begin(long userId, String username) {
        if (enabled(userId)) {
            throw new Refused("code", "a second factor is already set up; turn it off first");
        }
        byte[] secret = new byte[SECRET_BYTES];
        RANDOM.nextBytes(secret);
        Sealed sealed = secrets.seal(userId, secret);
        jdbc.sql("""
                insert into user_second_factor (user_id, secret, key_id) values (:id, :secret, :key)
                on conflict (user_id) do update set secret = excluded.secret, key_id = excluded.key_id, enabled_at = null,
                last_used_step = 0, created_at = now()""")
                .param("id", userId).param("secret", sealed.bytes()).param("key", sealed.keyId()).update();
        return setup(username, secret);
    }

    /** The secret being set up, shown again (the page reloaded); empty when none is. */
    public Optional<Setup> pending(long userId, String username) {
        return secret(userId, false).map(secret -> setup(username, secret));
    }

    private Setup setup(String username, byte[] secret) {
        String base32 = Totp.base32(secret);
        String label = enc(settings.issuer()) + ":" + enc(username);
        return new Setup(base32, "otpauth://totp/" + label + "?secret=" + base32 + "&issuer=" + enc(settings.issuer())
                + "&algorithm=SHA1&digits=" + Totp.DIGITS + "&period=" + Totp.STEP_SECONDS);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * The first code from the app: the second factor is in force from now on. Returns the
     * recovery codes, shown this once.
     */
    public List<String> confirm(long userId, String username, Long tenantId, String tenantSlug, String code) {
        byte[] secret = secret(userId, false).orElseThrow(() -> new Refused("code", "start the set-up first"));
        long step = Totp.matchingStep(secret, normalise(code), clock.instant());
        if (step < 0) {
            throw new Refused("code", "is not the code your app shows now");
        }
        List<String> codes = new ArrayList<>();
        tx.executeWithoutResult(s -> {
            jdbc.sql("update user_second_factor set enabled_at = now(), last_used_step = :step where user_id = :id")
                    .param("step", step).param("id", userId).update();
            codes.addAll(newRecoveryCodes(userId));
            audit.record(username, tenantId, tenantSlug, "second-factor.enable", "user:" + username,
                    Map.of("recoveryCodes", codes.size()));
        });
        return codes;
    }

    private List<String> newRecoveryCodes(long userId) {
        jdbc.sql("delete from user_recovery_code where user_id = :id").param("id", userId).update();
        List<String> codes = new ArrayList<>();
        for (int i = 0; i < RECOVERY_CODES; i++) {
            StringBuilder c = new StringBuilder();
            for (int j = 0; j < 16; j++) {
                c.append(RECOVERY_ALPHABET.charAt(RANDOM.nextInt(RECOVERY_ALPHABET.length())));
                if (j == 7) {
                    c.append('-');
                }
            }
            codes.add(c.toString());
            jdbc.sql("insert into user_recovery_code (user_id, code_hash) values (:id, :hash)")
                    .param("id", userId).param("hash", digest(normalise(c.toString()))).update();
        }
        return codes;
    }

    /**
     * Checks a login's code: a TOTP code of a step later than the last one accepted, or an unused
     * recovery code. Either is used up by this call, atomically, so two logins racing with one
     * code get in once.
     */
    public boolean verify(long userId, String username, String code) {
        String c = normalise(code);
        if (c == null) {
            return false;
        }
        Optional<byte[]> secret = secret(userId, true);
        if (secret.isEmpty()) {
            return false;
        }
        long step = Totp.matchingStep(secret.get(), c, clock.instant());
        if (step >= 0) {
            return jdbc.sql("""
                    update user_second_factor set last_used_step = :step where user_id = :id and last_used_step < :step""")
                    .param("step", step).param("id", userId).update() == 1;
        }
        boolean recovered = jdbc.sql("""
                update user_recovery_code set used_at = now() where user_id = :id and code_hash = :hash and used_at is null""")
                .param("id", userId).param("hash", digest(c)).update() == 1;
        if (recovered) {
            tx.executeWithoutResult(s -> audit.record(username, (Long) null, null, "second-factor.recovery-code-used",
                    "user:" + username, Map.of()));
        }
        return recovered;
    }

    /** Turns the second factor off (the caller checked the password and a current code). */
    public void disable(long userId, String username, Role role, Long tenantId, String tenantSlug) {
        if (role == Role.PLATFORM_ADMIN && settings.requiredForPlatformAdmins()) {
            throw new Refused("code", "platform admins must keep a second factor here");
        }
        tx.executeWithoutResult(s -> {
            jdbc.sql("delete from user_second_factor where user_id = :id").param("id", userId).update();
            jdbc.sql("delete from user_recovery_code where user_id = :id").param("id", userId).update();
            audit.record(username, tenantId, tenantSlug, "second-factor.disable", "user:" + username, Map.of());
        });
    }

    /** Digits with spaces typed between them, or a recovery code in any case, with or without its dash; null when empty. */
    private static String normalise(String code) {
        if (code == null) {
            return null;
        }
        String c = code.replaceAll("[\\s-]", "").toLowerCase(Locale.ROOT);
        return c.isEmpty() || c.length() > 40 ? null : c;
    }

    private static String digest(String code) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(code.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
