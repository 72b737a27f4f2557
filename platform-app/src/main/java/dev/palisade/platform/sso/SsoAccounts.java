package dev.palisade.platform.sso;

import dev.palisade.model.ConflictException;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.tenant.TenantService;
import dev.palisade.model.user.LoginUser;
import dev.palisade.model.user.UserService;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Who a provider's user is here. The mapping decides at every sign-in: the tenant and role it
 * gives are checked against (or given to) the user, so a changed mapping takes effect at the
 * next sign-in. The user is found by the provider's subject if it signed in before; otherwise,
 * for a provider matched by email, by the verified email as user name in the mapped tenant, and
 * created when there is none. A provider matched by subject never takes over an existing user
 * of the same name. Each outcome is audited.
 */
@Component
class SsoAccounts {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern EMAIL = Pattern.compile("[^@\\s\\p{Cntrl}]{1,64}@[a-z0-9.-]{1,190}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@+-]{1,64}");

    private final SsoProviders providers;
    private final SsoMappings mappings;
    private final TenantService tenants;
    private final UserService users;
    private final AuditLog audit;
    private final JdbcClient jdbc;
    private final TransactionTemplate tx;

    SsoAccounts(SsoProviders providers, SsoMappings mappings, TenantService tenants, UserService users, AuditLog audit,
            JdbcClient jdbc, TransactionTemplate tx) {
        this.providers = providers;
        this.mappings = mappings;
        this.tenants = tenants;
        this.users = users;
        this.audit = audit;
        this.jdbc = jdbc;
        this.tx = tx;
    }

    /** The user this provider's user signs in as, or {@link SsoRefused} saying why not (audited either way). */
    LoginUser signIn(String registrationId, OidcUser oidc) {
        String email = verifiedEmail(oidc);
        try {
            return tx.execute(status -> match(registrationId, oidc, email));
        } catch (SsoRefused e) {
            refused(registrationId, oidc.getSubject(), email, e.reason());
            throw e;
        }
    }

