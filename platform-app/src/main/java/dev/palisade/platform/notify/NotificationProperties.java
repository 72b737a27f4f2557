package dev.palisade.platform.notify;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Webhook deliveries ({@code palisade.notifications.*}).
 *
 * @param pollInterval          how often the instance that holds the sender looks for due deliveries
 * @param firstRetry            wait after the first failed attempt, doubled after each further one
 * @param maxRetry              longest wait between attempts
 * @param maxAttempts           attempts in all before a delivery is FAILED
 * @param timeout               connect and answer time a receiver gets per attempt
 * @param allowPrivateAddresses whether a webhook may point at loopback, private or link-local
 *                              addresses (the platform's own network); off, such a URL is refused
 * @param mailFrom              the sender of email notifications ({@code mailto:} webhooks), sent
 *                              through the SMTP server {@code spring.mail.host} names
 */
@ConfigurationProperties("palisade.notifications")
public record NotificationProperties(
        @DefaultValue("1s") Duration pollInterval,
        @DefaultValue("10s") Duration firstRetry,
        @DefaultValue("1h") Duration maxRetry,
        @DefaultValue("8") int maxAttempts,
        @DefaultValue("10s") Duration timeout,
        @DefaultValue("false") boolean allowPrivateAddresses,
        @DefaultValue("palisade@localhost") String mailFrom) {
}
