package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.DeniedCall;
import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static dev.palisade.sandbox.platform.ptrace.Runs.TEST_LIMITS;
import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;

/** Every limit ends the sandbox with a result that names it. */
class PtraceLimitsTest {

    static Path attacks;

    @BeforeAll
    static void compile() throws Exception {
        Runs.assumePlatform();
        attacks = Runs.compileAttacks();
    }

    @Test
    void forkBombHitsTheProcessLimitAndTheHostIsUnaffected() throws Exception {
        // Several times over: a child killed before its first stop reports its exit first, and a
        // tracer that held it (as a child not reported yet) left the namespace's init waiting for
        // it for ever. Before the fix, one bomb in two or three hung that way.
        for (int round = 0; round < 8; round++) {
            var o = run(spec("/att/forkbomb").bind(new SandboxSpec.Bind(attacks, "/att", true))
                    .limits(TEST_LIMITS.withMaxProcesses(16).withWallMillis(20_000)).build());
            assertThat(o.result().termination()).as("round " + round).isEqualTo(Termination.PROCESS_LIMIT);
            assertThat(o.result().message()).contains("process limit of 16");
            assertThat(o.result().deniedCalls()).extracting(DeniedCall::errno).contains(11);
        }
        // the host still forks
        assertThat(new ProcessBuilder("/bin/true").start().waitFor()).isZero();
    }

    @Test
    void aProcessKilledWhileItForksLeavesNoProcessCountedOrStopped() {
        var o = run(spec("/att/kill_mid_fork").bind(new SandboxSpec.Bind(attacks, "/att", true))
                .limits(TEST_LIMITS.withMaxProcesses(16).withWallMillis(20_000)).build());
        assertThat(o.result().termination()).isEqualTo(Termination.EXITED);
        assertThat(o.stdout()).contains("forked=12");
    }

    @Test
    void memoryBombHitsTheMemoryLimit() {
        var o = run(spec("python3", "-c", "x=[]\nwhile True: x.append(bytearray(10**6))")
                .limits(TEST_LIMITS.withMemoryBytes(64L << 20)).build());
        assertThat(o.result().termination()).isEqualTo(Termination.MEMORY_LIMIT);
        assertThat(o.result().message()).contains("memory limit");
    }

    @Test
    void fillingTheDiskHitsTheFileSizeLimitOrEnospc() {
        var o = run(spec("/bin/sh", "-c", "dd if=/dev/zero of=/workspace/big bs=1M count=100 2>/dev/null; echo big=$?; "
                + "i=0; while [ $i -lt 40 ]; do head -c 1000000 /dev/zero > /tmp/f$i || { echo full; break; }; i=$((i+1)); done")
                .limits(TEST_LIMITS.withFileSizeBytes(8L << 20)).build());
        assertThat(o.stdout()).contains("big=153").contains("full");
        assertThat(o.result().termination()).isEqualTo(Termination.EXITED);
        var direct = run(spec("/bin/dd", "if=/dev/zero", "of=/workspace/big", "bs=1M", "count=100")
                .limits(TEST_LIMITS.withFileSizeBytes(8L << 20)).build());
        assertThat(direct.result().termination()).isEqualTo(Termination.FILE_SIZE_LIMIT);
    }

    @Test
    void busyLoopHitsTheCpuLimit() {
        var o = run(spec("/bin/sh", "-c", "while :; do :; done").limits(TEST_LIMITS.withCpuMillis(400)).build());
        assertThat(o.result().termination()).isEqualTo(Termination.CPU_LIMIT);
        assertThat(o.result().cpuNanos()).isGreaterThanOrEqualTo(300_000_000L);
        assertThat(o.status()).isEqualTo(137);
    }

    @Test
    void aCpuRateHoldsTheWholeTreeToItsShareOfACoreWithoutEndingIt() {
        // two busy processes at a tenth of a core for three seconds: 0.3 s of CPU, not the 3 to 6 s they would take
        var o = run(spec("/bin/sh", "-c", "while :; do :; done & while :; do :; done")
                .limits(TEST_LIMITS.withCpuMillis(0).withWallMillis(3000).withCpuMillicores(100)).build());
        assertThat(o.result().termination()).isEqualTo(Termination.WALL_LIMIT);
        System.out.printf("two busy loops at 0.1 cores for %d ms used %d ms of CPU%n", o.result().wallNanos() / 1_000_000,
                o.result().cpuNanos() / 1_000_000);
        assertThat(o.result().cpuNanos()).isBetween(100_000_000L, 600_000_000L);
    }

    @Test
    void aProgramThatNeverEndsHitsTheWallLimit() {
        var o = run(spec("/bin/sleep", "100").limits(TEST_LIMITS.withWallMillis(300)).build());
        assertThat(o.result().termination()).isEqualTo(Termination.WALL_LIMIT);
        assertThat(o.result().wallNanos()).isLessThan(5_000_000_000L);
    }

    @Test
    void tooMuchOutputHitsTheOutputLimit() {
        var o = run(spec("/usr/bin/yes").limits(TEST_LIMITS.withOutputBytes(10_000)).build());
        assertThat(o.result().termination()).isEqualTo(Termination.OUTPUT_LIMIT);
        assertThat(o.stdout()).hasSize(10_000);
    }

    @Test
    void killEndsItAsKilled() throws Exception {
        try (var s = Runs.PLATFORM.start(spec("/bin/sleep", "100").limits(Limits.DEFAULT).build())) {
            s.kill();
            assertThat(s.await().termination()).isEqualTo(Termination.KILLED);
        }
    }
}