    /** Audits a refusal of the provider's sign-in (the subject and email when known). */
    void refused(String registrationId, String subject, String email, String reason) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("reason", reason);
        if (subject != null) {
            details.put("subject", subject);
        }
        if (email != null) {
            details.put("email", email);
        }
        tx.executeWithoutResult(s -> audit.record("anonymous", (Long) null, null, "sso.refused",
                "sso-provider:" + registrationId, details));
    }

    private LoginUser match(String registrationId, OidcUser oidc, String email) {
        SsoProviders.Provider provider = providers.find(registrationId)
                .orElseThrow(() -> new SsoRefused("The provider " + registrationId + " is no longer configured here."));
        String subject = oidc.getSubject();
        List<String> groups = groups(oidc.getClaims().get(provider.groupsClaim()));
        String domain = email == null ? null : email.substring(email.indexOf('@') + 1);
        SsoMappings.Target target = mappings.target(provider.id(), groups, domain)
                .orElseThrow(() -> new SsoRefused(noMapping(provider, domain, groups)));
        Tenant tenant = tenants.find(target.tenantSlug()).filter(Tenant::isActive)
                .orElseThrow(() -> new SsoRefused("The tenant " + target.tenantSlug() + " that " + provider.displayName()
                        + " users like you belong to is suspended."));
        String actor = "sso:" + registrationId;

        boolean created = false;
        LoginUser user = linked(provider.id(), subject).orElse(null);
        if (user != null && !tenant.getId().equals(user.tenantId())) {
            throw new SsoRefused("Your account is in the tenant " + user.tenantSlug() + ", but " + provider.displayName()
                    + " users like you are now mapped to " + tenant.getSlug() + ": ask your platform admin to move you.");
        }
        if (user == null) {
            String username = username(provider, oidc, email);
            user = users.findForLogin(username + "@" + tenant.getSlug())
                    .filter(u -> tenant.getId().equals(u.tenantId())).orElse(null);
            if (user != null && !provider.matchesByEmail()) {
                throw new SsoRefused("The tenant " + tenant.getSlug() + " already has a user named " + username
                        + " who never signed in through " + provider.displayName()
                        + ": ask your platform admin (only a verified email links an existing user).");
            }
            if (user == null) {
                try {
                    users.create(actor, tenant, username, unguessablePassword(), target.role());
                } catch (ConflictException e) {
                    throw new SsoRefused("The user name " + username + " is taken in " + tenant.getSlug() + ".");
                }
                created = true;
                user = users.findForLogin(username + "@" + tenant.getSlug()).orElseThrow();
            }
            jdbc.sql("insert into sso_identity (provider_id, subject, user_id) values (:p, :sub, :u)")
                    .param("p", provider.id()).param("sub", subject).param("u", user.id()).update();
        } else {
            jdbc.sql("update sso_identity set last_login_at = now() where provider_id = :p and subject = :sub")
                    .param("p", provider.id()).param("sub", subject).update();
        }
        if (user.role() != target.role()) {
            users.changeRole(actor, tenant, user.id(), target.role());
            user = users.findForLogin(user.loginName()).orElseThrow();
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("subject", subject);
        details.put("role", target.role());
        details.put("mapping", target.kind() + ":" + target.value());
        details.put("created", created);
        audit.record(actor, tenant, "sso.login", "user:" + user.username(), details);
        return user;
    }

    /** The user who signed in with this subject before, if any. */
    private Optional<LoginUser> linked(long providerId, String subject) {
        return jdbc.sql("""
                select u.username, t.slug from sso_identity i join app_user u on u.id = i.user_id
                left join tenant t on t.id = u.tenant_id where i.provider_id = :p and i.subject = :sub""")
                .param("p", providerId).param("sub", subject)
                .query((rs, i) -> rs.getString(2) == null ? rs.getString(1) : rs.getString(1) + "@" + rs.getString(2))
                .optional().flatMap(users::findForLogin);
    }

    /** The email, lower-cased, when the provider says it verified it; otherwise null. */
    static String verifiedEmail(OidcUser oidc) {
        String email = oidc.getEmail();
        if (email == null || !Boolean.TRUE.equals(oidc.getEmailVerified())) {
            return null;
        }
        String lower = email.trim().toLowerCase(Locale.ROOT);
        return EMAIL.matcher(lower).matches() ? lower : null;
    }

    /** A new user's name: the verified email, or (matched by subject) the preferred user name when it is one. */
    private static String username(SsoProviders.Provider provider, OidcUser oidc, String email) {
        if (provider.matchesByEmail()) {
            if (email == null) {
                throw new SsoRefused(provider.displayName() + " did not vouch for your email (email_verified), which "
                        + "is how its users are recognised here.");
            }
            if (email.length() > 64) {
                throw new SsoRefused("Your email is longer than a user name may be (64 characters).");
            }
            return email;
        }
        String preferred = oidc.getPreferredUsername();
        if (preferred != null && NAME.matcher(preferred).matches()) {
            return preferred;
        }
        if (email != null && email.length() <= 64) {
            return email;
        }
        throw new SsoRefused(provider.displayName() + " sent no usable user name (preferred_username or a verified "
                + "email of at most 64 characters).");
    }

    private static String noMapping(SsoProviders.Provider provider, String domain, Collection<String> groups) {
        StringBuilder b = new StringBuilder("No tenant takes ").append(provider.displayName()).append(" users");
        if (domain != null) {
            b.append(" with an email at ").append(domain);
        } else {
            b.append(" without a verified email");
        }
        if (!groups.isEmpty()) {
            b.append(" or in the groups ").append(String.join(", ", groups.stream().limit(10).toList()));
        }
        return b.append(". You were not signed in and no account was created.").toString();
    }

    /** The group claim's values: a list of strings or one string. */
    static List<String> groups(Object claim) {
        if (claim instanceof Collection<?> c) {
            return c.stream().filter(String.class::isInstance).map(String.class::cast).limit(500).toList();
        }
        return claim instanceof String s && !s.isBlank() ? List.of(s) : List.of();
    }

    /** SSO users get a password nobody knows: the column needs one, and no password login should work. */
    private static String unguessablePassword() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return Base64.getEncoder().encodeToString(raw);
    }
}
