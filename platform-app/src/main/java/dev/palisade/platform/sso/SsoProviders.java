package dev.palisade.platform.sso;

import dev.palisade.model.audit.AuditLog;
import dev.palisade.platform.secret.SealedColumn;
import dev.palisade.platform.secret.SealedColumns;
import dev.palisade.platform.secret.SecretKeys.Sealed;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * The sso_provider table: OpenID Connect providers as a platform admin configured them. The
 * client secret is sealed with the secret keys (the row's registration id as associated data)
 * and opened only to build the provider's client registration.
 */
@Component
public class SsoProviders {

    static final Pattern REGISTRATION_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");
    private static final Pattern CLAIM = Pattern.compile("[A-Za-z0-9_:.\\-/]{1,64}");
    private static final Pattern SCOPES = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]+( [\\x21\\x23-\\x5B\\x5D-\\x7E]+)*");

    /** A provider's row; {@code clientSecret} still sealed. */
    record Provider(long id, String registrationId, String displayName, String issuerUri, String clientId,
            Sealed clientSecret, String scopes, String matchClaim, String groupsClaim, Instant updatedAt) {

        boolean matchesByEmail() {
            return "email".equals(matchClaim);
        }
    }

    /** What a provider is saved from; a null or empty client secret keeps the stored one. */
    record Settings(String registrationId, String displayName, String issuerUri, String clientId, String clientSecret,
            String scopes, String matchClaim, String groupsClaim) {
    }

    private static final String COLUMNS = "id, registration_id, display_name, issuer_uri, client_id, key_id, client_secret, "
            + "scopes, match_claim, groups_claim, updated_at";

    private final JdbcClient jdbc;
    private final SealedColumn secrets;
    private final AuditLog audit;

    SsoProviders(JdbcClient jdbc, SealedColumns sealed, AuditLog audit) {
        this.jdbc = jdbc;
        this.secrets = sealed.register("sso_provider", "registration_id", "client_secret");
        this.audit = audit;
    }

    List<Provider> list() {
        return jdbc.sql("select " + COLUMNS + " from sso_provider order by display_name, registration_id")
                .query(SsoProviders::provider).list();
    }

    Optional<Provider> find(String registrationId) {
        return jdbc.sql("select " + COLUMNS + " from sso_provider where registration_id = :id")
                .param("id", registrationId).query(SsoProviders::provider).optional();
    }

    /** Opens a provider's client secret (only to build its client registration). */
    String clientSecret(Provider p) {
        return new String(secrets.open(p.registrationId(), p.clientSecret()), StandardCharsets.UTF_8);
    }

    /** Creates or updates the provider of that registration id; refuses malformed settings, naming the field. */
    @Transactional
    public void save(String actor, Settings s) {
        check(s);
        boolean exists = find(s.registrationId()).isPresent();
        boolean newSecret = s.clientSecret() != null && !s.clientSecret().isEmpty();
        if (!exists && !newSecret) {
            throw new IllegalArgumentException("clientSecret: a new provider needs its client secret");
        }
        if (exists) {
            jdbc.sql("""
                    update sso_provider set display_name = :name, issuer_uri = :issuer, client_id = :client, scopes = :scopes,
                        match_claim = :match, groups_claim = :groups, updated_at = now()
                    where registration_id = :id""")
                    .param("name", s.displayName()).param("issuer", s.issuerUri()).param("client", s.clientId())
                    .param("scopes", s.scopes()).param("match", s.matchClaim()).param("groups", s.groupsClaim())
                    .param("id", s.registrationId()).update();
        }
        if (newSecret) {
            Sealed sealed = secrets.seal(s.registrationId(), s.clientSecret().getBytes(StandardCharsets.UTF_8));
            jdbc.sql("""
                    insert into sso_provider (registration_id, display_name, issuer_uri, client_id, client_secret, key_id,
                        scopes, match_claim, groups_claim)
                    values (:id, :name, :issuer, :client, :secret, :key, :scopes, :match, :groups)
                    on conflict (registration_id) do update set client_secret = excluded.client_secret,
                        key_id = excluded.key_id, updated_at = now()""")
                    .param("id", s.registrationId()).param("name", s.displayName()).param("issuer", s.issuerUri())
                    .param("client", s.clientId()).param("secret", sealed.bytes()).param("key", sealed.keyId())
                    .param("scopes", s.scopes()).param("match", s.matchClaim()).param("groups", s.groupsClaim()).update();
        }
        audit.record(actor, (Long) null, null, exists ? "sso.provider.update" : "sso.provider.create",
                "sso-provider:" + s.registrationId(), Map.of("issuer", s.issuerUri(), "clientId", s.clientId(),
                        "matchClaim", s.matchClaim(), "secretChanged", newSecret));
    }

    @Transactional
    public void delete(String actor, long id) {
        jdbc.sql("delete from sso_provider where id = :id returning registration_id").param("id", id)
                .query(String.class).optional()
                .ifPresent(r -> audit.record(actor, (Long) null, null, "sso.provider.delete", "sso-provider:" + r, Map.of()));
    }

    private static void check(Settings s) {
        if (s.registrationId() == null || !REGISTRATION_ID.matcher(s.registrationId()).matches()) {
            throw new IllegalArgumentException("registrationId: lower-case letters, digits and dashes, at most 40");
        }
        if (s.displayName() == null || s.displayName().isBlank() || s.displayName().length() > 100
                || s.displayName().chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("displayName: 1 to 100 characters, no control characters");
        }
        try {
            URI issuer = new URI(s.issuerUri());
            if (!("https".equals(issuer.getScheme()) || "http".equals(issuer.getScheme())) || issuer.getHost() == null
                    || issuer.getRawQuery() != null || issuer.getRawFragment() != null || s.issuerUri().length() > 500) {
                throw new URISyntaxException(s.issuerUri(), "not an http(s) address without query or fragment");
            }
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalArgumentException("issuerUri: an http(s) address without query or fragment, as the provider "
                    + "names itself (its discovery document is <issuer>/.well-known/openid-configuration)");
        }
        if (s.clientId() == null || s.clientId().isBlank() || s.clientId().length() > 200) {
            throw new IllegalArgumentException("clientId: 1 to 200 characters");
        }
        if (s.clientSecret() != null && s.clientSecret().length() > 1000) {
            throw new IllegalArgumentException("clientSecret: at most 1000 characters");
        }
        if (s.scopes() == null || s.scopes().length() > 200 || !SCOPES.matcher(s.scopes()).matches()
                || !List.of(s.scopes().split(" ")).contains("openid")) {
            throw new IllegalArgumentException("scopes: space-separated OAuth scopes including openid");
        }
        if (!"email".equals(s.matchClaim()) && !"sub".equals(s.matchClaim())) {
            throw new IllegalArgumentException("matchClaim: email or sub");
        }
        if (s.groupsClaim() == null || !CLAIM.matcher(s.groupsClaim()).matches()) {
            throw new IllegalArgumentException("groupsClaim: a claim name (letters, digits, _ : . - /)");
        }
    }

    private static Provider provider(ResultSet rs, int i) throws SQLException {
        return new Provider(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                new Sealed(rs.getString(6), rs.getBytes(7)), rs.getString(8), rs.getString(9), rs.getString(10),
                rs.getTimestamp(11).toInstant());
    }
}
