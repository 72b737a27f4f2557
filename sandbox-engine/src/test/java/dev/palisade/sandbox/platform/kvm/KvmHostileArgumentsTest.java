package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Hostile arguments on KVM get the errno Linux gives, never an engine error or a long loop:
 * {@code hostile.c} makes calls with sizes of SIZE_MAX, 2^63 and 2^31, pointers to NULL, the
 * kernel half, non-canonical and read-only memory, huge descriptors and bad flags, then readv,
 * writev and getdents64 over every pairing of buffers at a mapping's edges with hostile sizes
 * (cases the syscall fuzzer found), and prints each result; the sandbox's lines must equal a
 * native run's.
 */
class KvmHostileArgumentsTest {
    @TempDir
    static Path bin;
    static Path program;
    static Path findings;

    @BeforeAll
    static void build() throws Exception {
        programDir(bin);
        program = buildSource(bin, "hostile.c", "gcc", "hostile", "-static");
        findings = buildSource(bin, "fuzz-findings.c", "gcc", "fuzz-findings", "-static");
    }

    private static SandboxSpec.Builder spec(Path ws, String name, String... args) {
        List<String> cmd = new ArrayList<>(List.of("/bin-test/" + name));
        cmd.addAll(List.of(args));
        return SandboxSpec.builder(cmd).bind(new SandboxSpec.Bind(bin, "/bin-test", true)).workspace(ws)
                .limits(Limits.DEFAULT.withWallMillis(20_000).withCpuMillis(10_000));
    }

    @Test
    void every_hostile_call_gets_the_errno_linux_gives(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Run r = run(spec(ws, "hostile").build());
        Native n = runNative(nat, List.of(program.toString()));
        assertThat(r.result().termination()).as(r.result().message()).isEqualTo(Termination.EXITED);
        assertThat(r.result().exitCode()).isZero();
        assertThat(n.exit()).isZero();
        assertThat(r.stdout().lines().toList()).hasSizeGreaterThan(500)
                .containsExactlyElementsOf(n.stdout().lines().toList());
        assertThat(r.stdout()).contains("read_pipe_size_max -14", "brk_overflow 0", "munmap_everything 0");
        // the whole run, ~530 hostile calls, is quick: nothing walks the size it was asked for
        assertThat(r.result().cpuNanos()).isLessThan(3_000_000_000L);
    }

    /** The syscall fuzzer's findings, one line each (docs/fuzz-findings.md), against a native run. */
    @Test
    void the_fuzzers_findings_get_what_linux_answers(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Run r = run(spec(ws, "fuzz-findings").limits(Limits.DEFAULT.withWallMillis(5_000).withCpuMillis(5_000)).build());
        Native n = runNative(nat, List.of(findings.toString()));
        assertThat(r.result().termination()).as(r.result().message() + "\n" + r.stderr()).isEqualTo(Termination.EXITED);
        assertThat(r.stderr()).doesNotContain("engine error");
        assertThat(n.exit()).isZero();
        assertThat(r.stdout().lines()).as("fuzz-findings.c lines, sandbox against native")
                .containsExactlyElementsOf(n.stdout().lines().toList());
        assertThat(r.stdout().lines()).hasSize(35);
        assertThat(r.result().wallNanos()).as("every call answered at once: no walk, no sleep").isLessThan(4_000_000_000L);
    }

    @Test
    void brk_with_a_huge_value_in_a_loop_ends_at_the_limits(@TempDir Path ws) throws Exception {
        // before: the first call walked 2^51 pages and the sandbox was still running after 60 s
        Run r = run(spec(ws, "fuzz-findings", "brk-loop").limits(Limits.DEFAULT.withWallMillis(5_000).withCpuMillis(5_000)).build());
        assertThat(r.result().termination()).as(r.result().message()).isIn(Termination.CPU_LIMIT, Termination.WALL_LIMIT);
        assertThat(r.result().wallNanos()).isLessThan(8_000_000_000L);
        assertThat(r.result().syscallCounts().get("brk")).as("brk answered again and again").isGreaterThan(1000L);
    }

    @Test
    void the_wall_limit_ends_a_program_the_sentry_is_serving(@TempDir Path ws) throws Exception {
        long t0 = System.nanoTime();
        Run r = run(spec(ws, "hostile", "sleep").limits(Limits.DEFAULT.withWallMillis(400)).build());
        assertThat(r.result().termination()).isEqualTo(Termination.WALL_LIMIT);
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);
    }
}
