package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The syscall fuzzer's findings on KVM, each a call in {@code kvm/hostile.c}: once an engine
 * error (a tenant's size reaching a Java allocation), a spin past every limit (brk walking the
 * address space page by page) or a sleep for ever; now each answers as Linux does, line for line
 * against a native run (docs/fuzz-findings.md).
 */
class KvmHostileArgumentsTest {
    @TempDir
    static Path bin;
    static Path hostile;

    @BeforeAll
    static void build() throws Exception {
        assumeKvm();
        assumeTrue(have("gcc"), "gcc not installed: the test program is built with it");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        hostile = buildSource(bin, "hostile.c", "gcc", "hostile", "-static");
    }

    @Test
    void hostile_sizes_pointers_and_times_get_what_linux_answers(@TempDir Path nat) throws Exception {
        Run r = run(SandboxSpec.builder(List.of("/bin-test/hostile"))
                .bind(new SandboxSpec.Bind(bin, "/bin-test", true))
                .limits(Limits.DEFAULT.withWallMillis(5_000).withCpuMillis(5_000))
                .build());
        Native n = runNative(nat, List.of(hostile.toString()));
        assertThat(r.result().termination()).as(r.result().message() + "\n" + r.stderr()).isEqualTo(Termination.EXITED);
        assertThat(r.stderr()).doesNotContain("engine error");
        assertThat(n.exit()).isZero();
        assertThat(r.stdout().lines()).as("hostile.c lines, sandbox against native").containsExactlyElementsOf(n.stdout().lines().toList());
        assertThat(r.stdout().lines()).hasSize(35);
        assertThat(r.result().wallNanos()).as("every call answered at once: no walk, no sleep").isLessThan(4_000_000_000L);
    }

    @Test
    void brk_with_a_huge_value_in_a_loop_ends_at_the_limits() throws Exception {
        // before: the first call walked 2^51 pages and the sandbox was still running after 60 s
        Run r = run(SandboxSpec.builder(List.of("/bin-test/hostile", "brk-loop"))
                .bind(new SandboxSpec.Bind(bin, "/bin-test", true))
                .limits(Limits.DEFAULT.withWallMillis(5_000).withCpuMillis(5_000))
                .build());
        assertThat(r.result().termination()).as(r.result().message()).isIn(Termination.CPU_LIMIT, Termination.WALL_LIMIT);
        assertThat(r.result().wallNanos()).isLessThan(8_000_000_000L);
        assertThat(r.result().syscallCounts().get("brk")).as("brk answered again and again").isGreaterThan(1000L);
    }
}
