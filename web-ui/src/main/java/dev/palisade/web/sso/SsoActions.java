package dev.palisade.web.sso;

import dev.palisade.model.user.Role;
import dev.palisade.web.support.CurrentUser;
import java.util.List;

/** Single sign-on settings as the console edits them; the platform checks, seals and audits. */
public interface SsoActions {

    /** The platform refused a change (a malformed issuer, a name taken); the message says which and why. */
    class Refused extends RuntimeException {
        public Refused(String message) {
            super(message);
        }
    }

    /** A provider as the console shows it: never its client secret. */
    record Provider(long id, String registrationId, String displayName, String issuerUri, String clientId,
            String scopes, String matchClaim, String groupsClaim) {
    }

    /** What a provider is saved from; a blank client secret keeps the one stored (an edit). */
    record ProviderForm(String registrationId, String displayName, String issuerUri, String clientId,
            String clientSecret, String scopes, String matchClaim, String groupsClaim) {
    }

    /** A provider's group or an email domain, and the tenant and role its users get. */
    record Mapping(long id, String provider, String kind, String value, String tenantSlug, Role role) {
    }

    /** A login page button: "Sign in with {displayName}". */
    record LoginButton(String registrationId, String displayName) {
    }

    List<Provider> providers();

    List<LoginButton> loginButtons();

    /** Creates the provider of that registration id, or updates it. */
    void saveProvider(CurrentUser me, ProviderForm form);

    void deleteProvider(CurrentUser me, long id);

    List<Mapping> mappings();

    void addMapping(CurrentUser me, String provider, String kind, String value, String tenantSlug, Role role);

    void deleteMapping(CurrentUser me, long id);

    /** The slugs of the tenants whose users may not log in with a password. */
    List<String> tenantsWithoutLocalPasswords();

    void setLocalPasswords(CurrentUser me, String tenantSlug, boolean allowed);
}
