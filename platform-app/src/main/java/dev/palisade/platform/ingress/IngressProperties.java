package dev.palisade.platform.ingress;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code palisade.services.ingress.*}: the dedicated ingress port ({@link NettyIngress}), which
 * serves hosted services only, beside the platform port's ingress.
 *
 * @param port           the port; -1 (the default): no dedicated port; 0: any free port
 * @param bind           the address it listens on
 * @param threads        event-loop threads serving every connection; 0 (the default): one per core
 * @param maxConnections client connections open at once; a connection past it is closed at once
 * @param headerTimeout  how long a client may take to send a request's line and headers (slowloris)
 * @param idleTimeout    how long a kept-alive connection may wait for its next request
 * @param maxHeadSize    most bytes of a request's line and headers; more answers 431
 * @param tls            the TLS port beside it, with the certificates it serves by SNI
 */
@ConfigurationProperties("palisade.services.ingress")
record IngressProperties(
        @DefaultValue("-1") int port,
        @DefaultValue("0.0.0.0") String bind,
        @DefaultValue("0") int threads,
        @DefaultValue("10000") int maxConnections,
        @DefaultValue("10s") Duration headerTimeout,
        @DefaultValue("20s") Duration idleTimeout,
        @DefaultValue("16384") int maxHeadSize,
        @DefaultValue Tls tls) {

    /**
     * {@code palisade.services.ingress.tls.*}: HTTPS (HTTP/2 by ALPN, else HTTP/1.1) for the apps
     * domain's names, by SNI. A host that a certificate covers is redirected there from the plain port.
     *
     * @param port         the TLS port; -1 (the default): none; 0: any free port
     * @param publicPort   the port clients reach it at, for redirects (443 behind a port mapping); 0: {@code port}
     * @param certificates PEM files: each a chain (leaf first) and its private key (PKCS#8); the names it
     *                     serves are the leaf's DNS names ({@code *.acme.apps.example.net} covers one label);
     *                     none: the port serves custom domains' certificates only
     */
    public record Tls(
            @DefaultValue("-1") int port,
            @DefaultValue("0") int publicPort,
            @DefaultValue List<Certificate> certificates) {

        boolean enabled() {
            return port >= 0;
        }

        List<Certificate> configured() {
            return certificates == null ? List.of() : certificates;
        }
    }

    /** One certificate of the TLS port: {@code chain} and {@code key} are PEM file paths. */
    public record Certificate(String chain, String key) {
    }
}
