package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;

/** /proc's resource views show the sandbox's limits, so free, nproc and python agree with the spec. */
class PtraceProcViewsTest {

    private static final String SHOW = "free -b | awk '/^Mem:/ {print $2}'; nproc; "
            + "python3 -c 'import os; print(os.cpu_count(), os.sysconf(\"SC_PHYS_PAGES\") * os.sysconf(\"SC_PAGE_SIZE\"))'; "
            + "grep -c ^processor /proc/cpuinfo; grep -c '^cpu[0-9]' /proc/stat; "
            + "(echo x > /proc/meminfo) 2>/dev/null || echo read-only";

    @BeforeAll
    static void platform() {
        Runs.assumePlatform();
    }

    @Test
    void memoryAndCpusAreTheSpecs() {
        var o = run(spec("/bin/sh", "-c", SHOW).limits(Runs.TEST_LIMITS.withMemoryBytes(256L << 20).withCpuMillicores(1000)).build());
        assertThat(o.stdout()).as(o.stderr()).isEqualTo((256L << 20) + "\n1\n1 " + (256L << 20) + "\n1\n1\nread-only\n");
        assertThat(o.result().termination()).isEqualTo(Termination.EXITED);
    }

    @Test
    void withoutACpuLimitEveryCpuOfTheEngineIsShown() {
        int n = CpuSet.engine().length;
        var o = run(spec("/bin/sh", "-c", SHOW).limits(Runs.TEST_LIMITS.withMemoryBytes(300L << 20)).build());
        assertThat(o.stdout()).as(o.stderr())
                .isEqualTo((300L << 20) + "\n" + n + "\n" + n + " " + (300L << 20) + "\n" + n + "\n" + n + "\nread-only\n");
    }
}
