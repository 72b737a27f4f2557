package dev.palisade.platform.ops;

import dev.palisade.sandbox.SandboxEngine;
import dev.palisade.sandbox.platform.Platform;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * {@code engine}: part of readiness. On a node that runs workloads it is UP while at least one
 * sandbox platform can be used here, and says which (ptrace, kvm) and why the others cannot. An
 * API-only node runs no sandbox, so the engine does not decide its readiness.
 */
@Component("engine")
class EngineHealthIndicator implements HealthIndicator {

    private final SandboxEngine engine;
    private final NodeProperties node;

    EngineHealthIndicator(SandboxEngine engine, NodeProperties node) {
        this.engine = engine;
        this.node = node;
    }

    @Override
    public Health health() {
        if (!node.role().runsWorkloads()) {
            return Health.up().withDetail("role", "api: runs no sandboxes").build();
        }
        Map<String, String> platforms = new LinkedHashMap<>();
        boolean any = false;
        for (Platform p : engine.platforms()) {
            platforms.put(p.name(), p.unavailableReason().orElse("available"));
            any |= p.unavailableReason().isEmpty();
        }
        return (any ? Health.up() : Health.down()).withDetail("platforms", platforms).build();
    }
}
