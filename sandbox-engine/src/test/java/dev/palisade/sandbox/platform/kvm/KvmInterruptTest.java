package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.NetworkPolicy;
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
 * Signals that interrupt blocked calls on KVM, as on Linux: a pipe, a Unix socket, wait4 and a
 * futex wait end with EINTR, or are made again after a handler with SA_RESTART; a partial write
 * returns its count; epoll_wait, poll and select end with EINTR even with SA_RESTART. Alternate
 * signal stacks (a stack overflow caught on one; hostile ones end in SIGSEGV as natively), the
 * interval timer across execve, and a storm of signals at a blocked reader. Each is the same
 * output and status as a native run of {@code eintr.c}.
 */
class KvmInterruptTest {
    @TempDir
    static Path bin;
    static Path eintr;
    static Path eintrStatic;

    @BeforeAll
    static void build() throws Exception {
        programDir(bin);
        eintr = buildSource(bin, "eintr.c", "gcc", "eintr", "-pthread");   // dynamic: glibc's own wrappers and restarts
        eintrStatic = buildSource(bin, "eintr.c", "gcc", "eintr-static", "-pthread", "-static");
    }

    private static SandboxSpec spec(Path ws, String... args) {
        return spec(ws, "eintr", args);
    }

    private static SandboxSpec spec(Path ws, String program, String[] args) {
        List<String> cmd = new ArrayList<>(List.of("/bin-test/" + program));
        cmd.addAll(List.of(args));
        return SandboxSpec.builder(cmd).bind(new SandboxSpec.Bind(bin, "/bin-test", true)).workspace(ws)
                .limits(Limits.DEFAULT.withWallMillis(30_000).withCpuMillis(20_000)).build();
    }

