package dev.palisade.platform.security;

import dev.palisade.model.ConflictException;
import dev.palisade.model.user.Role;
import dev.palisade.model.user.UserService;
import dev.palisade.platform.config.PalisadeProperties;
import java.security.SecureRandom;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Component;
import org.springframework.util.StringUtils;

/**
 * Creates the first platform admin, {@code admin}, when there is none: with the password from
 * {@code PALISADE_ADMIN_PASSWORD}, or a generated one that is printed exactly once, here, to the
 * console (not through the logger, so it reaches no log file). Then says where to log in.
 */
@Component
class AdminBootstrap {

    static final String ADMIN = "admin";
    private static final Logger log = LoggerFactory.getLogger(AdminBootstrap.class);

    private final UserService users;
    private final PalisadeProperties properties;
    private final Environment environment;

    AdminBootstrap(UserService users, PalisadeProperties properties, Environment environment) {
        this.users = users;
        this.properties = properties;
        this.environment = environment;
    }

    // first among the ready listeners: the migration run (ops.MigrateAndExit) exits after it
    @EventListener(ApplicationReadyEvent.class)
    @Order(Ordered.HIGHEST_PRECEDENCE)
    void ready() {
        String port = environment.getProperty("local.server.port", environment.getProperty("server.port", "8080"));
        String base = "http://localhost:" + port;
        if (!users.platformAdminExists(ADMIN)) {
            boolean generated = !StringUtils.hasText(properties.adminPassword());
            String password = generated ? generatePassword() : properties.adminPassword();
            try {
                users.create("system", null, ADMIN, password, Role.PLATFORM_ADMIN);
                if (generated) {
                    System.out.println("""

                            ==========================================================
                             Palisade: first admin created
                               user:     admin
                               password: %s
                             This password is shown only now. Log in at %s/login
                            ==========================================================
                            """.formatted(password, base));
                } else {
                    log.info("Created the first admin 'admin' with the password from PALISADE_ADMIN_PASSWORD");
                }
            } catch (ConflictException | DataIntegrityViolationException raceWithAnotherInstance) {
                // several instances starting at once on a fresh database: the unique username decides
                log.info("The first admin was created by another instance");
            }
        }
        log.info("Palisade is up: console {}/login, API {}/api/v1, OpenAPI {}/v3/api-docs", base, base, base);
    }

    private static String generatePassword() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
