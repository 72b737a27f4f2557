package dev.palisade.platform.customdomain;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code palisade.domains.*}: custom domains and the ACME directory their certificates come from.
 *
 * @param acmeDirectory   the ACME directory's URL (Let's Encrypt's is
 *                        {@code https://acme-v02.api.letsencrypt.org/directory}); unset: domains are
 *                        claimed and routed over HTTP, but no certificate is ordered
 * @param acmeTrust       a PEM file of the certificates the directory's own HTTPS is checked against
 *                        (a private or test ACME server); unset: the JVM's trust store
 * @param acmeContact     an e-mail address the ACME server may write to about the account; optional
 * @param renewBefore     how long before its expiry a certificate is renewed
 * @param checkInterval   how often one instance looks for domains due for a certificate
 * @param retryAfter      how long after a failed order the next is tried
 * @param orderTimeout    how long one order (challenge validated, certificate issued) may take
 * @param refreshInterval how often each instance's ingress reloads claims and certificates made elsewhere
 * @param maxPerTenant    the most custom domains one tenant may claim
 * @param dnsResolver     the DNS server (host:port) a DNS-01 domain's TXT record is looked up at;
 *                        unset: the system's resolvers
 * @param dnsWait         how long a DNS-01 order waits for its TXT record before it fails
 */
@ConfigurationProperties("palisade.domains")
public record CustomDomainProperties(
        String acmeDirectory,
        String acmeTrust,
        String acmeContact,
        @DefaultValue("30d") Duration renewBefore,
        @DefaultValue("1m") Duration checkInterval,
        @DefaultValue("10m") Duration retryAfter,
        @DefaultValue("90s") Duration orderTimeout,
        @DefaultValue("5s") Duration refreshInterval,
        @DefaultValue("20") int maxPerTenant,
        String dnsResolver,
        @DefaultValue("7d") Duration dnsWait) {

    boolean issues() {
        return acmeDirectory != null && !acmeDirectory.isBlank();
    }
}
