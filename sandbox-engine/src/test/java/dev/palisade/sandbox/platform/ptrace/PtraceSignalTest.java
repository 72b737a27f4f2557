package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.runNative;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Faults and traps of the program reach the program as Linux delivers them: its own handler
 * runs, or the signal ends it with the same status as natively. The tracer keeps only its own stops.
 */
class PtraceSignalTest {

    static Path attacks;

    @BeforeAll
    static void compile() throws Exception {
        Runs.assumePlatform();
        attacks = Runs.compileAttacks();
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"int3, none, 5", "int3, handler, 5", "ud2, none, 4", "ud2, handler, 4", "segv, none, 11",
            "segv, handler, 11", "raise-trap, none, 5", "raise-trap, handler, 5"})
    void aTrapOrFaultEndsTheProgramOrRunsItsHandlerAsNatively(String what, String handler, int signal, @TempDir Path dir) {
        var nat = runNative(dir, Map.of(), attacks.resolve("signals").toString(), what, handler);
        var box = run(spec("/att/signals", what, handler).bind(new SandboxSpec.Bind(attacks, "/att", true)).build());
        assertThat(box.stdout()).as("stdout").isEqualTo(nat.stdout()).doesNotContain("survived");
        assertThat(box.status()).as("status").isEqualTo(nat.status());
        if (handler.equals("handler")) {
            assertThat(box.stdout()).contains("handled signal " + signal);
            assertThat(box.result().termination()).isEqualTo(Termination.EXITED);
        } else {
            assertThat(box.status()).isEqualTo(128 + signal);
            assertThat(box.result().termination()).isEqualTo(Termination.SIGNALED);
            assertThat(box.result().signal()).isEqualTo(signal);
        }
    }

    @Test
    void aStoppedProcessStaysStoppedUntilContinued(@TempDir Path dir) {
        // a stopped task under a tracer is shown as "t" (tracing stop) rather than "T": both are stopped
        String script = "sleep 2 & p=$!; kill -STOP $p; sleep 0.3; grep State /proc/$p/status | cut -c8 | tr t T; "
                + "kill -CONT $p; sleep 0.3; grep State /proc/$p/status | cut -c8; kill $p; wait $p; echo status=$?";
        var nat = runNative(dir, Map.of(), "/bin/sh", "-c", script);
        var box = run(spec("/bin/sh", "-c", script).build());
        assertThat(nat.stdout()).isEqualTo("T\nS\nstatus=143\n");
        assertThat(box.stdout()).isEqualTo(nat.stdout());
    }
}