    private static Native nativeRun(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(eintr.toString()));
        cmd.addAll(List.of(args));
        return runNative(dir, cmd);
    }

    /** The sandbox's status as a shell sees it: the exit code, or 128 + the signal. */
    private static int status(Run r) {
        return r.result().termination() == Termination.SIGNALED ? 128 + r.result().signal() : r.result().exitCode();
    }

    /**
     * On every system call path that works here, dynamic and static: on the MMIO path a static
     * program's read() site is patched after its first whole read of a file, so a restarted read
     * must enter the site's thunk again (a dynamic glibc lies too far from the thunks to be patched).
     */
    @Test
    void blocked_calls_end_with_eintr_or_are_restarted_as_natively(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Native n = nativeRun(nat, "calls");
        assertThat(n.stdout()).contains("pipe read no SA_RESTART: -1 EINTR handled=1",
                "pipe read SA_RESTART: 5 ok handled=1 data=hello",
                "socket recv no SA_RESTART: -1 EINTR handled=1", "socket recv SA_RESTART: 5 ok handled=1 data=world",
                "socket recv with SO_RCVTIMEO and SA_RESTART: -1 EINTR",
                "wait4 no SA_RESTART: EINTR handled=1 then status 7", "wait4 SA_RESTART: the child handled=1 then status 7",
                "futex wait no SA_RESTART: -1 EINTR handled=1", "futex wait with a timeout, SA_RESTART: -1 EINTR handled=1",
                "futex wait SA_RESTART: woken=1 handled=1 no EINTR",
                "partial write to a full pipe: a count handled=1 (0 < n < 1048576: yes)",
                "epoll_wait with SA_RESTART: -1 EINTR handled=1", "poll with SA_RESTART: -1 EINTR handled=1",
                "select with SA_RESTART: -1 EINTR handled=1");
        try {
            for (SyscallPathProbe.Trial t : SyscallPathProbe.result().trials()) {
                if (!t.works()) {
                    continue;
                }
                SyscallPathProbe.override = t.path();
                for (String program : List.of("eintr", "eintr-static")) {
                    Run r = run(spec(ws, program, new String[] {"calls"}));
                    assertThat(r.stdout()).as(t.path() + " " + program + ": " + r.result().message()).isEqualTo(n.stdout());
                    assertThat(status(r)).isEqualTo(n.exit()).isEqualTo(3);
                    assertThat(r.result().syscallCounts()).containsKeys("rt_sigreturn", "wait4", "epoll_wait", "futex");
                }
            }
        } finally {
            SyscallPathProbe.override = null;
        }
    }

    /**
     * accept on a TCP listener of the sandbox's loopback: EINTR without SA_RESTART; with it,
     * restarted by each of three timer signals until the handler takes SA_RESTART away, and
     * the fourth ends it with EINTR.
     */
    @Test
    void a_blocked_tcp_accept_is_interrupted_and_restarted_as_natively(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Native n = nativeRun(nat, "tcp");
        assertThat(n.stdout()).isEqualTo("tcp accept no SA_RESTART: -1 EINTR handled=1\ntcp accept SA_RESTART: -1 EINTR after 4 signals\n");
        Run r = run(SandboxSpec.builder(List.of("/bin-test/eintr", "tcp")).bind(new SandboxSpec.Bind(bin, "/bin-test", true))
                .workspace(ws).network(NetworkPolicy.LOOPBACK).limits(Limits.DEFAULT.withWallMillis(30_000)).build());
        assertThat(r.stdout()).as(r.result().message()).isEqualTo(n.stdout());
        assertThat(status(r)).isEqualTo(n.exit()).isEqualTo(3);
    }

    @Test
    void a_stack_overflow_is_caught_by_a_handler_on_the_alternate_stack(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Native n = nativeRun(nat, "altstack");
        Run r = run(spec(ws, "altstack"));
        assertThat(r.stdout()).as(r.result().message()).isEqualTo(n.stdout());
        assertThat(status(r)).isEqualTo(n.exit()).isZero();
        assertThat(r.stdout()).contains("at start: flags=2 size=0", "below MINSIGSTKSZ: -1 Cannot allocate memory",
                "bad flags: -1 Invalid argument", "unmapped ss: -1 Bad address", "unmapped oss: -1 Bad address",
                "set anyway: flags=0 size matches=1 sp matches=1", "a new thread: flags=2", "a forked child: flags=0 sp matches=1",
                "overflow caught: sig=11 on the alternate stack=1 uc_stack matches=1 flags now=1 set while on it=-1 "
                        + "Operation not permitted");
    }

    /**
     * An alternate stack the program points at unmapped memory, or sizes near 2^64 so that its
     * top wraps below its base: the handler's frame cannot be written there and the program ends
     * with SIGSEGV, as natively; one below the stack with that size counts every stack pointer
     * above it as on it, and the handler runs where the program is, as natively.
     */
    @ParameterizedTest
    @ValueSource(strings = {"unmapped", "huge", "huge-above"})
    void a_hostile_alternate_stack_behaves_as_natively(String mode, @TempDir Path ws, @TempDir Path nat) throws Exception {
        Native n = nativeRun(nat, "altbad", mode);
        Run r = run(spec(ws, "altbad", mode));
        assertThat(r.stdout()).as(r.result().message()).isEqualTo(n.stdout());
        assertThat(status(r)).isEqualTo(n.exit()).isEqualTo(mode.equals("huge") ? 3 : 139);
        if (!mode.equals("huge")) {
            assertThat(r.result().message()).startsWith("SIGSEGV").doesNotContain("engine");
        }
    }

    @Test
    void the_interval_timer_goes_on_across_execve(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Native n = nativeRun(nat, "exectimer");
        Run r = run(spec(ws, "exectimer"));
        assertThat(r.stdout()).as(r.result().message()).isEqualTo(n.stdout())
                .isEqualTo("armed, execve\nnew image: timer still armed=1\nSIGALRM after execve\n");
        assertThat(status(r)).isEqualTo(n.exit()).isZero();
    }

    /** 2000 signals from another process at a reader blocked with SA_RESTART: it reads its byte, and no engine thread stays behind. */
    @Test
    void a_storm_of_signals_at_a_blocked_reader_neither_hangs_nor_leaks_threads(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Native n = nativeRun(nat, "storm");
        long before = vcpuThreads();
        long t0 = System.nanoTime();
        Run r = run(spec(ws, "storm"));
        assertThat(r.stdout()).as(r.result().message()).isEqualTo(n.stdout()).isEqualTo("after the storm: read=1 ok handled some=1\n");
        assertThat(status(r)).isEqualTo(n.exit()).isEqualTo(3);
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(20_000);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (vcpuThreads() > before && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(vcpuThreads()).as("vCPU threads after the storm").isLessThanOrEqualTo(before);
    }

    /** The engine's threads that run a sandbox's forked processes and threads (the first process's is a standby's). */
    private static long vcpuThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("palisade-kvm-vcpu-")).count();
    }
}
