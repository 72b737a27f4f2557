package dev.palisade.platform.security;

import dev.palisade.model.user.Role;
import dev.palisade.platform.sso.SsoRefusals;
import java.util.ArrayList;
import java.util.List;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.authentication.AuthenticationEventPublisher;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.oauth2.server.resource.authentication.OpaqueTokenAuthenticationProvider;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.authentication.UsernamePasswordAuthenticationFilter;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;

/**
 * Three filter chains, most specific first:
 * <ol>
 * <li>{@code POST /api/v1/tokens}: the only place HTTP Basic is accepted (to mint a token), or a
 * bearer token;</li>
 * <li>{@code /api/**}: stateless, bearer tokens only, through Spring Security's resource-server
 * support with our {@link TokenIntrospector};</li>
 * <li>everything else, the console: form login (and its second factor, {@code /login/code}), single
 * sign-on ({@link SsoLogin}), CSRF, session, logout.</li>
 * </ol>
 * Role and tenant checks of the API happen in the controllers (through {@code TenantAccess}),
 * because whether an answer is 403 or 404 depends on the tenant in the path.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    static final String BEARER_CHALLENGE = "Bearer realm=\"palisade\"";
    /** Scripts and styles from the console's own files only: nothing inline runs, nothing frames it. */
    static final String CONSOLE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    @Bean
    PasswordEncoder passwordEncoder() {
        return PasswordEncoderFactories.createDelegatingPasswordEncoder();
    }

    @Bean
    @Order(1)
    SecurityFilterChain tokenMintingChain(HttpSecurity http, TokenIntrospector introspector,
            PasswordLoginProvider passwords, AuthenticationEventPublisher events, LoginThrottleFilter throttle)
            throws Exception {
        // HTTP Basic also changes a password: how a user with a one-time password (no tokens left) chooses one
        http.securityMatcher(new OrRequestMatcher(
                        PathPatternRequestMatcher.withDefaults().matcher(HttpMethod.POST, "/api/v1/tokens"),
                        PathPatternRequestMatcher.withDefaults().matcher(HttpMethod.POST, PasswordChangeRequired.API)))
                .addFilterBefore(throttle, BasicAuthenticationFilter.class)
                .authenticationManager(passwordManager(passwords, events))
                // a deploy-scoped token mints no token (it would mint itself a full one)
                .authorizeHttpRequests((authorize) -> authorize.anyRequest().access(DeployScope.fullTokensOnly()))
                .httpBasic((basic) -> basic.authenticationDetailsSource(LoginDetails::basic).authenticationEntryPoint(
                        ProblemResponses.entryPoint("Basic realm=\"palisade\", " + BEARER_CHALLENGE)));
        return statelessApi(http, introspector);
    }

    @Bean
    @Order(2)
    SecurityFilterChain apiChain(HttpSecurity http, TokenIntrospector introspector) throws Exception {
        http.securityMatcher("/api/**")
                .authorizeHttpRequests((authorize) -> authorize
                        .requestMatchers(DeployScope.allowed()).authenticated()
                        .anyRequest().access(DeployScope.fullTokensOnly()));
        return statelessApi(http, introspector);
    }

    private static SecurityFilterChain statelessApi(HttpSecurity http, TokenIntrospector introspector)
            throws Exception {
        http.sessionManagement((session) -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                // no cookies on the API, so no CSRF to defend against
                .csrf((csrf) -> csrf.disable())
                .requestCache((cache) -> cache.disable())
                .oauth2ResourceServer((resourceServer) -> resourceServer
                        .authenticationEntryPoint(ProblemResponses.entryPoint(BEARER_CHALLENGE))
                        .accessDeniedHandler(ProblemResponses.accessDenied())
                        .opaqueToken((opaque) -> opaque.authenticationManager(
                                // its own manager: the chain's may be the password one (token minting chain)
                                new ProviderManager(new OpaqueTokenAuthenticationProvider(introspector)))))
                .exceptionHandling((exceptions) -> exceptions
                        .authenticationEntryPoint(ProblemResponses.entryPoint(BEARER_CHALLENGE))
                        .accessDeniedHandler(ProblemResponses.accessDenied()));
        return http.build();
    }

    @Bean
    @Order(3)
    SecurityFilterChain consoleChain(HttpSecurity http, PasswordLoginProvider passwords,
            SessionRevalidationFilter revalidation, AuthenticationEventPublisher events, LoginThrottleFilter throttle,
            SsoLogin sso) throws Exception {
        http.authenticationManager(passwordManager(passwords, events, sso.authenticationProvider()))
                .addFilterBefore(throttle, UsernamePasswordAuthenticationFilter.class)
                .authorizeHttpRequests((authorize) -> authorize
                        .requestMatchers("/login", SecondFactorLoginController.PATH, SsoRefusals.PATH, "/error", "/css/**", "/js/**", "/favicon.ico", "/favicon.svg").permitAll()
                        .requestMatchers("/actuator/health", "/actuator/health/**").permitAll()
                        .requestMatchers("/v3/api-docs", "/v3/api-docs/**", "/swagger-ui.html", "/swagger-ui/**")
                        .permitAll()
                        .requestMatchers("/admin", "/admin/**").hasRole(Role.PLATFORM_ADMIN.name())
                        .requestMatchers("/portal", "/portal/**")
                        .hasAnyRole(Role.TENANT_ADMIN.name(), Role.TENANT_MEMBER.name())
                        .anyRequest().authenticated())
                .formLogin((form) -> form.loginPage("/login")
                        .authenticationDetailsSource(LoginDetails::console)
                        .successHandler((request, response, authentication) -> response.sendRedirect(
                                request.getContextPath() + landingPage(authentication)))
                        // a right password of an account with a second factor: the code next, nobody logged in yet
                        .failureHandler((request, response, failure) -> {
                            if (failure instanceof SecondFactorNeeded needed) {
                                SecondFactorLoginController.passwordAccepted(request, response, needed.user);
                            } else if (failure instanceof LocalPasswordsOff) {
                                response.sendRedirect(request.getContextPath() + "/login?ssoOnly");
                            } else {
                                response.sendRedirect(request.getContextPath() + "/login?error");
                            }
                        })
                        .permitAll())
                .logout((logout) -> logout.logoutSuccessUrl("/login?logout"))
                // the console's own script is a file; HSTS (Spring Security's default) on requests that came over TLS
                .headers((headers) -> headers.contentSecurityPolicy((csp) -> csp.policyDirectives(CONSOLE_CSP)))
                .addFilterBefore(revalidation, AuthorizationFilter.class);
        sso.configure(http);
        return http.build();
    }

    /** Where a console login lands: the console for platform admins, the portal for everybody else. */
    static String landingPage(Authentication authentication) {
        return authentication.getAuthorities().stream().anyMatch(a -> a.getAuthority().equals("ROLE_PLATFORM_ADMIN"))
                ? "/admin" : "/portal";
    }

    /** Publishes success and failure events (counted by the ops package's login metrics); the console's also signs in through OIDC. */
    private static AuthenticationManager passwordManager(PasswordLoginProvider passwords,
            AuthenticationEventPublisher events, AuthenticationProvider... others) {
        List<AuthenticationProvider> providers = new ArrayList<>(List.of(passwords));
        providers.addAll(List.of(others));
        ProviderManager manager = new ProviderManager(providers);
        manager.setAuthenticationEventPublisher(events);
        return manager;
    }
}
