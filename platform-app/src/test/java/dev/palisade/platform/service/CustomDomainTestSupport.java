package dev.palisade.platform.service;

import dev.palisade.platform.ingress.NettyIngress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The application with the real {@code pebble} as its ACME directory and
 * {@code pebble-challtestsrv} as the DNS of both, for the custom-domain tests: the certificates
 * are ordered by this context's own db-scheduler task (closed with it), every second.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
abstract class CustomDomainTestSupport extends ServiceTestSupport {

    static Pebble pebble;

    @Autowired
    NettyIngress ingress;

    @DynamicPropertySource
    static void acme(DynamicPropertyRegistry registry) throws Exception {
        pebble = new Pebble();
        pebble.register(registry);
        // the TLS port has no certificate configured: it serves the custom domains' only
        registry.add("palisade.services.ingress.tls.port", () -> "0");
        registry.add("palisade.domains.check-interval", () -> "1s");
        registry.add("palisade.domains.refresh-interval", () -> "500ms");
        registry.add("palisade.domains.retry-after", () -> "2s");
        // the certificates are ordered by a db-scheduler task: the scheduler runs here (the test profile stops it)
        registry.add("palisade.cron-jobs.enabled", () -> "true");
        registry.add("palisade.cron-jobs.polling-interval", () -> "500ms");
    }

    /** Pebble, its HTTP-01 validation pointed at the ingress's plain port (once this context has it), and its DNS. */
    @BeforeEach
    void startPebble() throws Exception {
        // other test classes share this database and leave claims of names nobody serves (fixtures):
        // this class's scheduler, the only one running, would order those first
        jdbc.update("update custom_domain set next_attempt_at = now() + interval '1 day' where next_attempt_at < now()");
        pebble.start(ingress.port());
    }

    /** Other test contexts share the database: they find no domain of this class's (its keys are sealed with its own). */
    @AfterEach
    void releaseDomains() {
        if (tenant != null) {
            // every host a test here claims names its first tenant
            jdbc.update("delete from custom_domain where host like ?", "%." + tenant + ".example.%");
        }
    }

    @AfterAll
    static void stopServers() {
        pebble.stop();
    }
}
