package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.sentry.ArgumentCheck;
import dev.palisade.sandbox.sentry.ArgumentChecks;
import dev.palisade.sandbox.sentry.Syscall;
import dev.palisade.sandbox.sentry.SyscallTable;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The host-surface table in the README is what the compiled filter does; the filter does what the table says. */
class HostSurfaceTest {

    private static final String START = "<!-- host-surface:start (HostSurface; regenerate: -Dtest=HostSurfaceTest -Dpalisade.regenerate=true) -->\n";
    private static final String END = "<!-- host-surface:end -->";
    private final FilterInterpreter filter = new FilterInterpreter(SeccompFilter.compile(false));

    /** Run with {@code -Dpalisade.regenerate=true} to rewrite the README's table after changing the table or the checks. */
    @Test
    void theReadmesTableIsWhatTheFilterDoes() throws Exception {
        Path readme = Path.of("README.md");
        String text = Files.readString(readme);
        int from = text.indexOf(START), to = text.indexOf(END);
        assertThat(from).as("README has the host-surface markers").isNotNegative();
        assertThat(to).isGreaterThan(from);
        String fresh = HostSurface.render();
        if (Boolean.getBoolean("palisade.regenerate")) {
            text = text.substring(0, from + START.length()) + fresh + text.substring(to);
            Files.writeString(readme, text);
            to = text.indexOf(END);
        }
        assertThat(text.substring(from + START.length(), to))
                .as("README's host-surface table is stale: regenerate with ./mvnw -pl sandbox-engine test -Dtest=HostSurfaceTest -Dpalisade.regenerate=true")
                .isEqualTo(fresh);
    }

    @Test
    void everyPassedCallIsAllowedAndEveryOtherStops() {
        for (Syscall s : SyscallTable.ALL) {
            var v = filter.run(SeccompFilter.AUDIT_ARCH_X86_64, s.number(), 0, 0, 0, 0, 0, 0);
            switch (s.action()) {
                case PASS -> assertThat(v.allowed()).as(s.name()).isTrue();
                case CHECK -> assertThat(v.readArguments()).as(s.name()).isTrue();
                default -> assertThat(v.action()).as(s.name()).isEqualTo(SeccompFilter.RET_TRACE);
            }
        }
        assertThat(filter.run(SeccompFilter.AUDIT_ARCH_X86_64, 400).action()).as("unknown number").isEqualTo(SeccompFilter.RET_TRACE);
        assertThat(filter.run(0x40000003, 1).action()).as("32-bit").isEqualTo(SeccompFilter.RET_KILL_PROCESS);
        assertThat(filter.run(SeccompFilter.AUDIT_ARCH_X86_64, 0x40000001).action()).as("x32").isEqualTo(SeccompFilter.RET_KILL_PROCESS);
    }

    @Test
    void aCheckedCallPassesExactlyItsValuesAndTheSentryAgrees() {
        for (ArgumentCheck a : ArgumentChecks.ALL) {
            assertThat(SyscallTable.get(a.number()).action()).as(a.what()).isEqualTo(Syscall.Action.CHECK);
            for (long v = 0; v < 0x10000; v++) {
                check(a, v);
            }
            for (long v : a.values()) {
                check(a, v);
                check(a, v | 0xabcd_0000_0000L); // the kernel reads an int: the high word does not matter
                check(a, v ^ 0x8000_0000L);
            }
        }
        for (Syscall s : SyscallTable.ALL) {
            assertThat(ArgumentChecks.of(s.number()).isPresent()).as(s.name()).isEqualTo(s.action() == Syscall.Action.CHECK);
        }
    }

    private void check(ArgumentCheck a, long value) {
        long[] args = new long[6];
        args[a.argument()] = value;
        boolean filterAllows = filter.run(SeccompFilter.AUDIT_ARCH_X86_64, a.number(), args).allowed();
        assertThat(filterAllows).as(a.what() + " 0x" + Long.toHexString(value)).isEqualTo(a.allows(value));
        assertThat(a.allows(value)).isEqualTo(a.allowed().containsValue(value & 0xffffffffL));
    }

    @Test
    void noFreeSocketFamilyIoctlOrPersonalityAndAtMostTheListedCallsReachTheHost() {
        var survey = HostSurface.survey();
        var controls = survey.get("device and process controls (ioctl, personality, prctl…)");
        assertThat(controls.get(HostSurface.Reach.FREE)).doesNotContain("ioctl", "personality", "prctl");
        assertThat(controls.get(HostSurface.Reach.CHECKED)).contains("ioctl", "prctl");
        // the Sentry answers personality: not even the query or PER_LINUX reaches the host
        assertThat(controls.get(HostSurface.Reach.NEVER)).contains("personality");
        assertThat(survey.get("network").get(HostSurface.Reach.FREE)).doesNotContain("socket", "socketpair");
        assertThat(survey.get("memory and NUMA").get(HostSurface.Reach.FREE)).doesNotContain("mbind", "set_mempolicy");
        assertThat(survey.get("legacy AIO and io_uring").get(HostSurface.Reach.FREE)).isEmpty();
        // the Sentry chooses the file an exec runs: no exec passes with the program's path
        survey.values().forEach(area -> assertThat(area.get(HostSurface.Reach.FREE)).doesNotContain("execve", "execveat"));
        assertThat(survey.get("paths (a path string the host resolves)").get(HostSurface.Reach.NEVER)).contains("execve", "execveat");
    }
}
