package dev.palisade.platform.security;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Password login throttling, for the console form and for HTTP Basic alike.
 *
 * @param maxFailures consecutive failed logins that lock the account
 * @param lockDuration how long the account then stays locked
 */
@ConfigurationProperties("palisade.security.login")
public record LoginProperties(@DefaultValue("5") int maxFailures, @DefaultValue("15m") Duration lockDuration) {
}
