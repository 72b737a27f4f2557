package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Processes on KVM (a VM per process, memory copied at fork) where they must stay contained: a
 * fork bomb meets the process limit, execve of a host file outside the sandbox finds nothing, a
 * child outliving the first process is stopped with it, and a writer to a dead reader gets
 * SIGPIPE as on the ptrace platform. Whole programs (shell scripts, coreutils, python3, gcc…)
 * against native runs are {@code CompatibilityTest}'s list.
 */
class KvmProcessTest {

    @BeforeAll
    static void kvm() {
        assumeKvm();
    }

    private static Run sh(Path dir, String script) throws Exception {
        return sameAsPtrace(dir, null, "/bin/sh", "-c", script);
    }

    @Test
    void a_writer_to_a_dead_reader_gets_sigpipe(@TempDir Path dir) throws Exception {
        Run r = sh(dir, "yes | head -2; find /usr/share -maxdepth 2 | head -1 >/dev/null; echo done");
        assertThat(r.stdout()).isEqualTo("y\ny\ndone\n");
        assertThat(r.stderr()).isEmpty();
    }

    @Test
    void a_fork_bomb_meets_the_process_limit() throws Exception {
        var spec = SandboxSpec.builder(List.of("/bin/sh", "-c", "i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done; echo spawned"))
                .limits(LIMITS.withMaxProcesses(8)).build();
        Run r = run(spec);
        assertThat(r.result().deniedCalls()).anySatisfy(d -> assertThat(d.detail()).contains("process limit 8"));
        assertThat(r.result().wallNanos()).isLessThan(20_000_000_000L);
    }

    @Test
    void execve_of_a_host_file_outside_the_sandbox_finds_nothing(@TempDir Path host) throws Exception {
        java.nio.file.Path outside = java.nio.file.Files.copy(Path.of("/bin/true"), host.resolve("outside"));
        var spec = SandboxSpec.builder(List.of("/bin/sh", "-c", "exec " + outside)).limits(LIMITS).build();
        Run r = run(spec);
        assertThat(r.result().exitCode()).isEqualTo(127);
        assertThat(r.stderr()).contains("not found");
        assertThat(r.result().syscallCounts()).containsKey("execve");
    }

    @Test
    void a_child_outliving_the_first_process_is_stopped_with_it() throws Exception {
        var spec = SandboxSpec.builder(List.of("/bin/sh", "-c", "sleep 30 & echo started")).limits(LIMITS).build();
        long t0 = System.nanoTime();
        Run r = run(spec);
        assertThat(r.stdout()).isEqualTo("started\n");
        assertThat(r.result().termination()).isEqualTo(Termination.EXITED);
        assertThat(System.nanoTime() - t0).isLessThan(10_000_000_000L);
    }
}
