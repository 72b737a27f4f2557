package dev.palisade.acceptance;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.net.InetAddress;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.servlet.DelegatingFilterProxyRegistrationBean;
import org.springframework.boot.web.server.servlet.context.AnnotationConfigServletWebServerApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.oidc.OidcScopes;
import org.springframework.security.oauth2.core.oidc.endpoint.OidcParameterNames;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.server.authorization.client.InMemoryRegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.security.config.annotation.web.configuration.OAuth2AuthorizationServerConfiguration;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;
import org.springframework.security.oauth2.server.authorization.settings.ClientSettings;
import org.springframework.security.oauth2.server.authorization.token.JwtEncodingContext;
import org.springframework.security.oauth2.server.authorization.token.OAuth2TokenCustomizer;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.util.matcher.MediaTypeRequestMatcher;

/**
 * A real OpenID Connect provider in the test JVM: Spring Authorization Server on a loopback port
 * (127.0.0.1, while the platform is reached as localhost, so the two keep their cookies apart),
 * with one confidential client and a few users whose id tokens carry {@code email},
 * {@code email_verified} and {@code groups}. Users log in on its own (Spring Security's) login
 * page, as at any provider.
 */
final class TestOidcProvider implements AutoCloseable {

    static final String CLIENT_ID = "palisade-console";
    static final String CLIENT_SECRET = "test-client-secret-" + UUID.randomUUID();
    static final String PASSWORD = "idp-password-1";

    /** A user of the provider and the claims it vouches for. */
    record Person(String username, String email, boolean emailVerified, List<String> groups) {
    }

    private final AnnotationConfigServletWebServerApplicationContext context;

    private TestOidcProvider(AnnotationConfigServletWebServerApplicationContext context) {
        this.context = context;
    }

    /** Starts the provider for a client whose redirect address is {@code redirectUri}. */
    static TestOidcProvider start(String redirectUri, List<Person> people) {
        AnnotationConfigServletWebServerApplicationContext context = new AnnotationConfigServletWebServerApplicationContext();
        context.registerBean("redirectUri", String.class, () -> redirectUri);
        context.registerBean("people", PeopleList.class, () -> new PeopleList(people));
        context.register(Provider.class);
        context.refresh();
        return new TestOidcProvider(context);
    }

    /** The issuer, as the platform is configured with it. */
    String issuer() {
        return "http://127.0.0.1:" + context.getWebServer().getPort();
    }

    @Override
    public void close() {
        context.close();
    }

    record PeopleList(List<Person> people) {
    }

    @Configuration(proxyBeanMethods = false)
    @EnableWebSecurity
    static class Provider {

        @Bean
        TomcatServletWebServerFactory webServer() {
            TomcatServletWebServerFactory factory = new TomcatServletWebServerFactory(0);
            factory.setAddress(InetAddress.getLoopbackAddress());
            factory.getSettings().getSession().getCookie().setName("IDP_SESSION");
            // every endpoint is a filter; Tomcat runs filters only for a request some servlet is mapped to
            factory.setRegisterDefaultServlet(true);
            return factory;
        }

        /** What Boot's auto-configuration would do: Spring Security's filters in front of every request. */
        @Bean
        DelegatingFilterProxyRegistrationBean securityFilters() {
            return new DelegatingFilterProxyRegistrationBean("springSecurityFilterChain");
        }

        @Bean
        @Order(1)
        SecurityFilterChain endpoints(HttpSecurity http) throws Exception {
            http.oauth2AuthorizationServer((server) -> {
                        http.securityMatcher(server.getEndpointsMatcher());
                        server.oidc(Customizer.withDefaults());
                    })
                    .authorizeHttpRequests((authorize) -> authorize.anyRequest().authenticated())
                    .exceptionHandling((exceptions) -> exceptions.defaultAuthenticationEntryPointFor(
                            new LoginUrlAuthenticationEntryPoint("/login"), new MediaTypeRequestMatcher(MediaType.TEXT_HTML)));
            return http.build();
        }

        @Bean
        @Order(2)
        SecurityFilterChain login(HttpSecurity http) throws Exception {
            return http.authorizeHttpRequests((authorize) -> authorize.anyRequest().authenticated())
                    .formLogin(Customizer.withDefaults()).build();
        }

        @Bean
        RegisteredClientRepository clients(String redirectUri) {
            return new InMemoryRegisteredClientRepository(RegisteredClient.withId(UUID.randomUUID().toString())
                    .clientId(CLIENT_ID).clientSecret("{noop}" + CLIENT_SECRET)
                    .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
                    .authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
                    .redirectUri(redirectUri)
                    .scope(OidcScopes.OPENID).scope(OidcScopes.PROFILE).scope(OidcScopes.EMAIL)
                    .clientSettings(ClientSettings.builder().requireAuthorizationConsent(false).build())
                    .build());
        }

        @Bean
        UserDetailsService users(PeopleList people) {
            return new InMemoryUserDetailsManager(people.people().stream()
                    .map(p -> User.withUsername(p.username()).password("{noop}" + PASSWORD).roles("USER").build())
                    .toList());
        }

        /** The id token of each person carries their email, whether it is verified, and their groups. */
        @Bean
        OAuth2TokenCustomizer<JwtEncodingContext> claims(PeopleList people) {
            return (context) -> {
                if (!OidcParameterNames.ID_TOKEN.equals(context.getTokenType().getValue())) {
                    return;
                }
                people.people().stream().filter(p -> p.username().equals(context.getPrincipal().getName())).findFirst()
                        .ifPresent(p -> context.getClaims().claims((claims) -> claims.putAll(Map.of(
                                "email", p.email(), "email_verified", p.emailVerified(), "groups", p.groups(),
                                "preferred_username", p.username()))));
            };
        }

        @Bean
        JWKSource<SecurityContext> keys() throws Exception {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            var pair = generator.generateKeyPair();
            RSAKey key = new RSAKey.Builder((RSAPublicKey) pair.getPublic()).privateKey((RSAPrivateKey) pair.getPrivate())
                    .keyID(UUID.randomUUID().toString()).build();
            return new ImmutableJWKSet<>(new JWKSet(key));
        }

        @Bean
        JwtDecoder jwtDecoder(JWKSource<SecurityContext> keys) {
            return OAuth2AuthorizationServerConfiguration.jwtDecoder(keys);
        }

        @Bean
        AuthorizationServerSettings settings() {
            return AuthorizationServerSettings.builder().build();
        }
    }
}
