package dev.palisade.sandbox.platform.ptrace;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A sandbox runs on the CPUs its limit grants, not on one: {@code nproc} and
 * {@code sched_getaffinity} inside say what the spec says, and the cgroup's quota matches.
 * (How much faster a parallel program gets is measured by {@code ops/bench/cpu-scaling.sh}.)
 */
class PtraceCpuTest {

    private static final String SHOW = "nproc; python3 -c 'import os; print(sorted(os.sched_getaffinity(0)))'";

    @BeforeAll
    static void platform() {
        Runs.assumePlatform();
    }

    @Test
    void withoutALimitEveryCpuOfTheEngineIsThere() {
        int[] engine = CpuSet.engine();
        var o = run(spec("/bin/sh", "-c", SHOW).build());
        assertThat(o.stdout().lines().toList().get(0)).isEqualTo(Integer.toString(engine.length));
        assertThat(o.stdout()).contains(java.util.Arrays.toString(engine));
    }

    @Test
    void aLimitOfOneOrTwoCoresIsWhatTheProgramSees() {
        assumeTrue(CpuSet.engine().length >= 2, "needs two CPUs");
        var one = run(spec("/bin/sh", "-c", SHOW).limits(Runs.TEST_LIMITS.withCpuMillicores(1000)).build());
        assertThat(one.stdout().lines().toList().get(0)).isEqualTo("1");
        assertThat(one.stdout().lines().toList().get(1)).matches("\\[\\d+]");
        var two = run(spec("/bin/sh", "-c", SHOW).limits(Runs.TEST_LIMITS.withCpuMillicores(2000)).build());
        assertThat(two.stdout().lines().toList().get(0)).isEqualTo("2");
        assertThat(two.stdout().lines().toList().get(1)).matches("\\[\\d+, \\d+]");
        assertThat(two.result().termination()).isEqualTo(dev.palisade.sandbox.Termination.EXITED);
    }

    @Test
    void theCgroupGrantsTheCoresTime() {
        try (Cgroup c = Cgroup.create(Runs.TEST_LIMITS.withCpuMillicores(2000))) {
            assumeTrue(!c.missing().contains("cgroup v2 not writable"), "no writable cgroup here");
            assertThat(c.missing()).doesNotContain("cpu quota");
            assertThat(c.quotaCores()).isEqualTo(2.0);
        }
    }
}
