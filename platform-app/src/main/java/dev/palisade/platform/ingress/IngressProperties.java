package dev.palisade.platform.ingress;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code palisade.services.ingress.*}: the dedicated ingress port ({@link LeanIngress}), which
 * serves hosted services only, beside the platform port's ingress.
 *
 * @param port          the port; -1 (the default): no dedicated port; 0: any free port
 * @param bind          the address it listens on
 * @param threads       connections served at once; more wait in the backlog
 * @param headerTimeout how long a client may take to send a request's line and headers (slowloris)
 * @param idleTimeout   how long a kept-alive connection may wait for its next request
 * @param maxHeadSize   most bytes of a request's line and headers; more answers 431
 */
@ConfigurationProperties("palisade.services.ingress")
record IngressProperties(
        @DefaultValue("-1") int port,
        @DefaultValue("0.0.0.0") String bind,
        @DefaultValue("64") int threads,
        @DefaultValue("10s") Duration headerTimeout,
        @DefaultValue("20s") Duration idleTimeout,
        @DefaultValue("16384") int maxHeadSize) {
}
