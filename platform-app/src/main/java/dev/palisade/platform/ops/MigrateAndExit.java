package dev.palisade.platform.ops;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.EventListener;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * With {@code palisade.node.migrate-and-exit=true} (and {@code server.port=0}: security and the
 * console need a web application, so it starts one on a random port for the moment it lives),
 * the application starts, which applies the Flyway migrations, creates the first admin when
 * there is none (the ready listener before this one), and then exits 0. Kubernetes runs this as
 * a Job once per upgrade, before the Deployments roll.
 */
@Component
@ConditionalOnProperty(name = "palisade.node.migrate-and-exit", havingValue = "true")
class MigrateAndExit {

    private static final Logger log = LoggerFactory.getLogger(MigrateAndExit.class);

    private final ConfigurableApplicationContext context;

    MigrateAndExit(ConfigurableApplicationContext context) {
        this.context = context;
    }

    @EventListener(ApplicationReadyEvent.class)
    @Order(Ordered.LOWEST_PRECEDENCE)
    void migrated() {
        log.info("Migrations applied; exiting (palisade.node.migrate-and-exit)");
        System.exit(SpringApplication.exit(context, () -> 0));
    }
}
