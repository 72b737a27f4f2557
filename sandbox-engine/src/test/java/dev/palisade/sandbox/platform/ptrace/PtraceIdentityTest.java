package dev.palisade.sandbox.platform.ptrace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.sandbox.SandboxSpec;
import org.junit.jupiter.api.Test;

/** A spec may name the uid/gid its program runs as (one per tenant); otherwise the platform's default. */
class PtraceIdentityTest {

    @Test
    void theProgramRunsAsTheSpecsIdentity() {
        Runs.assumePlatform();
        Runs.Outcome out = Runs.run(Runs.spec("/bin/sh", "-c", "id -u; id -g").identity(200042, 200042).build());
        assertThat(out.stdout()).isEqualTo("200042\n200042\n");
    }

    @Test
    void withoutOneThePlatformDefaultApplies() {
        Runs.assumePlatform();
        Runs.Outcome out = Runs.run(Runs.spec("/bin/sh", "-c", "id -u").build());
        assertThat(out.stdout()).isEqualTo(PtracePlatform.DEFAULT_UID + "\n");
    }

    @Test
    void rootIsNeverAnIdentity() {
        assertThatThrownBy(() -> SandboxSpec.builder(java.util.List.of("true")).identity(0, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
