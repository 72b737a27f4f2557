package dev.palisade.platform.account;

import dev.palisade.model.audit.AuditLog;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Changes and resets passwords. A new hash ends every console session of the user at its next
 * request (SessionRevalidationFilter compares the hash a session logged in with); a reset also
 * revokes the user's API tokens, since it is what an admin does when an account is in doubt.
 */
@Component
public class Passwords {

    /** The user whose password changes, as stored. */
    public record Account(long id, String username, Long tenantId, String tenantSlug, String role) {
    }

    /** A change refused: the field at fault and why. */
    public static final class Refused extends RuntimeException {
        public final String field;

        Refused(String field, String message) {
            super(message);
            this.field = field;
        }
    }

    private static final String ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final JdbcClient jdbc;
    private final PasswordEncoder encoder;
    private final PasswordPolicy policy;
    private final AuditLog audit;
    private final TransactionTemplate tx;

    Passwords(JdbcClient jdbc, PasswordEncoder encoder, PasswordPolicy policy, AuditLog audit, TransactionTemplate tx) {
        this.jdbc = jdbc;
        this.encoder = encoder;
        this.policy = policy;
        this.audit = audit;
        this.tx = tx;
    }

    public Optional<Account> account(long userId) {
        return account("u.id", userId);
    }

    /** By the id the API shows ({@code app_user.public_id}). */
    public Optional<Account> account(UUID publicId) {
        return account("u.public_id", publicId);
    }

    private Optional<Account> account(String column, Object id) {
        return jdbc.sql("""
                select u.id, u.username, u.tenant_id, t.slug, u.role from app_user u left join tenant t on t.id = u.tenant_id
                where %s = :id""".formatted(column)).param("id", id)
                .query((rs, i) -> new Account(rs.getLong(1), rs.getString(2), rs.getObject(3, Long.class), rs.getString(4),
                        rs.getString(5)))
                .optional();
    }

    /** Whether the user must choose a new password before anything else. */
    public boolean mustChange(long userId) {
        return jdbc.sql("select must_change_password from app_user where id = :id").param("id", userId)
                .query(Boolean.class).optional().orElse(false);
    }

    /** Whether this is the user's password now. */
    public boolean isCurrent(long userId, String password) {
        String hash = jdbc.sql("select password_hash from app_user where id = :id").param("id", userId)
                .query(String.class).optional().orElse(null);
        return password != null && hash != null && encoder.matches(password, hash);
    }

    /** The user's own change: the current password must be right and the new one meet the policy. */
    public void change(long userId, String current, String next) {
        Account account = account(userId).orElseThrow(() -> new Refused("currentPassword", "no such user"));
        if (!isCurrent(userId, current)) {
            throw new Refused("currentPassword", "is not your current password");
        }
        if (next != null && next.equals(current)) {
            throw new Refused("newPassword", "must differ from the current one");
        }
        policy.refusal(account.username(), next).ifPresent(why -> {
            throw new Refused("newPassword", why);
        });
        tx.executeWithoutResult(status -> {
            store(userId, encoder.encode(next), false);
            audit.record(account.username(), account.tenantId(), account.tenantSlug(), "password.change",
                    "user:" + account.username(), Map.of());
        });
    }

    /** An admin's reset: a one-time password, to be changed at the next login; the user's tokens are revoked. */
    public String reset(String actor, Account account) {
        StringBuilder once = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            once.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        tx.executeWithoutResult(status -> {
            store(account.id(), encoder.encode(once), true);
            jdbc.sql("update api_token set revoked_at = now() where user_id = :id and revoked_at is null")
                    .param("id", account.id()).update();
            audit.record(actor, account.tenantId(), account.tenantSlug(), "password.reset", "user:" + account.username(),
                    Map.of("oneTimePassword", true, "tokensRevoked", true));
        });
        return once.toString();
    }

    private void store(long userId, String hash, boolean mustChange) {
        jdbc.sql("""
                update app_user set password_hash = :hash, must_change_password = :must, password_changed_at = now()
                where id = :id""")
                .param("hash", hash).param("must", mustChange).param("id", userId).update();
    }
}
