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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Processes on KVM (a VM per process, memory copied at fork): shell scripts with pipes,
 * redirections, subshells and trap; coreutils; find | xargs; tar and gzip; python3's
 * subprocess; gcc compiling and running a program — the same output and status as on the ptrace
 * platform (the list PtraceBehaviourTest runs against native). Then what must stay contained: a
 * fork bomb meets the process limit, execve of a host file outside the sandbox finds nothing, a
 * child outliving the first process is stopped with it, and a writer to a dead reader gets SIGPIPE.
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
    void shell_pipes_and_coreutils(@TempDir Path dir) throws Exception {
        Run r = sh(dir, "ls /usr/bin | wc -l; seq 1 2000 | sort -r | head -5 | tr '\\n' ' '; echo; "
                + "printf 'b\\na\\nb\\n' | sort | uniq -c; echo hello | sha256sum; expr 6 \\* 7; false; echo status=$?");
        assertThat(r.stdout()).contains("status=1", "42\n");
        assertThat(r.result().syscallCounts()).containsKeys("clone", "execve", "wait4", "pipe2");
        sh(dir, "exit 3");
    }

    @Test
    void redirections_subshells_and_trap(@TempDir Path dir) throws Exception {
        Run r = sh(dir, "trap 'echo trapped' EXIT; (echo sub; exit 4); echo $?; echo out > f; cat < f; "
                + "ls /nonexistent 2>/dev/null || echo missing; x=$(echo inner | tr a-z A-Z); echo $x; nosuchcommand; echo $?");
        assertThat(r.stdout()).isEqualTo("sub\n4\nout\nmissing\nINNER\n127\ntrapped\n");
    }

    @Test
    void find_xargs_tar_and_gzip(@TempDir Path dir) throws Exception {
        sh(dir, "mkdir -p t/a/b && echo one > t/a/1.txt && echo two > t/a/b/2.txt && find t -type f | sort | xargs cat && "
                + "tar czf t.tgz t && rm -r t && tar xzf t.tgz && cat t/a/b/2.txt && gzip -c t/a/1.txt | gunzip");
    }

    @Test
    void python_subprocess(@TempDir Path dir) throws Exception {
        assumeTrue(have("python3"), "python3 is not installed");
        Run r = sh(dir, "python3 -c 'import subprocess, json; p = subprocess.run([\"sh\", \"-c\", \"echo sub; exit 5\"], "
                + "capture_output=True); print(json.dumps([p.stdout.decode(), p.returncode]))'");
        assertThat(r.stdout()).isEqualTo("[\"sub\\n\", 5]\n");
    }

    @Test
    void gcc_compiles_and_runs_a_program(@TempDir Path dir) throws Exception {
        assumeTrue(have("gcc"), "gcc is not installed");
        Run r = sh(dir, "printf '#include <stdio.h>\\nint main(void){int s=0;for(int i=0;i<100;i++)s+=i;printf(\"%%d\\\\n\",s);return 7;}\\n' > m.c"
                + " && gcc -O2 -o m m.c && ./m");
        assertThat(r.stdout()).isEqualTo("4950\n");
        assertThat(r.result().exitCode()).isEqualTo(7);
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
