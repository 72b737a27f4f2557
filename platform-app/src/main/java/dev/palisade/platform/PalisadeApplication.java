package dev.palisade.platform;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * Palisade: the REST API, the console and (later) the workers in one process. Scans the whole
 * {@code dev.palisade} tree so that the domain (tenant-model) and the console (web-ui) are
 * picked up, and registers {@code dev.palisade.model} for JPA entities and repositories.
 */
@SpringBootApplication(scanBasePackages = "dev.palisade")
@AutoConfigurationPackage(basePackages = "dev.palisade.model")
@ConfigurationPropertiesScan
public class PalisadeApplication {

    public static void main(String[] args) {
        SpringApplication.run(PalisadeApplication.class, args);
    }
}
