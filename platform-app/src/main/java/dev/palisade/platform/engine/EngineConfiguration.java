package dev.palisade.platform.engine;

import dev.palisade.platform.dispatch.DispatcherProperties;
import dev.palisade.sandbox.SandboxEngine;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The sandbox engine with the platforms this node offers ({@code palisade.dispatcher.platforms};
 * every one of this build when unset), so that {@code auto} chooses among those only; trace lines
 * (never asked for here) go to the log.
 */
@Configuration(proxyBeanMethods = false)
class EngineConfiguration {

    @Bean
    SandboxEngine sandboxEngine(DispatcherProperties dispatcher) {
        var log = LoggerFactory.getLogger("dev.palisade.sandbox.trace");
        SandboxEngine engine = SandboxEngine.create(log::debug).offering(dispatcher.platforms());
        engine.platforms().forEach(p -> p.unavailableReason().ifPresent(why ->
                LoggerFactory.getLogger(EngineConfiguration.class).warn("Sandbox platform {} unavailable: {}", p.name(), why)));
        return engine;
    }
}
