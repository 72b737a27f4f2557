package dev.palisade.sandbox.platform.kvm;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.assumeKvm;
import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.buildSource;
import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A CPU rate on KVM: a vCPU that spins without a system call is held to its share of each period. */
class KvmCpuRateTest {

    @Test
    void aSpinningProgramIsHeldToItsShareOfACore(@TempDir Path bin) throws Exception {
        assumeKvm();
        Files.writeString(bin.resolve("spin.c"), "int main(void) { volatile unsigned long i = 0; for (;;) i++; }\n");
        Path spin = buildSource(bin, "spin.c", "musl-gcc", "spin", "-static");
        assumeTrue(spin != null, "musl-gcc not installed (apt-get install musl-tools)");
        var r = run(SandboxSpec.builder(List.of("/bin-test/spin")).bind(new SandboxSpec.Bind(bin, "/bin-test", true))
                .limits(Limits.DEFAULT.withCpuMillis(0).withWallMillis(3000).withCpuMillicores(100)).build());
        assertThat(r.result().termination()).as(r.result().message()).isEqualTo(Termination.WALL_LIMIT);
        System.out.printf("a spinning vCPU at 0.1 cores for %d ms used %d ms of CPU%n", r.result().wallNanos() / 1_000_000,
                r.result().cpuNanos() / 1_000_000);
        assertThat(r.result().cpuNanos()).isBetween(100_000_000L, 600_000_000L);
    }
}
