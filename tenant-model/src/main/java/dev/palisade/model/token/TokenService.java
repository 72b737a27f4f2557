package dev.palisade.model.token;

import dev.palisade.model.NotFoundException;
import dev.palisade.model.PlainText;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.user.Role;
import dev.palisade.model.user.User;
import jakarta.persistence.EntityManager;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Mints, checks and revokes API tokens. A token reads {@code pal_<8 chars>_<43 chars>}: a public
 * prefix and 256 random bits. Only the SHA-256 of the whole token is stored; a fast hash is
 * enough because the secret is random, not chosen by a person.
 */
@Service
public class TokenService {

    static final String SCHEME = "pal_";
    private static final char[] PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    /** last_used_at is written at most this often, so that every request is not a write. */
    private static final Duration LAST_USED_GRANULARITY = Duration.ofSeconds(60);

    private final ApiTokenRepository tokens;
    private final EntityManager em;
    private final AuditLog audit;
    private final JdbcClient jdbc;
    private final SecureRandom random = new SecureRandom();

    TokenService(ApiTokenRepository tokens, EntityManager em, AuditLog audit, JdbcClient jdbc) {
        this.tokens = tokens;
        this.em = em;
        this.audit = audit;
        this.jdbc = jdbc;
    }

    @Transactional
    public MintedToken mint(long userId, String name, Duration lifetime) {
        return mint(userId, name, lifetime, TokenScope.FULL);
    }

    /** Mints a token limited to {@code scope} within the user's own rights. */
    @Transactional
    public MintedToken mint(long userId, String name, Duration lifetime, TokenScope scope) {
        PlainText.check("name", name, 100);
        User user = em.getReference(User.class, userId);
        String prefix;
        do {
            prefix = SCHEME + randomPrefix();
        } while (tokens.existsByPrefix(prefix));
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String raw = prefix + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        ApiToken token = tokens.save(new ApiToken(user, name, prefix, sha256(raw), Instant.now().plus(lifetime), scope));
        var tenant = user.getTenant();
        audit.record(user.getUsername(), tenant, "token.mint", "token:" + token.getPublicId(),
                Map.of("name", name, "prefix", prefix, "scope", scope.name()));
        return new MintedToken(token, raw);
    }

    /**
     * Resolves a presented token to its owner, or empty when it is unknown, revoked, expired
     * or its tenant is suspended. Read from the database on every call, no cache to invalidate:
     * one indexed query (plain SQL, no transaction; it runs on every API request), and an update
     * of last_used_at at most once a minute.
     */
    public Optional<TokenOwner> introspect(String raw) {
        if (raw == null || !raw.startsWith(SCHEME) || raw.length() > 100) {
            return Optional.empty();
        }
        Instant now = Instant.now();
        Optional<TokenRow> found = jdbc.sql("""
                select k.id, k.last_used_at, u.id as user_id, u.username, u.role, u.tenant_id, t.slug, k.scope
                from api_token k join app_user u on u.id = k.user_id left join tenant t on t.id = u.tenant_id
                where k.token_hash = :hash and k.revoked_at is null and k.expires_at > :now
                  and (u.tenant_id is null or t.status = 'ACTIVE')""")
                .param("hash", sha256(raw)).param("now", java.sql.Timestamp.from(now))
                .query((rs, i) -> new TokenRow(new TokenOwner(rs.getLong("id"), rs.getLong("user_id"),
                        rs.getString("username"), Role.valueOf(rs.getString("role")),
                        rs.getObject("tenant_id", Long.class), rs.getString("slug"), TokenScope.valueOf(rs.getString("scope"))),
                        rs.getTimestamp("last_used_at")))
                .optional();
        found.filter(r -> r.lastUsed() == null || r.lastUsed().toInstant().plus(LAST_USED_GRANULARITY).isBefore(now))
                .ifPresent(r -> jdbc.sql("update api_token set last_used_at = :now where id = :id")
                        .param("now", java.sql.Timestamp.from(now)).param("id", r.owner().tokenId()).update());
        return found.map(TokenRow::owner);
    }

    private record TokenRow(TokenOwner owner, java.sql.Timestamp lastUsed) {
    }

    @Transactional(readOnly = true)
    public Page<ApiToken> list(long userId, Pageable pageable) {
        return tokens.findByUserId(userId, pageable);
    }

    /** The user's own token; someone else's answers exactly like a missing one. */
    @Transactional(readOnly = true)
    public ApiToken get(long userId, UUID tokenId) {
        return tokens.findByPublicIdAndUserId(tokenId, userId)
                .orElseThrow(() -> new NotFoundException("no token " + tokenId));
    }

    @Transactional
    public ApiToken revoke(long userId, UUID tokenId) {
        ApiToken token = get(userId, tokenId);
        if (token.getRevokedAt() == null) {
            token.revoke(Instant.now());
            User user = token.getUser();
            audit.record(user.getUsername(), user.getTenant(), "token.revoke", "token:" + tokenId,
                    Map.of("prefix", token.getPrefix()));
        }
        return token;
    }

    private String randomPrefix() {
        char[] c = new char[8];
        for (int i = 0; i < c.length; i++) {
            c[i] = PREFIX_ALPHABET[random.nextInt(PREFIX_ALPHABET.length)];
        }
        return new String(c);
    }

    static String sha256(String raw) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(raw.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }
}
