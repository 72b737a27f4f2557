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
 * Process groups, sessions and the wait family on KVM ({@code pgroups.c}): setpgid and setsid
 * with Linux's errnos, kill of a group, of the caller's group and of everyone, wait4 by group,
 * waitid with its siginfo (and a hostile infop), SIGCHLD's siginfo, children that reap themselves,
 * rt_sigtimedwait — the same output as a native run, or as the ptrace platform where a native
 * run would reach outside (kill(-1)).
 */
class KvmProcessGroupTest {
    @TempDir
    static Path bin;
    static Path pgroups;

    @BeforeAll
    static void build() throws Exception {
        programDir(bin);
        pgroups = buildSource(bin, "pgroups.c", "gcc", "pgroups");
    }

    private static SandboxSpec spec(Path ws, String... args) {
        List<String> cmd = new ArrayList<>(List.of("/bin-test/pgroups"));
        cmd.addAll(List.of(args));
        return SandboxSpec.builder(cmd).bind(new SandboxSpec.Bind(bin, "/bin-test", true)).workspace(ws)
                .limits(Limits.DEFAULT.withWallMillis(30_000).withCpuMillis(20_000)).build();
    }

    /** The whole program runs in a session of its own, so that natively it neither sees nor touches the test's. */
    @Test
    void groups_sessions_waits_and_sigtimedwait_behave_as_natively(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Native n = runNative(nat, List.of(pgroups.toString()));
        Run r = run(spec(ws));
        assertThat(r.stdout()).as(r.result().message() + "\n" + r.stderr()).isEqualTo(n.stdout());
        assertThat(r.result().exitCode()).isZero().isEqualTo(n.exit());
        assertThat(r.stdout()).contains(
                "setpgid(0,0) as session leader: EPERM\n",
                "parent: setpgid of a child in another session EPERM\n",
                "exec'd child says y; setpgid on it: EACCES\n",
                "kill(-pgid, SIGTERM): 0\nleader: signal 15\nmember: signal 15\n",
                "kill(-pgid) of an emptied group: ESRCH\n",
                "other: signal 10, ours handled 1\n",
                "kill of a zombie: 0, of its group: 0\nonce waited for: ESRCH, its group: ESRCH\n",
                "waitpid(-pgid): the member 1, exit 7\n",
                "waitid WNOWAIT: 0 signo 17 code 1 pid 1 uid 1 status 3\n",
                "waitid bad idtype: EINVAL\n",
                "waitid infop=1: EFAULT\nwaitid kernel infop: EFAULT\nboth reaped: ECHILD\n",
                "SIGCHLD: count 2 code 2 pid 1 status 9\n",
                "SA_NOCLDWAIT: wait ECHILD\n",
                "sigtimedwait, none: EAGAIN\n",
                "rt_sigtimedwait, set at 1: EFAULT\nrt_sigtimedwait, timeout at 1: EFAULT\nrt_sigtimedwait, info at 1: EFAULT\n"
                        + "taken all the same: 1\n",
                "sigtimedwait, another signal: EINTR handled 1\n",
                "sigwaitinfo SIGCHLD, blocked with its default: 17 code 1 pid 1 status 4\n",
                "sigtimedwait SIGURG, raised while blocked and ignored: 23\n",
                "done\nsession: exit 0\n");
        assertThat(r.result().syscallCounts()).containsKeys("setpgid", "setsid", "getsid", "waitid", "rt_sigtimedwait");
        assertThat(r.result().deniedCalls()).as("none of them refused")
                .noneMatch(d -> List.of("setpgid", "setsid", "getsid", "getpgid", "waitid", "wait4", "kill", "rt_sigtimedwait")
                        .contains(d.name()));
    }

    /** As in a pid namespace whose init is the session leader, pid 1 leads the first session and its group. */
    @Test
    void the_first_process_leads_its_session_and_group(@TempDir Path ws) throws Exception {
        Run r = run(spec(ws, "init"));
        assertThat(r.stdout()).as(r.result().message()).isEqualTo("pid 1 sid 1 pgrp 1 setpgid EPERM setsid EPERM\n");
    }

    /** kill(-1) reaches every process but the caller (and init); natively it would reach the host's, so ptrace is the reference. */
    @Test
    void kill_minus_one_reaches_every_other_process_as_on_ptrace(@TempDir Path ws, @TempDir Path ws2) throws Exception {
        assumeTrue(PTRACE.unavailableReason().isEmpty(), () -> "ptrace platform unavailable: " + PTRACE.unavailableReason().orElse(""));
        Run kvm = run(spec(ws, "killall"));
        Run ptrace = run(PTRACE, spec(ws2, "killall"), null);
        assertThat(kvm.stdout()).as(kvm.result().message()).isEqualTo(ptrace.stdout()).isEqualTo("kill(-1, SIGTERM): 0\n"
                + "children ended by SIGTERM: 3, then wait ECHILD; the caller's handler ran 0 times\n"
                + "kill(-1, 0) with nobody left: ESRCH\n");
        assertThat(kvm.result().termination()).isEqualTo(Termination.EXITED).isEqualTo(ptrace.result().termination());
    }
}
