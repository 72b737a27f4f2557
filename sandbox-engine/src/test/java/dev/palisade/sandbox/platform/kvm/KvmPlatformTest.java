package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Real static programs under the KVM platform: same output as native, contained, limited. */
class KvmPlatformTest {
    @TempDir
    static Path bin;
    static final Map<String, Path> PROGRAMS = new LinkedHashMap<>();

    @BeforeAll
    static void buildPrograms() throws Exception {
        assumeKvm();
        assumeTrue(have("gcc"), "gcc not installed: the KVM tests build their static test programs with it");
        PROGRAMS.put("glibc", build(bin, "gcc", "probe-glibc", "-static"));
        try {
            PROGRAMS.put("glibc-pie", build(bin, "gcc", "probe-glibc-pie", "-static-pie"));
        } catch (IllegalStateException e) {
            // this toolchain cannot link static PIE; that variant is skipped
        }
        Path musl = build(bin, "musl-gcc", "probe-musl", "-static");
        if (musl != null) {
            PROGRAMS.put("musl", musl);
        }
    }

    static SandboxSpec.Builder spec(Path ws, String program, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("/bin-test/" + PROGRAMS.get(program).getFileName());
        cmd.addAll(List.of(args));
        SandboxSpec.Builder b = SandboxSpec.builder(cmd)
                .bind(new SandboxSpec.Bind(bin, "/bin-test", true))
                .limits(Limits.DEFAULT.withWallMillis(30_000).withCpuMillis(20_000));
        if (ws != null) {
            b.workspace(ws);
        }
        return b;
    }

    private static void assumeProgram(String p) {
        assumeTrue(PROGRAMS.containsKey(p), p + " compiler not installed (apt-get install musl-tools)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"glibc", "glibc-pie", "musl"})
    void static_programs_give_the_same_output_and_status_as_natively(String program, @TempDir Path ws, @TempDir Path nat)
            throws Exception {
        assumeProgram(program);
        assumeTrue(PROGRAMS.get(program) != null, program + " could not be built here");
        for (String mode : List.of("hello", "files", "memory", "readahead")) {
            Run r = run(spec(ws, program, mode).build());
            Native n = runNative(nat, List.of(PROGRAMS.get(program).toString(), mode));
            assertThat(r.stdout()).as(program + " " + mode).isEqualTo(n.stdout());
            assertThat(r.result().termination()).as(r.result().message()).isEqualTo(Termination.EXITED);
            assertThat(r.result().exitCode()).isEqualTo(n.exit());
        }
    }

    @Test
    void sequential_reads_are_served_inside_the_guest_on_the_mmio_path(@TempDir Path ws) throws Exception {
        assumeTrue(SyscallPathProbe.chosen() == SyscallPath.PVM_MMIO, "read-ahead exists on the MMIO path only");
        Run r = run(spec(ws, "glibc", "readahead").build());
        assertThat(r.stdout()).contains("sequential: off=409600 pos=409600 sum=52224000 bad=0");
        // the program makes ~120 read calls; most never leave the guest
        assertThat(r.result().syscallCounts().get("read")).isLessThan(40);
    }

    @Test
    void emulated_calls_answer_like_a_small_linux(@TempDir Path ws) throws Exception {
        Run r = run(spec(ws, "glibc", "misc").build());
        assertThat(r.stdout()).contains("sysname=Linux machine=x86_64", "slept >= 20ms: 1", "time plausible: 1",
                "getrandom=16", "sigaction=0", "bad pointer write errno=EFAULT", "unknown syscall errno=ENOSYS",
                "ptrace errno=EPERM");
        assertThat(r.result().deniedCalls()).extracting(d -> d.name()).contains("ptrace", "unknown_600");
        assertThat(r.result().syscallCounts()).containsKeys("clock_nanosleep", "uname");
        assertThat(r.result().platform()).isEqualTo("kvm");
    }

    @Test
    void stdin_reaches_the_program(@TempDir Path ws) throws Exception {
        byte[] data = new byte[300_000];
        new Random(3).nextBytes(data);
        String text = java.util.Base64.getEncoder().encodeToString(data);
        Run r = run(spec(ws, "glibc", "cat").build(), text.getBytes(StandardCharsets.US_ASCII));
        assertThat(r.stdout()).isEqualTo(text);
    }

    @Test
    void the_program_sees_only_its_own_root(@TempDir Path ws) throws Exception {
        Run r = run(spec(ws, "glibc", "escape").build());
        assertThat(r.stdout()).contains("/etc/shadow: ENOENT", "../../../../etc/shadow: ENOENT", "/root: ENOENT",
                "/home: ENOENT", "/proc/kcore: ENOENT", "/dev/sda: ENOENT", "/workspace/esc/etc/shadow: ENOENT",
                "rel symlink: ENOENT", "write /etc/passwd: EROFS", "cwd after .. from /: /");
        assertThat(r.stdout()).doesNotContain("OPENED", "LEAK");
    }

    @Test
    void allocating_without_end_hits_the_memory_limit(@TempDir Path ws) throws Exception {
        Run r = run(spec(ws, "glibc", "alloc").limits(Limits.DEFAULT.withMemoryBytes(64L << 20)).build());
        assertThat(r.result().termination()).isEqualTo(Termination.MEMORY_LIMIT);
        assertThat(r.result().message()).contains("memory limit");
        assertThat(r.result().peakMemoryBytes()).isLessThanOrEqualTo(64L << 20);
    }

    @Test
    void a_huge_address_space_reservation_ends_the_sandbox_not_the_engine(@TempDir Path ws) throws Exception {
        Run r = run(spec(ws, "glibc", "reserve").build());
        assertThat(r.result().termination()).isEqualTo(Termination.MEMORY_LIMIT);
        assertThat(r.result().message()).contains("address space limit");
    }

    @Test
    void the_platform_tells_static_programs_from_dynamic_ones(@TempDir Path ws) {
        assertThat(PLATFORM.dynamicProgram(spec(ws, "glibc", "hello").build())).contains(false);
        var dynamic = SandboxSpec.builder(List.of("/bin/ls")).workspace(ws).build();
        assertThat(PLATFORM.canRun(dynamic)).isTrue();
        assertThat(PLATFORM.dynamicProgram(dynamic)).contains(true);
        assertThat(PLATFORM.dynamicProgram(SandboxSpec.builder(List.of("/etc/hostname")).workspace(ws).build())).isEmpty();
    }

    @Test
    void a_spinning_program_hits_the_cpu_limit(@TempDir Path ws) throws Exception {
        long t0 = System.nanoTime();
        Run r = run(spec(ws, "glibc", "spin").limits(Limits.DEFAULT.withCpuMillis(300)).build());
        assertThat(r.result().termination()).isEqualTo(Termination.CPU_LIMIT);
        assertThat(r.result().message()).contains("CPU time limit of 300 ms");
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);
    }

    @Test
    void a_running_program_reports_the_cpu_it_has_used_so_far(@TempDir Path ws) throws Exception {
        try (var s = PLATFORM.start(spec(ws, "glibc", "spin").build())) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            long used = s.cpuNanosSoFar();
            while (used < 200_000_000L && System.nanoTime() < deadline) {
                Thread.sleep(50);
                used = s.cpuNanosSoFar();
            }
            // the platform charges a running service by this figure: it must grow while the program spins
            assertThat(used).isGreaterThanOrEqualTo(200_000_000L);
            long later = used;
            while (later == used && System.nanoTime() < deadline) {
                Thread.sleep(50);
                later = s.cpuNanosSoFar();
            }
            assertThat(later).isGreaterThan(used);
            s.kill();
        }
    }

