package dev.palisade.sandbox.platform.kvm;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.assumeKvm;
import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.have;
import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sandbox never sees what the one before it left: the vCPU thread and its standby machine are
 * reused from sandbox to sandbox, so a program that fills its registers (general and SSE), FS
 * base, stack, brk and mmap memory with a pattern and exits dirty is followed by one that looks
 * at all of them at its first instruction (a libc-free program, {@code fresh.c}).
 */
class KvmFreshStateTest {
    private static final String CLEAN = """
            nonzero registers: 0
            nonzero xmm bytes: 0
            fs base: 0
            nonzero mmap words: 0
            nonzero brk words: 0
            nonzero stack words: 0
            """;

    @TempDir
    static Path bin;

    @BeforeAll
    static void build() throws Exception {
        assumeKvm();
        assumeTrue(have("gcc"), "gcc not installed");
        Path src = bin.resolve("fresh.c");
        try (InputStream in = KvmFreshStateTest.class.getResourceAsStream("/kvm/fresh.c")) {
            Files.copy(in, src);
        }
        Process p = new ProcessBuilder("gcc", "-static", "-nostdlib", "-O1", "-fno-stack-protector", "-fno-pie", "-no-pie",
                "-w", "-o", bin.resolve("fresh").toString(), src.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(log).isZero();
    }

    private static KvmTestSupport.Run fresh(String mode) throws Exception {
        return run(SandboxSpec.builder(List.of("/bin-test/fresh", mode))
                .bind(new SandboxSpec.Bind(bin, "/bin-test", true))
                .limits(Limits.DEFAULT.withWallMillis(30_000))
                .build());
    }

    @Test
    void the_scan_sees_a_pattern_where_there_is_one() throws Exception {
        KvmTestSupport.Run r = fresh("selftest");
        assertThat(r.stdout()).contains("nonzero mmap words: 2097152\n", "nonzero brk words: 1048576\n",
                "nonzero stack words: 131072\n");
    }

    @Test
    void a_sandbox_after_a_dirty_one_starts_with_zeroed_registers_and_memory() throws Exception {
        for (int i = 0; i < 4; i++) {
            KvmTestSupport.Run dirty = fresh("dirty");
            assertThat(dirty.result().termination()).as(dirty.result().message()).isEqualTo(Termination.EXITED);
            assertThat(dirty.stdout()).isEmpty();
            if (i % 2 == 0) {
                Thread.sleep(100);   // the standby machine is ready: the next sandbox runs on the dirty one's thread
            }
            KvmTestSupport.Run check = fresh("check");
            assertThat(check.result().termination()).as(check.result().message()).isEqualTo(Termination.EXITED);
            assertThat(check.stdout()).as("run %d", i).isEqualTo(CLEAN);
        }
    }
}
