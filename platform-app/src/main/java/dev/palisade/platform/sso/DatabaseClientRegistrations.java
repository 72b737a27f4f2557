package dev.palisade.platform.sso;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.ClientRegistrations;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.stereotype.Component;

/**
 * Spring Security's client registrations, read from sso_provider at each use so that a provider
 * added, changed or deleted in the console takes effect at once on every instance. A
 * registration is built from the issuer's discovery document and kept until the row changes.
 */
@Component
class DatabaseClientRegistrations implements ClientRegistrationRepository {

    private static final Logger log = LoggerFactory.getLogger(DatabaseClientRegistrations.class);

    private record Built(Instant version, ClientRegistration registration) {
    }

    private final SsoProviders providers;
    private final Map<String, Built> built = new ConcurrentHashMap<>();

    DatabaseClientRegistrations(SsoProviders providers) {
        this.providers = providers;
    }

    /** The provider's registration, or null when there is no such provider or its issuer cannot be reached. */
    @Override
    public ClientRegistration findByRegistrationId(String registrationId) {
        if (registrationId == null || !SsoProviders.REGISTRATION_ID.matcher(registrationId).matches()) {
            return null;
        }
        SsoProviders.Provider p = providers.find(registrationId).orElse(null);
        if (p == null) {
            built.remove(registrationId);
            return null;
        }
        Built b = built.get(registrationId);
        if (b != null && b.version().equals(p.updatedAt())) {
            return b.registration();
        }
        try {
            ClientRegistration registration = ClientRegistrations.fromIssuerLocation(p.issuerUri())
                    .registrationId(p.registrationId())
                    .clientName(p.displayName())
                    .clientId(p.clientId())
                    .clientSecret(providers.clientSecret(p))
                    .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
                    .authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
                    .redirectUri("{baseUrl}/login/oauth2/code/{registrationId}")
                    .scope(p.scopes().split(" "))
                    .userNameAttributeName("sub")
                    .build();
            built.put(registrationId, new Built(p.updatedAt(), registration));
            return registration;
        } catch (RuntimeException e) {
            log.warn("SSO provider {}: cannot read the discovery document of {}: {}", registrationId, p.issuerUri(),
                    e.getMessage());
            return null;
        }
    }
}