    @Test
    void a_sleeping_program_hits_the_wall_limit(@TempDir Path ws) throws Exception {
        Run r = run(spec(ws, "glibc", "sleep").limits(Limits.DEFAULT.withWallMillis(300)).build());
        assertThat(r.result().termination()).isEqualTo(Termination.WALL_LIMIT);
    }

    @Test
    void writes_past_the_file_size_limit_fail(@TempDir Path ws) throws Exception {
        Limits l = Limits.DEFAULT.withFileSizeBytes(1 << 20);
        Run killed = run(spec(ws, "glibc", "fsize").limits(l).build());
        assertThat(killed.result().termination()).isEqualTo(Termination.FILE_SIZE_LIMIT);
        assertThat(killed.result().signal()).isEqualTo(25);
        Run ignored = run(spec(ws, "glibc", "fsize", "ignore").limits(l).build());
        assertThat(ignored.stdout()).contains("write failed after 1048576 bytes: EFBIG");
        assertThat(Files.size(ws.resolve("big.bin"))).isEqualTo(1 << 20);
    }

    @Test
    void output_past_the_limit_ends_the_sandbox(@TempDir Path ws) throws Exception {
        Run r = run(spec(ws, "glibc", "spam").limits(Limits.DEFAULT.withOutputBytes(10_000)).build());
        assertThat(r.result().termination()).isEqualTo(Termination.OUTPUT_LIMIT);
        assertThat(r.stdout().length()).isLessThanOrEqualTo(10_000);
    }

    @Test
    void sandboxes_run_side_by_side(@TempDir Path ws) throws Exception {
        List<java.util.concurrent.CompletableFuture<Run>> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String mode = i % 2 == 0 ? "files" : "readahead";
            Path own = Files.createDirectories(ws.resolve("w" + i));
            runs.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return run(spec(own, "glibc", mode).build());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (var f : runs) {
            Run r = f.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(r.result().termination()).as(r.result().message()).isEqualTo(Termination.EXITED);
            assertThat(r.result().exitCode()).isZero();
        }
    }

