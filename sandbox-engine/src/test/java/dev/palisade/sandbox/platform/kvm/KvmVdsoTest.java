package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.nativeinterop.HostMemory;
import dev.palisade.sandbox.nativeinterop.HostTsc;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The vDSO on KVM: glibc (dynamic and static) finds it through AT_SYSINFO_EHDR and reads the
 * clocks in the guest — no exit per call — with a monotonic clock that never goes back and a
 * realtime that agrees with the host's; what it does not serve, and every abuse of it (stores
 * into its text or clock page, an unmapped timespec, unmapping or changing it), behaves as on
 * Linux (compared with a native run of the same program).
 */
class KvmVdsoTest {
    @TempDir
    static Path bin;
    static Path dynamic;
    static Path statik;

    @BeforeAll
    static void build() throws Exception {
        programDir(bin);
        dynamic = buildSource(bin, "clocks.c", "gcc", "clocks");
        statik = buildSource(bin, "clocks.c", "gcc", "clocks-static", "-static");
    }

    private static SandboxSpec spec(Path ws, String name, String... args) {
        List<String> cmd = new ArrayList<>(List.of("/bin-test/" + name));
        cmd.addAll(List.of(args));
        return SandboxSpec.builder(cmd).bind(new SandboxSpec.Bind(bin, "/bin-test", true)).workspace(ws)
                .limits(Limits.DEFAULT.withWallMillis(30_000).withCpuMillis(20_000)).build();
    }

    private static int status(Run r) {
        return r.result().termination() == Termination.SIGNALED ? 128 + r.result().signal() : r.result().exitCode();
    }

