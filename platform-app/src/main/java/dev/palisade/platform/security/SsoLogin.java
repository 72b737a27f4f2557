package dev.palisade.platform.security;

import dev.palisade.platform.sso.SsoRefusals;
import dev.palisade.platform.sso.SsoUser;
import dev.palisade.platform.sso.SsoUserService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.config.ObjectPostProcessor;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.endpoint.RestClientAuthorizationCodeTokenResponseClient;
import org.springframework.security.oauth2.client.oidc.authentication.OidcAuthorizationCodeAuthenticationProvider;
import org.springframework.security.oauth2.client.web.OAuth2AuthorizationRequestRedirectFilter;
import org.springframework.security.oauth2.client.web.OAuth2AuthorizedClientRepository;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.stereotype.Component;

/**
 * The console's "Sign in with …": OpenID Connect login ({@code /oauth2/authorization/{id}}, back
 * at {@code /login/oauth2/code/{id}}) with providers from the database. A matched user ends up
 * with the same session principal as a password login ({@link PalisadeUserDetails}), so roles,
 * tenant scoping and session revalidation are the same; a refusal goes to its own page.
 */
@Component
class SsoLogin {

    private final SsoUserService users;
    private final SsoRefusals refusals;
    private final SecurityContextRepository contexts = new HttpSessionSecurityContextRepository();

    SsoLogin(SsoUserService users, SsoRefusals refusals) {
        this.users = users;
        this.refusals = refusals;
    }

    /** Checks the provider's code and id token, then matches the user: a provider for the console's manager. */
    AuthenticationProvider authenticationProvider() {
        OidcAuthorizationCodeAuthenticationProvider provider = new OidcAuthorizationCodeAuthenticationProvider(
                new RestClientAuthorizationCodeTokenResponseClient(), users);
        return provider;
    }

    void configure(HttpSecurity http) throws Exception {
        http.oauth2Login((oauth) -> oauth.loginPage("/login")
                .userInfoEndpoint((userInfo) -> userInfo.oidcUserService(users))
                // a provider gone or unreachable when the sign-in starts: the refusal page, not a bare 500
                .withObjectPostProcessor(new ObjectPostProcessor<OAuth2AuthorizationRequestRedirectFilter>() {
                    @Override
                    public <O extends OAuth2AuthorizationRequestRedirectFilter> O postProcess(O filter) {
                        filter.setAuthenticationFailureHandler(refusals);
                        return filter;
                    }
                })
                // we never call the provider's APIs, so its tokens are not kept
                .authorizedClientRepository(new Forgetful())
                .successHandler(this::signedIn)
                .failureHandler(refusals));
    }

    private void signedIn(HttpServletRequest request, HttpServletResponse response, Authentication authentication)
            throws IOException {
        SsoUser sso = (SsoUser) authentication.getPrincipal();
        PalisadeUserDetails details = new PalisadeUserDetails(sso.user(), true);
        details.eraseCredentials();
        Authentication ours = UsernamePasswordAuthenticationToken.authenticated(details, null, details.getAuthorities());
        SecurityContext context = SecurityContextHolder.createEmptyContext();
        context.setAuthentication(ours);
        SecurityContextHolder.setContext(context);
        contexts.saveContext(context, request, response);
        response.sendRedirect(request.getContextPath() + SecurityConfiguration.landingPage(ours));
    }

    /** Keeps no authorized client: a login needs only the id token, checked once. */
    private static final class Forgetful implements OAuth2AuthorizedClientRepository {

        @Override
        @SuppressWarnings("unchecked")
        public <T extends OAuth2AuthorizedClient> T loadAuthorizedClient(String registrationId, Authentication principal,
                HttpServletRequest request) {
            return null;
        }

        @Override
        public void saveAuthorizedClient(OAuth2AuthorizedClient client, Authentication principal,
                HttpServletRequest request, HttpServletResponse response) {
        }

        @Override
        public void removeAuthorizedClient(String registrationId, Authentication principal, HttpServletRequest request,
                HttpServletResponse response) {
        }
    }
}
