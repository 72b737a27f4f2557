package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Signals on KVM: handlers run with a proper frame (siginfo, FPU state kept), masks and pending
 * sets, fault handlers, default actions — the same output and status as a native run — and
 * forged frames handed to rt_sigreturn stay contained (SIGSEGV, ring 3, no forged privilege).
 */
class KvmSignalTest {
    @TempDir
    static Path bin;
    static Path signals;
    static Path forge;

    @BeforeAll
    static void build() throws Exception {
        programDir(bin);
        signals = buildSource(bin, "signals.c", "gcc", "signals");      // dynamic: ld.so and libc on KVM too
        forge = buildSource(bin, "sigforge.c", "gcc", "sigforge", "-static");
    }

    private static SandboxSpec spec(Path ws, String name, String... args) {
        List<String> cmd = new ArrayList<>(List.of("/bin-test/" + name));
        cmd.addAll(List.of(args));
        return SandboxSpec.builder(cmd).bind(new SandboxSpec.Bind(bin, "/bin-test", true)).workspace(ws)
                .limits(Limits.DEFAULT.withWallMillis(20_000).withCpuMillis(10_000)).build();
    }

    /** The sandbox's status as a shell sees it: the exit code, or 128 + the signal. */
    private static int status(Run r) {
        return r.result().termination() == Termination.SIGNALED ? 128 + r.result().signal() : r.result().exitCode();
    }

    /** On every system call path that works here: the path that loses exception vectors must still tell SIGFPE. */
    @Test
    void handlers_masks_and_fault_handlers_behave_as_natively(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Native n = runNative(nat, List.of(signals.toString()));
        try {
            for (SyscallPathProbe.Trial t : SyscallPathProbe.result().trials()) {
                if (!t.works()) {
                    continue;
                }
                SyscallPathProbe.override = t.path();
                Run r = run(spec(ws, "signals"));
                assertThat(r.stdout()).as(t.path() + ": " + r.result().message()).isEqualTo(n.stdout());
                assertThat(status(r)).isEqualTo(n.exit()).isEqualTo(128 + 10);   // the last raise(SIGUSR1) with SIG_DFL
                assertThat(r.stdout()).contains("raise: sig=10 code=-6 count=1 keep=4.50", "blocked: pending=1 count=2",
                        "unblocked: count=3", "segv: sig=11 at_page=1 code=2 value=42", "fpe: sig=8", "fpe unblocked: 1")
                        .doesNotContain("not reached");
                assertThat(r.result().syscallCounts()).containsKeys("rt_sigreturn", "tgkill", "kill");
            }
        } finally {
            SyscallPathProbe.override = null;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"iopl", "kernel-rip", "noncanonical", "frame-unmapped"})
    void a_forged_signal_frame_ends_the_program_with_sigsegv(String mode, @TempDir Path ws, @TempDir Path nat) throws Exception {
        Run r = run(spec(ws, "sigforge", mode));
        assertThat(r.stdout()).doesNotContain("ESCAPED");
        assertThat(r.result().termination()).as(r.result().message()).isEqualTo(Termination.SIGNALED);
        assertThat(r.result().signal()).isEqualTo(11);
        assertThat(r.result().message()).startsWith("SIGSEGV").doesNotContain("engine");
        assertThat(runNative(nat, List.of(forge.toString(), mode)).exit()).isEqualTo(139);
    }

    /** Linux resets the FPU when a frame's XSAVE image is unreadable or invalid, and the return goes on. */
    @ParameterizedTest
    @ValueSource(strings = {"bad-xsave", "bad-mxcsr", "fpstate-unmapped"})
    void an_invalid_fpu_state_in_a_frame_resets_the_fpu_as_linux_does(String mode, @TempDir Path ws, @TempDir Path nat) throws Exception {
        Run r = run(spec(ws, "sigforge", mode));
        Native n = runNative(nat, List.of(forge.toString(), mode));
        assertThat(r.stdout()).as(r.result().message()).isEqualTo(n.stdout()).isEqualTo("resumed in ring 3\n");
        assertThat(status(r)).isEqualTo(n.exit()).isEqualTo(7);
    }

    /**
     * Interval timers on KVM: SIGALRM reaches its handler and ends pause and a sleep early (EINTR,
     * with the time left); a microsecond interval is held to a millisecond, so one program cannot
     * make the engine's timer thread spin; an alarm left to its default action ends the program.
     */
    @Test
    void timers_signal_the_program_and_a_microsecond_interval_is_held_to_a_millisecond() throws Exception {
        assumeTrue(have("python3"), "python3 is not installed");
        Run r = run(SandboxSpec.builder(List.of("/usr/bin/python3", "-u", "-c", String.join("\n",
                "import signal, time, ctypes",
                "n = [0]",
                "signal.signal(signal.SIGALRM, lambda s, f: n.__setitem__(0, n[0] + 1))",
                "signal.setitimer(signal.ITIMER_REAL, 0.000001, 0.000001)",
                "end = time.monotonic() + 0.5",
                "while time.monotonic() < end:",
                "    signal.pause()",
                "signal.setitimer(signal.ITIMER_REAL, 0)",
                "print('expiries in 0.5 s at most 600:', n[0] <= 600, 'some:', n[0] > 50)",
                "libc = ctypes.CDLL(None, use_errno=True)",
                "class TS(ctypes.Structure): _fields_ = [('s', ctypes.c_long), ('ns', ctypes.c_long)]",
                "req, rem = TS(2, 0), TS(0, 0)",
                "signal.setitimer(signal.ITIMER_REAL, 0.2)",
                "rc = libc.nanosleep(ctypes.byref(req), ctypes.byref(rem))",
                "print('nanosleep', rc, ctypes.get_errno() if rc else 0, 1.5 < rem.s + rem.ns / 1e9 < 1.9)",
                "signal.signal(signal.SIGALRM, signal.SIG_DFL)",
                "signal.setitimer(signal.ITIMER_REAL, 0.1)",
                "signal.pause()"))).limits(Limits.DEFAULT.withWallMillis(20_000)).build());
        assertThat(r.stdout()).isEqualTo("expiries in 0.5 s at most 600: True some: True\nnanosleep -1 4 True\n");
        assertThat(r.result().termination()).as(r.stderr()).isEqualTo(Termination.SIGNALED);
        assertThat(r.result().signal()).isEqualTo(14);
    }

    @Test
    void a_restored_mask_never_blocks_sigkill_and_the_task_stays_in_ring_3(@TempDir Path ws) throws Exception {
        Run r = run(spec(ws, "sigforge", "mask-kill"));
        assertThat(r.stdout()).isEqualTo("resumed in ring 3\n");
        assertThat(r.result().exitCode()).isEqualTo(7);
    }
}
