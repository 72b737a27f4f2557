package dev.palisade.platform.security;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Password login throttling, for the console form and HTTP Basic alike ({@code palisade.security.login.*}).
 * Nothing locks an account: failures slow down the address they come from, so the real owner
 * logging in from elsewhere is never held up by someone else's guesses.
 *
 * @param freeFailures        failed logins of one account from one address before its back-off starts
 * @param addressFreeFailures failed logins from one address, whichever accounts, before the address's back-off
 * @param backoffStart        the first back-off; each further failure doubles it
 * @param backoffMax          the longest back-off
 * @param forgetAfter         failures older than this are forgotten
 * @param attemptsPerMinute   password attempts one address may make a minute (form and Basic)
 * @param mintsPerMinute      token mints one address may ask for a minute (Basic or bearer)
 */
@ConfigurationProperties("palisade.security.login")
public record LoginProperties(
        @DefaultValue("3") int freeFailures,
        @DefaultValue("10") int addressFreeFailures,
        @DefaultValue("1s") Duration backoffStart,
        @DefaultValue("15m") Duration backoffMax,
        @DefaultValue("1h") Duration forgetAfter,
        @DefaultValue("20") int attemptsPerMinute,
        @DefaultValue("30") int mintsPerMinute) {
}
