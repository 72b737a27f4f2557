package dev.palisade.platform.engine;

import dev.palisade.sandbox.SandboxEngine;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The sandbox engine with every platform of this build; trace lines (never asked for here) go to the log. */
@Configuration(proxyBeanMethods = false)
class EngineConfiguration {

    @Bean
    SandboxEngine sandboxEngine() {
        var log = LoggerFactory.getLogger("dev.palisade.sandbox.trace");
        SandboxEngine engine = SandboxEngine.create(log::debug);
        engine.platforms().forEach(p -> p.unavailableReason().ifPresent(why ->
                LoggerFactory.getLogger(EngineConfiguration.class).warn("Sandbox platform {} unavailable: {}", p.name(), why)));
        return engine;
    }
}
