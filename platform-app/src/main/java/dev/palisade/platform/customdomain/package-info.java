/**
 * Custom domains: a tenant's own host name ({@code www.example.com}) on one of its services. A
 * claim is checked ({@link dev.palisade.platform.customdomain.DomainNames}: no IDN, wildcard,
 * trailing dot, address, the platform's own names) and refused when another tenant holds the name;
 * the platform then proves control with an HTTP-01 challenge that the ingress answers, or a
 * DNS-01 challenge whose TXT record the tenant publishes (shown to it, looked up by {@link
 * dev.palisade.platform.customdomain.TxtRecords} until it holds the value), obtains the
 * certificate from the configured ACME directory with acme4j ({@link
 * dev.palisade.platform.customdomain.AcmeIssuer}), keeps its key sealed with the secrets' key, and
 * renews it before it expires (a db-scheduler task, {@link
 * dev.palisade.platform.customdomain.CertificateRenewal}, which also carries a DNS-01 order across
 * its runs). The ingress reads the claims and certificates
 * through {@link dev.palisade.platform.customdomain.CustomDomains}, refreshed without a restart.
 */
package dev.palisade.platform.customdomain;
