package dev.palisade.platform.secondfactor;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The second factor ({@code palisade.security.second-factor.*}).
 *
 * @param requiredForPlatformAdmins a platform admin without one can do nothing in the console but
 *     enrol, and cannot mint a token with a password, until they have enrolled
 * @param issuer the name authenticator apps show beside the account
 */
@ConfigurationProperties("palisade.security.second-factor")
public record SecondFactorProperties(
        @DefaultValue("false") boolean requiredForPlatformAdmins,
        @DefaultValue("Palisade") String issuer) {
}