    @Test
    void tampering_with_the_read_ahead_table_hurts_only_the_program(@TempDir Path ws) throws Exception {
        Run r = run(spec(ws, "glibc", "tamper").build());
        assertThat(r.result().termination()).as(r.result().message()).isIn(Termination.EXITED, Termination.SIGNALED);
        Run after = run(spec(ws, "glibc", "hello").build());
        assertThat(after.stdout()).isEqualTo("hello, 2 args, HOME=(unset)\n");
    }

    @Test
    void kill_ends_a_running_sandbox(@TempDir Path ws) throws Exception {
        try (var s = PLATFORM.start(spec(ws, "glibc", "spin").build())) {
            Thread.sleep(100);
            s.kill();
            assertThat(s.await(java.time.Duration.ofSeconds(5))).get()
                    .extracting(x -> x.termination()).isEqualTo(Termination.KILLED);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"segv", "wild", "kernel"})
    void bad_memory_accesses_end_the_sandbox_with_sigsegv(String mode, @TempDir Path ws) throws Exception {
        Run r = run(spec(ws, "glibc", mode).build());
        assertThat(r.result().termination()).isEqualTo(Termination.SIGNALED);
        assertThat(r.result().signal()).as(r.result().message()).isEqualTo(11);
        assertThat(r.result().message()).startsWith("SIGSEGV");
    }

    @Test
    void an_invalid_instruction_ends_the_sandbox_with_sigill(@TempDir Path ws) throws Exception {
        Run r = run(spec(ws, "glibc", "ill").build());
        assertThat(r.result().termination()).isEqualTo(Termination.SIGNALED);
        assertThat(r.result().signal()).as(r.result().message()).isEqualTo(4);
    }

    @Test
    void abort_ends_with_sigabrt(@TempDir Path ws) throws Exception {
        Run r = run(spec(ws, "glibc", "abort").build());
        assertThat(r.result().termination()).isEqualTo(Termination.SIGNALED);
        assertThat(r.result().signal()).isEqualTo(6);
    }

    @Test
    void garbage_executables_and_missing_interpreters_are_refused_with_a_clear_message(@TempDir Path ws) throws Exception {
        // a dynamic program whose interpreter is not in the sandbox's root (an image with only the program)
        Path image = Files.createDirectories(ws.resolve("image/bin"));
        Files.copy(Path.of("/bin/ls"), image.resolve("ls"));
        SandboxSpec dyn = SandboxSpec.builder(List.of("/bin/ls")).root(ws.resolve("image")).workspace(ws).build();
        assertThat(PLATFORM.canRun(dyn)).isFalse();
        assertThatThrownBy(() -> PLATFORM.start(dyn)).isInstanceOf(SandboxException.class)
                .hasMessageContaining("interpreter /lib64/ld-linux-x86-64.so.2 is not in the sandbox");
        byte[] junk = new byte[10_000];
        new Random(5).nextBytes(junk);
        Files.write(ws.resolve("junk"), junk);
        SandboxSpec garbage = SandboxSpec.builder(List.of("/workspace/junk")).workspace(ws).build();
        assertThatThrownBy(() -> PLATFORM.start(garbage)).isInstanceOf(SandboxException.class)
                .hasMessageContaining("not an ELF");
        assertThatThrownBy(() -> PLATFORM.start(SandboxSpec.builder(List.of("/nonexistent")).workspace(ws).build()))
                .isInstanceOf(SandboxException.class).hasMessageContaining("not found");
    }

    @Test
    void every_working_syscall_path_runs_programs_and_reports_faults(@TempDir Path ws) throws Exception {
        SyscallPathProbe.Result probe = SyscallPathProbe.result();
        assertThat(probe.chosen()).isNotNull();
        try {
            for (SyscallPathProbe.Trial t : probe.trials()) {
                if (!t.works()) {
                    continue;
                }
                SyscallPathProbe.override = t.path();
                Run ok = run(spec(ws, "glibc", "hello").build());
                assertThat(ok.stdout()).as(t.path().name()).isEqualTo("hello, 2 args, HOME=(unset)\n");
                assertThat(ok.result().exitCode()).isEqualTo(3);
                Run segv = run(spec(ws, "glibc", "segv").build());
                assertThat(segv.result().signal()).as(t.path() + ": " + segv.result().message()).isEqualTo(11);
                assertThat(segv.result().message()).contains("0x1234");
                Run ill = run(spec(ws, "glibc", "ill").build());
                assertThat(ill.result().signal()).as(t.path() + ": " + ill.result().message()).isEqualTo(4);
            }
        } finally {
            SyscallPathProbe.override = null;
        }
    }
}
