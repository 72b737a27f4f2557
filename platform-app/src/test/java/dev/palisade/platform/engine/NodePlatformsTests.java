package dev.palisade.platform.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.platform.TestDatabase;
import dev.palisade.sandbox.PlatformChoice;
import dev.palisade.sandbox.SandboxEngine;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.platform.Platform;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A node that offers ptrace alone ({@code palisade.dispatcher.platforms=ptrace}) has an engine
 * with ptrace alone, so {@code auto} never sends one of its workloads to KVM, whatever the host
 * has and the node's measurement says.
 */
// the dispatcher off: this context must not claim workloads that other test classes submit
@SpringBootTest(properties = {"palisade.dispatcher.platforms=ptrace", "palisade.dispatcher.enabled=false"})
@ActiveProfiles("test")
class NodePlatformsTests {

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", TestDatabase::url);
    }

    @Autowired
    SandboxEngine engine;

    @Test
    void aNodeOfferingPtraceAloneDecidesAutoForPtrace() {
        assertThat(engine.platforms()).extracting(Platform::name).containsExactly("ptrace");
        SandboxEngine.Decision d = engine.decide(SandboxSpec.builder(List.of("/bin/true")).platform(PlatformChoice.AUTO).build());
        assertThat(d.platform().name()).isEqualTo("ptrace");
        assertThat(d.reason()).startsWith("auto: ptrace — kvm is not offered here");
    }
}
