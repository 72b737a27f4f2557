package dev.palisade.sandbox.platform.ptrace;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A sandbox runs on the CPUs its limit grants, not on one: {@code nproc} and
 * {@code sched_getaffinity} inside say what the spec says, and the cgroup's quota matches. A
 * program that does not need two CPUs is held to one ({@link CpuPlacement}); busy processes and
 * a program's own affinity spread it.
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

    /** The CPUs the kernel lets the caller run on, as its own /proc status says (not served). */
    private static final String REAL = "grep Cpus_allowed_list /proc/self/status | cut -f2";

    /** Two busy shells, then each says where it may run; the parent last. */
    private static final String TWO_BUSY = "busy() { i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done; " + REAL + "; }; "
            + "busy & busy & wait; " + REAL;

    @Test
    void aProgramThatDoesNotNeedTwoCpusRunsOnOneAndIsToldBoth() {
        assumeTrue(CpuSet.engine().length >= 2, "needs two CPUs");
        // a quiet program: stops at the tracer stay on one CPU (cheap), yet it is told both CPUs
        // (where it runs is read first: a spread takes two checks of 10 ms with tasks waiting)
        var o = run(spec("/bin/sh", "-c", REAL + "; " + SHOW).limits(Runs.TEST_LIMITS.withCpuMillicores(2000)).build());
        var lines = o.stdout().lines().toList();
        assertThat(lines.get(0)).as("held to one CPU by the platform").matches("\\d+");
        assertThat(lines.get(1)).isEqualTo("2");
        assertThat(lines.get(2)).matches("\\[\\d+, \\d+]");
    }

    @Test
    void twoBusyProcessesAreSpreadOverBothCpus() {
        assumeTrue(CpuSet.engine().length >= 2, "needs two CPUs");
        var o = run(spec("/bin/sh", "-c", TWO_BUSY).limits(Runs.TEST_LIMITS.withCpuMillicores(2000)).build());
        var lines = o.stdout().lines().toList();
        assertThat(lines).as(o.stderr()).hasSize(3);
        // each busy shell and the parent, which did not wait for a CPU itself: the sandbox's tasks move together
        assertThat(lines).allSatisfy(l -> assertThat(l).matches("\\d+[-,]\\d+"));
    }

    @Test
    void withoutTheOptionASandboxHasBothCpusFromTheStart() {
        assumeTrue(CpuSet.engine().length >= 2, "needs two CPUs");
        var o = PtracePathServingTest.withEngineOption(CpuPlacement.PROPERTY, "false",
                () -> run(spec("/bin/sh", "-c", REAL).limits(Runs.TEST_LIMITS.withCpuMillicores(2000)).build()));
        assertThat(o.stdout().strip()).matches("\\d+[-,]\\d+");
    }

    @Test
    void anAffinityTheProgramSetsIsItsOwnAndItsChildrens() {
        assumeTrue(CpuSet.engine().length >= 2, "needs two CPUs");
        // the program asks for its second CPU: from then on the kernel's affinities are the program's
        String script = "import os\n"
                + "cpus = sorted(os.sched_getaffinity(0))\n"
                + "os.sched_setaffinity(0, {cpus[1]})\n"
                + "print(cpus[1], sorted(os.sched_getaffinity(0)), flush=True)\n"
                + "pid = os.fork()\n"
                + "if pid == 0:\n"
                + "    print('child', sorted(os.sched_getaffinity(0)), flush=True); os._exit(0)\n"
                + "os.waitpid(pid, 0)\n"
                + "os.sched_setaffinity(0, set(cpus))\n"
                + "print('again', sorted(os.sched_getaffinity(0)))\n"
                + "print('real', open('/proc/self/status').read().split('Cpus_allowed_list:')[1].split()[0])\n";
        var o = run(spec("/usr/bin/python3", "-c", script).limits(Runs.TEST_LIMITS.withCpuMillicores(2000)).build());
        var lines = o.stdout().lines().toList();
        assertThat(lines).as(o.stderr()).hasSize(4);
        String second = lines.get(0).split(" ")[0];
        assertThat(lines.get(0)).isEqualTo(second + " [" + second + "]");
        assertThat(lines.get(1)).isEqualTo("child [" + second + "]");
        assertThat(lines.get(2)).matches("again \\[\\d+, \\d+]");
        assertThat(lines.get(3)).matches("real \\d+[-,]\\d+");
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
