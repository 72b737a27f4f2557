package dev.palisade.platform.ops;

import dev.palisade.model.user.Role;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.server.resource.authentication.OpaqueTokenAuthenticationProvider;
import org.springframework.security.oauth2.server.resource.introspection.OpaqueTokenIntrospector;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * The actuator's own filter chain, ahead of the API's and the console's:
 * <ul>
 * <li>{@code /actuator/health/**} is open: the kubelet and load balancers probe without
 * credentials, and the answer says only UP or DOWN (no details).</li>
 * <li>{@code /actuator/prometheus} is open <em>only on a separate management port</em>
 * ({@code management.server.port}, 9090 in the Kubernetes manifests), which no Service or
 * Ingress publishes and a NetworkPolicy restricts to the Prometheus namespace. On the public
 * port it needs a platform admin's bearer token: the series carry tenant slugs and volumes,
 * which one tenant must not read about another.</li>
 * <li>anything else under {@code /actuator} is refused.</li>
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
class ActuatorSecurityConfiguration {

    @Bean
    @Order(0)
    SecurityFilterChain actuatorChain(HttpSecurity http, Environment environment, OpaqueTokenIntrospector introspector)
            throws Exception {
        Integer managementPort = environment.getProperty("management.server.port", Integer.class);
        Integer serverPort = environment.getProperty("server.port", Integer.class, 8080);
        RequestMatcher onManagementPort = (HttpServletRequest request) -> managementPort != null
                && managementPort > 0 && !managementPort.equals(serverPort) && request.getLocalPort() == managementPort;
        http.securityMatcher("/actuator", "/actuator/**")
                .authorizeHttpRequests((authorize) -> authorize
                        .requestMatchers("/actuator/health", "/actuator/health/**").permitAll()
                        .requestMatchers(onManagementPort).permitAll()
                        .requestMatchers("/actuator/prometheus").hasRole(Role.PLATFORM_ADMIN.name())
                        .anyRequest().denyAll())
                .sessionManagement((session) -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .csrf((csrf) -> csrf.disable())
                .requestCache((cache) -> cache.disable())
                .oauth2ResourceServer((resourceServer) -> resourceServer.opaqueToken((opaque) -> opaque
                        .authenticationManager(new ProviderManager(new OpaqueTokenAuthenticationProvider(introspector)))));
        return http.build();
    }
}
