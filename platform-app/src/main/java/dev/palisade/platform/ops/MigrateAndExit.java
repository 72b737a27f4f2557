package dev.palisade.platform.ops;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.stereotype.Component;

/**
 * With {@code palisade.node.migrate-and-exit=true} (and {@code spring.main.web-application-type=none}),
 * the application starts, which applies the Flyway migrations and creates the first admin, and
 * then exits 0. Kubernetes runs this as a Job once per upgrade, before the Deployments roll.
 */
@Component
@ConditionalOnProperty(name = "palisade.node.migrate-and-exit", havingValue = "true")
class MigrateAndExit implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(MigrateAndExit.class);

    private final ConfigurableApplicationContext context;

    MigrateAndExit(ConfigurableApplicationContext context) {
        this.context = context;
    }

    @Override
    public void run(ApplicationArguments args) {
        log.info("Migrations applied; exiting (palisade.node.migrate-and-exit)");
        System.exit(SpringApplication.exit(context, () -> 0));
    }
}
