package dev.palisade.platform.customdomain;

import dev.palisade.platform.secret.SecretKeys;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The custom domains as the ingress reads them on every request and TLS handshake: a table in
 * memory, replaced whole from PostgreSQL every {@code palisade.domains.refresh-interval} (and at
 * once after a change made here), so a claim, a new certificate or a renewal made by any instance
 * is served without a restart. Keys are opened once per certificate, not at every refresh.
 */
@Component
public class CustomDomains implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(CustomDomains.class);
    /** The path prefix of an HTTP-01 challenge (RFC 8555 §8.3). */
    public static final String CHALLENGE_PATH = "/.well-known/acme-challenge/";

    /** A certificate and its private key, PEM (the key PKCS#8); the same object until it is replaced. */
    public record Certificate(String chainPem, byte[] keyPem) {
    }

    /** Where a custom domain goes: the tenant's service; its certificate when it has one; whether HSTS is on. */
    public record Route(String host, String tenant, String service, boolean hsts, Optional<Certificate> certificate,
            String challengeToken, String challengeResponse, String certificateDigest) {
    }

    private final CustomDomainStore store;
    private final ScheduledExecutorService refresher;
    private volatile Map<String, Route> routes = Map.of();

    CustomDomains(CustomDomainStore store, CustomDomainProperties properties) {
        this.store = store;
        this.refresher = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("custom-domains", true));
        long every = Math.max(100, properties.refreshInterval().toMillis());
        refresher.scheduleWithFixedDelay(this::refreshQuietly, every, every, TimeUnit.MILLISECONDS);
    }

    @EventListener(ApplicationReadyEvent.class)
    void ready() {
        refreshQuietly();
    }

    /** The custom domain {@code host} (without port, any case) names, if a tenant claimed it. */
    public Optional<Route> route(String host) {
        if (host == null) {
            return Optional.empty();
        }
        String h = host.toLowerCase(Locale.ROOT);
        return Optional.ofNullable(routes.get(h.endsWith(".") ? h.substring(0, h.length() - 1) : h));
    }

    /**
     * The answer to an HTTP-01 challenge for a claimed {@code host}: from the table, else (an order
     * another instance started since the last refresh) from PostgreSQL.
     */
    public Optional<String> challengeResponse(Route route, String token) {
        if (token.isEmpty() || token.length() > 200) {
            return Optional.empty();
        }
        if (token.equals(route.challengeToken())) {
            return Optional.ofNullable(route.challengeResponse());
        }
        return store.challengeResponse(route.host(), token);
    }

    /** Reloads the table now. */
    public synchronized void refresh() {
        Map<String, Route> before = routes;
        Map<String, Route> next = new HashMap<>();
        for (CustomDomainStore.Row r : store.rows()) {
            Route old = before.get(r.host());
            Optional<Certificate> certificate = Optional.empty();
            if (r.certificateDigest() != null) {
                certificate = old != null && r.certificateDigest().equals(old.certificateDigest()) ? old.certificate()
                        : load(r.host());
            }
            next.put(r.host(), new Route(r.host(), r.tenant(), r.service(), r.hsts(), certificate, r.challengeToken(),
                    r.challengeResponse(), r.certificateDigest()));
        }
        routes = Map.copyOf(next);
    }

    private Optional<Certificate> load(String host) {
        Optional<CustomDomainStore.Stored> stored = store.certificate(host);
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Certificate(stored.get().chainPem(), store.open(host, stored.get().sealedKey())));
        } catch (SecretKeys.UnreadableSecretException e) {
            log.warn("The certificate key of custom domain {} cannot be opened here ({}): it is served over HTTP"
                    + " until the key is configured or it is renewed", host, e.getMessage());
            return Optional.empty();
        }
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (RuntimeException e) {
            log.warn("Custom domains could not be reloaded (the last table is kept): {}", e.getMessage());
        }
    }

    @Override
    public void destroy() {
        refresher.shutdownNow();
    }
}