    private static long epochNanos() {
        Instant i = Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    /** On kvm_pvm a guest's rdtsc is the host's, so the page must be in use; elsewhere the check may refuse it. */
    private static void assumeServedInGuest() {
        VdsoClock.start();
        if (SyscallPathProbe.chosen() != SyscallPath.HARDWARE_LSTAR) {
            assertThat(VdsoClock.servedInGuest()).as(VdsoClock.status()).isTrue();
        }
        assumeTrue(VdsoClock.servedInGuest(), VdsoClock::status);
    }

    @ParameterizedTest
    @ValueSource(strings = {"clocks", "clocks-static"})
    void glibc_reads_the_clocks_in_the_guest_monotonic_and_agreeing_with_the_host(String name, @TempDir Path ws) throws Exception {
        assumeServedInGuest();
        long rounds = 2_000_000;   // four clock reads each: ~0.3 s, across a dozen updates of the page
        long before = epochNanos();
        Run r = run(spec(ws, name, "loop", Long.toString(rounds)));
        long after = epochNanos();
        assertThat(r.result().termination()).as(r.result().message() + r.stderr()).isEqualTo(Termination.EXITED);
        assertThat(r.stdout()).contains("ehdr set\n", "elf yes\n", "monotonic back 0\n", "gettimeofday back 0\n",
                "time back 0\n", "getres 0 0.000000001\n", "getcpu 0\n");
        long realtime = Long.parseLong(r.stdout().replaceAll("(?s).*realtime (\\d+).*", "$1"));
        assertThat(realtime).as("the guest's CLOCK_REALTIME at its end, within 50 ms of the host's")
                .isBetween(before - 50_000_000L, after + 50_000_000L);
        Map<String, Long> counts = r.result().syscallCounts();
        // 8 million clock reads; glibc's start-up makes none of these calls
        assertThat(counts.getOrDefault("clock_gettime", 0L)).as(counts.toString()).isZero();
        assertThat(counts.getOrDefault("gettimeofday", 0L)).isZero();
        assertThat(counts.getOrDefault("time", 0L)).isZero();
        assertThat(counts.getOrDefault("clock_getres", 0L)).isZero();
    }

    /** The Sentry answers the syscall from the clock the vDSO reads: a program mixing both sees one clock. */
    @Test
    void the_syscall_and_the_vdso_give_one_monotonic_clock(@TempDir Path ws) throws Exception {
        assumeServedInGuest();
        Run r = run(spec(ws, "clocks-static", "mixed", "3000"));
        assertThat(r.stdout()).as(r.result().message()).isEqualTo("mixed back 0\n");
        assertThat(r.result().syscallCounts().get("clock_gettime")).isEqualTo(3000L);
    }

    /** One page for every VM: a forked child (its own VM, the vDSO copied) reads the same clock as its parent. */
    @Test
    void a_forked_child_has_the_vdso_and_the_same_clock(@TempDir Path ws, @TempDir Path nat) throws Exception {
        assumeServedInGuest();
        Native n = runNative(nat, List.of(dynamic.toString(), "fork"));
        for (String name : List.of("clocks", "clocks-static")) {
            Run r = run(spec(ws, name, "fork"));
            assertThat(r.stdout()).as(r.result().message()).isEqualTo(n.stdout()).isEqualTo("child ok, parent after child ok\n");
            assertThat(r.result().syscallCounts()).containsKey("clone").doesNotContainKey("clock_gettime");
        }
    }

    /** The guest's formula on the page's values, read as the vDSO reads them, against the host's clocks. */
    @Test
    void the_page_agrees_with_the_hosts_clocks_within_a_millisecond() throws Exception {
        assumeServedInGuest();
        HostMemory p = VdsoClock.page();
        long last = Long.MIN_VALUE, worstMono = 0, worstReal = 0;
        for (int i = 0; i < 60; i++) {   // ~1.2 s: across 60 updates
            long seq, guest, off;
            long before, after, realBefore, realAfter;
            // a reading counts only when nothing preempted this thread inside its bracket (a loaded
            // machine can stall it for milliseconds between two host readings): that would be the
            // host's delay, not the page's error
            do {
                seq = p.getInt(VdsoClock.OFF_SEQ);
                realBefore = epochNanos();
                before = System.nanoTime();
                long tsc = HostTsc.read();
                after = System.nanoTime();
                realAfter = epochNanos();
                guest = VdsoClock.predict(tsc, p.getLong(VdsoClock.OFF_TSC_BASE), p.getLong(VdsoClock.OFF_MONO_BASE),
                        p.getLong(VdsoClock.OFF_MULT));
                off = p.getLong(VdsoClock.OFF_REAL_OFFSET);
            } while ((seq & 1) != 0 || p.getInt(VdsoClock.OFF_SEQ) != seq || realAfter - realBefore > 200_000);
            assertThat(guest).as("monotonic").isGreaterThanOrEqualTo(last);
            last = guest;
            long monoErr = guest < before ? before - guest : Math.max(0, guest - after);
            worstMono = Math.max(worstMono, monoErr);
            long real = guest + off;
            worstReal = Math.max(worstReal, real < realBefore ? realBefore - real : Math.max(0, real - realAfter));
            Thread.sleep(20);
        }
        assertThat(worstMono).as("CLOCK_MONOTONIC error, ns").isLessThan(1_000_000L);
        assertThat(worstReal).as("CLOCK_REALTIME error, ns").isLessThan(1_000_000L);
    }

    /** The vDSO does not depend on how a system call leaves the guest: the same on every path that works here. */
    @Test
    void the_vdso_works_on_every_system_call_path(@TempDir Path ws) throws Exception {
        assumeServedInGuest();
        try {
            for (SyscallPathProbe.Trial t : SyscallPathProbe.result().trials()) {
                if (!t.works()) {
                    continue;
                }
                SyscallPathProbe.override = t.path();
                Run r = run(spec(ws, "clocks-static", "loop", "100000"));
                assertThat(r.stdout()).as(t.path() + ": " + r.result().message()).contains("monotonic back 0\n", "ehdr set\n");
                assertThat(r.result().syscallCounts()).as(t.path().toString()).doesNotContainKeys("clock_gettime", "gettimeofday", "time");
                Run bad = run(spec(ws, "clocks-static", "badptr"));
                assertThat(status(bad)).as(t.path() + ": " + bad.result().message()).isEqualTo(139);
                Run errors = run(spec(ws, "clocks-static", "errors"));
                assertThat(errors.stdout()).as(t.path().toString()).contains("bad id: -1 Invalid argument");
            }
        } finally {
            SyscallPathProbe.override = null;
        }
    }

    @Test
    void clocks_the_vdso_does_not_serve_reach_the_sentry_with_linux_errors(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Native n = runNative(nat, List.of(dynamic.toString(), "errors"));
        Run r = run(spec(ws, "clocks", "errors"));
        assertThat(r.stdout()).as(r.result().message()).isEqualTo(n.stdout())
                .contains("bad id: -1 Invalid argument", "thread cputime, bad pointer: -1 Bad address", "process cputime: 0 Success ok");
        assertThat(status(r)).isEqualTo(n.exit()).isZero();
        // the bad ids and the CPU-time clocks went to the Sentry as syscalls
        assertThat(r.result().syscallCounts().get("clock_gettime")).isEqualTo(3L);
        assertThat(r.result().syscallCounts().get("clock_getres")).isEqualTo(1L);
    }

    /** Linux's vDSO writes the result in user space: an unmapped buffer is a SIGSEGV there, not EFAULT. */
    @ParameterizedTest
    @ValueSource(strings = {"badptr", "badtv", "writevdso"})
    void a_bad_buffer_or_a_store_into_the_vdso_is_a_sigsegv_as_natively(String mode, @TempDir Path ws, @TempDir Path nat) throws Exception {
        assumeServedInGuest();
        Native n = runNative(nat, List.of(dynamic.toString(), mode));
        for (String name : List.of("clocks", "clocks-static")) {
            Run r = run(spec(ws, name, mode));
            assertThat(r.stdout()).as(r.result().message()).isEqualTo(n.stdout()).doesNotContain("survived");
            assertThat(status(r)).as(r.result().message()).isEqualTo(n.exit()).isEqualTo(139);
            assertThat(r.result().message()).startsWith("SIGSEGV").doesNotContain("engine");
        }
    }

    @Test
    void the_clock_page_is_readable_but_a_store_into_it_is_a_sigsegv(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Native n = runNative(nat, List.of(dynamic.toString(), "writevvar", "0"));   // natively: [vvar] from /proc/self/maps
        Run r = run(spec(ws, "clocks", "writevvar", Long.toString(GuestLayout.VVAR_VA)));
        assertThat(n.exit()).isEqualTo(139);
        assertThat(status(r)).as(r.result().message()).isEqualTo(139);
        assertThat(r.stdout()).isEqualTo(n.stdout()).doesNotContain("survived");
        // the store, not the load before it (the kind of access is in the message only on the paths that keep the vector)
        assertThat(r.result().message()).startsWith("SIGSEGV: page fault at address 0x" + Long.toHexString(GuestLayout.VVAR_VA));
        // and the clocks of the next sandbox are still right
        assumeServedInGuest();
        Run after = run(spec(ws, "clocks", "loop", "1000"));
        assertThat(after.stdout()).contains("monotonic back 0\n");
    }

    /** The vDSO is two pages, as this host's: unmapping or changing all of it works, splitting it is EINVAL. */
    @ParameterizedTest
    @ValueSource(strings = {"unmap 8192", "unmap 4096", "protect 8192", "protect 4096"})
    void unmapping_or_changing_the_vdso_behaves_as_natively(String mode, @TempDir Path ws, @TempDir Path nat) throws Exception {
        String[] args = mode.split(" ");
        Native n = runNative(nat, List.of(dynamic.toString(), args[0], args[1]));
        Run r = run(spec(ws, "clocks", args[0], args[1]));
        assertThat(r.stdout()).as(r.result().message()).isEqualTo(n.stdout());
        assertThat(status(r)).as(r.result().message()).isEqualTo(n.exit());
    }

    @Test
    void python_time_is_the_hosts_and_costs_no_clock_exits(@TempDir Path dir) throws Exception {
        assumeTrue(have("python3"), "python3 is not installed");
        assumeServedInGuest();
        long before = epochNanos();
        Run r = run(SandboxSpec.builder(List.of("python3", "-c", "import time; print(time.time())")).limits(LIMITS).build());
        long after = epochNanos();
        assertThat(r.result().exitCode()).as(r.result().message() + r.stderr()).isZero();
        double t = Double.parseDouble(r.stdout().trim());
        assertThat((long) (t * 1e9)).isBetween(before - 50_000_000L, after + 50_000_000L);
        // without the vDSO, python3's start-up alone made ~490 clock_gettime exits
        assertThat(r.result().syscallCounts().getOrDefault("clock_gettime", 0L)).as(r.result().syscallCounts().toString()).isZero();
    }
}
