package dev.palisade.platform.customdomain;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Problem;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Dns01Challenge;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.connector.HttpConnector;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.provider.GenericAcmeProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Obtains a domain's certificate from the configured ACME directory with acme4j: the platform's
 * account (its key kept sealed, one per directory), an order for the one name, its challenge
 * answered, then a fresh P-256 key and the issued chain, stored sealed ({@link #finish}, the
 * second half of every order). HTTP-01 is one whole order per call (the ingress answers it);
 * DNS-01 is two calls, the order kept by URL between them while the tenant publishes the TXT
 * record. The caller decides when one is due.
 */
@Component
class AcmeIssuer {

    private static final Logger log = LoggerFactory.getLogger(AcmeIssuer.class);

    private final CustomDomainStore store;
    private final CustomDomains domains;
    private final CustomDomainProperties properties;
    private volatile SSLContext trust;

    AcmeIssuer(CustomDomainStore store, CustomDomains domains, CustomDomainProperties properties) {
        this.store = store;
        this.domains = domains;
        this.properties = properties;
    }

    /** Why an order did not end in a certificate, in words for the tenant. */
    static final class OrderFailedException extends Exception {
        OrderFailedException(String message) {
            super(message);
        }
    }

    /** Orders and stores a new certificate for {@code host} by HTTP-01; its expiry. */
    Instant issue(String host) throws OrderFailedException, InterruptedException {
        Duration timeout = properties.orderTimeout();
        return acme(host, login -> {
            Order order = login.newOrder().domain(host).create();
            for (Authorization auth : order.getAuthorizations()) {
                if (auth.getStatus() == Status.VALID) {
                    continue;   // proved recently for this account: nothing to answer
                }
                Http01Challenge challenge = auth.findChallenge(Http01Challenge.class).orElseThrow(
                        () -> new OrderFailedException("the ACME server offers no HTTP-01 challenge for " + host));
                store.challenge(host, challenge.getToken(), challenge.getAuthorization());
                domains.refresh();
                challenge.trigger();
                Status status = challenge.waitForCompletion(timeout);
                if (status != Status.VALID) {
                    throw new OrderFailedException("the HTTP-01 challenge for " + host + " failed: "
                            + challenge.getError().map(Problem::toString).orElse(status.toString())
                            + " (does " + host + " resolve to the ingress, reachable on port 80?)");
                }
            }
            return finish(host, order);
        });
    }

    /**
     * Starts a DNS-01 order for {@code host}: the record its challenge needs is kept for the
     * tenant to publish, with the order's and the challenge's URLs, and awaited until
     * {@code deadline} (never past the order's own expiry). Empty when the record is now awaited;
     * the certificate's expiry when the account had proved the name recently and it was issued at once.
     */
    Optional<Instant> startDns01(String host, Instant nextCheck, Instant deadline)
            throws OrderFailedException, InterruptedException {
        return acme(host, login -> {
            Order order = login.newOrder().domain(host).create();
            for (Authorization auth : order.getAuthorizations()) {
                if (auth.getStatus() == Status.VALID) {
                    continue;
                }
                Dns01Challenge challenge = auth.findChallenge(Dns01Challenge.class).orElseThrow(
                        () -> new OrderFailedException("the ACME server offers no DNS-01 challenge for " + host));
                Instant until = order.getExpires().filter(deadline::isAfter).orElse(deadline);
                String rr = Dns01Challenge.toRRName(host);
                String name = rr.endsWith(".") ? rr.substring(0, rr.length() - 1) : rr;
                store.awaitDns(host, new CustomDomainStore.PendingDns(name, challenge.getDigest(),
                        order.getLocation().toString(), challenge.getLocation().toString(), until), nextCheck);
                log.info("Custom domain {}: DNS-01 order awaits TXT {} until {}", host, name, until);
                return Optional.<Instant>empty();
            }
            return Optional.of(finish(host, order));
        });
    }

    /**
     * The second half of a DNS-01 order whose record is now published: the challenge (bound again
     * from its URL) is triggered and must validate, then the certificate is issued and stored.
     */
    Instant completeDns01(String host, CustomDomainStore.PendingDns pending)
            throws OrderFailedException, InterruptedException {
        Duration timeout = properties.orderTimeout();
        return acme(host, login -> {
            Order order = login.bindOrder(URI.create(pending.orderUrl()).toURL());
            Dns01Challenge challenge = login.bindChallenge(URI.create(pending.challengeUrl()).toURL(),
                    Dns01Challenge.class);
            if (challenge.getStatus() != Status.VALID) {
                challenge.trigger();
                Status status = challenge.waitForCompletion(timeout);
                if (status != Status.VALID) {
                    throw new OrderFailedException("the DNS-01 challenge for " + host + " failed: "
                            + challenge.getError().map(Problem::toString).orElse(status.toString())
                            + " (a new order, with a new TXT value, follows)");
                }
            }
            return finish(host, order);
        });
    }

    /** The second half of every order, its names proved: a fresh key, the order finalized, the chain stored. */
    private Instant finish(String host, Order order)
            throws AcmeException, InterruptedException, OrderFailedException, IOException, GeneralSecurityException {
        Duration timeout = properties.orderTimeout();
        KeyPair key = Pem.newKeyPair();
        order.waitUntilReady(timeout);
        order.execute(key);
        Status status = order.waitForCompletion(timeout);
        if (status != Status.VALID) {
            throw new OrderFailedException("the order for " + host + " ended " + status
                    + order.getError().map(p -> ": " + p).orElse(""));
        }
        org.shredzone.acme4j.Certificate certificate = order.getCertificate();
        StringWriter chain = new StringWriter();
        certificate.writeCertificate(chain);
        X509Certificate leaf = certificate.getCertificate();
        Instant notAfter = leaf.getNotAfter().toInstant();
        Instant notBefore = leaf.getNotBefore().toInstant();
        store.issued(host, chain.toString(), Pem.privateKey(key), notBefore, notAfter, renewAt(notBefore, notAfter));
        domains.refresh();
        log.info("Certificate for custom domain {} issued by {}, valid until {}", host, properties.acmeDirectory(),
                notAfter);
        return notAfter;
    }

    /** One step of an order with the platform's account; what went wrong said in words for the tenant. */
    private <T> T acme(String host, Step<T> step) throws OrderFailedException, InterruptedException {
        String directory = properties.acmeDirectory();
        try {
            Session session = new Session(URI.create(directory), new Provider());
            return step.run(login(session, directory));
        } catch (AcmeException e) {
            throw new OrderFailedException("the ACME server refused the order for " + host + ": " + e.getMessage());
        } catch (IOException | GeneralSecurityException e) {
            throw new OrderFailedException("the certificate for " + host + " could not be stored: " + e.getMessage());
        }
    }

    private interface Step<T> {
        T run(Login login) throws AcmeException, InterruptedException, OrderFailedException, IOException,
                GeneralSecurityException;
    }

    /**
     * When to renew: {@code renew-before} ahead of the expiry, but never later than two thirds into
     * the certificate's life (short-lived ones, a test server's, still renew in time).
     */
    Instant renewAt(Instant notBefore, Instant notAfter) {
        Instant byMargin = notAfter.minus(properties.renewBefore());
        Instant byLife = notBefore.plus(Duration.between(notBefore, notAfter).multipliedBy(2).dividedBy(3));
        return byMargin.isBefore(byLife) ? byMargin : byLife;
    }

    private Login login(Session session, String directory) throws AcmeException, GeneralSecurityException {
        byte[] kept = store.accountKey(directory).orElse(null);
        if (kept == null) {
            kept = store.keepAccountKey(directory, Pem.keyPair(Pem.newKeyPair()));
        }
        AccountBuilder builder = new AccountBuilder().agreeToTermsOfService().useKeyPair(Pem.readKeyPair(kept));
        if (properties.acmeContact() != null && !properties.acmeContact().isBlank()) {
            builder.addEmail(properties.acmeContact());
        }
        // with a known key the server answers with the existing account: nothing else to keep
        return builder.createLogin(session);
    }

    /** The SSL context the directory is reached with: {@code acme-trust}'s certificates when set. */
    private SSLContext trust() {
        SSLContext t = trust;
        if (t != null) {
            return t;
        }
        try (InputStream in = Files.newInputStream(Path.of(properties.acmeTrust()))) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("acme-trust-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            trust = context;
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException("palisade.domains.acme-trust " + properties.acmeTrust() + " cannot be read", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("palisade.domains.acme-trust " + properties.acmeTrust() + ": " + e.getMessage(), e);
        }
    }

    /** The generic provider, reaching the directory with {@code acme-trust} when it is set. */
    private final class Provider extends GenericAcmeProvider {
        @Override
        protected HttpConnector createHttpConnector(NetworkSettings settings) {
            if (properties.acmeTrust() == null || properties.acmeTrust().isBlank()) {
                return super.createHttpConnector(settings);
            }
            SSLContext context = trust();
            return new HttpConnector(settings) {
                @Override
                public java.net.http.HttpClient.Builder createClientBuilder() {
                    return super.createClientBuilder().sslContext(context);
                }
            };
        }
    }
}
