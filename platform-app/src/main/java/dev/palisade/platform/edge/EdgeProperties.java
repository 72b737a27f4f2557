package dev.palisade.platform.edge;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code palisade.edge.*}: the console's host name and the proxies in front of the platform.
 *
 * @param consoleHost    the host name the console is served at (without port); the apps domain
 *                       ({@code palisade.services.apps-domain}) may be neither it, nor a parent of it,
 *                       nor hold it
 * @param trustedProxies addresses and CIDR ranges ({@code 10.0.0.0/8}, {@code ::1}) of the proxies whose
 *                       {@code Forwarded}/{@code X-Forwarded-*} headers are believed; from any other
 *                       peer they are dropped. Empty (the default): nobody's
 */
@ConfigurationProperties("palisade.edge")
public record EdgeProperties(
        @DefaultValue("localhost") String consoleHost,
        @DefaultValue List<String> trustedProxies) {
}
