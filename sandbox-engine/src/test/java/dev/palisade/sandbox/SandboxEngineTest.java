package dev.palisade.sandbox;

import dev.palisade.sandbox.platform.Platform;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SandboxEngineTest {

    /** A platform that only answers the resolution questions. */
    record Stub(String name, Optional<String> unavailableReason, boolean runs) implements Platform {
        @Override
        public boolean canRun(SandboxSpec spec) {
            return runs;
        }

        @Override
        public Sandbox start(SandboxSpec spec) {
            throw new UnsupportedOperationException();
        }
    }

    private static SandboxSpec spec(PlatformChoice choice) {
        return SandboxSpec.builder(List.of("/bin/true")).platform(choice).build();
    }

    @Test
    void autoFallsBackToPtrace() {
        Platform ptrace = new Stub("ptrace", Optional.empty(), true);
        Platform kvm = new Stub("kvm", Optional.empty(), true);
        Platform noKvm = new Stub("kvm", Optional.of("/dev/kvm missing"), true);
        Platform notElf = new Stub("kvm", Optional.empty(), false);
        NodeProbe.Measurement cheapKvm = new NodeProbe.Measurement(20_000, 5_000, 4_000, null);
        assertThat(SandboxEngine.of(List.of(ptrace, kvm), cheapKvm).resolve(spec(PlatformChoice.AUTO))).isSameAs(kvm);
        assertThat(SandboxEngine.of(List.of(ptrace, noKvm), cheapKvm).decide(spec(PlatformChoice.AUTO)))
                .isEqualTo(new SandboxEngine.Decision(ptrace, "auto: ptrace — kvm is unavailable: /dev/kvm missing"));
        assertThat(SandboxEngine.of(List.of(ptrace, notElf), cheapKvm).decide(spec(PlatformChoice.AUTO)))
                .isEqualTo(new SandboxEngine.Decision(ptrace, "auto: ptrace — kvm runs only x86-64 ELF executables"));
        assertThat(SandboxEngine.of(List.of(ptrace), cheapKvm).resolve(spec(PlatformChoice.AUTO))).isSameAs(ptrace);
        // no ptrace on this host: KVM is all there is
        Platform noPtrace = new Stub("ptrace", Optional.of("needs Linux x86-64"), true);
        assertThat(SandboxEngine.of(List.of(noPtrace, kvm)).decide(spec(PlatformChoice.AUTO)))
                .isEqualTo(new SandboxEngine.Decision(kvm, "auto: kvm — ptrace is unavailable: needs Linux x86-64"));
        // no measurement yet: ptrace, saying so
        assertThat(SandboxEngine.of(List.of(ptrace, kvm)).decide(spec(PlatformChoice.AUTO)).reason())
                .isEqualTo("auto: ptrace — this node's probe of its platforms has not finished yet");
    }

    @Test
    void anUnavailablePlatformSaysWhy() {
        Platform noKvm = new Stub("kvm", Optional.of("/dev/kvm missing"), true);
        assertThatThrownBy(() -> SandboxEngine.of(List.of(noKvm)).resolve(spec(PlatformChoice.KVM)))
                .isInstanceOf(SandboxException.class).hasMessageContaining("/dev/kvm missing");
        assertThatThrownBy(() -> SandboxEngine.of(List.of(noKvm)).resolve(spec(PlatformChoice.PTRACE)))
                .isInstanceOf(SandboxException.class).hasMessageContaining("not part of this build");
    }

    @Test
    void theDefaultEngineHasThePtracePlatform() {
        assertThat(SandboxEngine.create().platform("ptrace")).isPresent();
    }
}
