package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Memory shared between processes on KVM, where each process is a VM of its own: a counter in a
 * MAP_SHARED|MAP_ANONYMOUS page and in a shm_open'd file, raised by a parent and a forked child
 * under a process-shared semaphore (the parent blocks on the child's futex and is woken by it),
 * a named semaphore, a file mapped shared by two processes and read back after msync and
 * munmap, a page only read through a mapping not overwriting a write(2) — the same output as
 * natively — and the hostile side: sizes and offsets near 2^64,
 * bad msync arguments, a mapping past the end of a file, stores past a file shrunk under its
 * mapping (never growing it back), shared memory past the sandbox's
 * memory limit (ENOMEM, the sandbox goes on), a file the sandbox may only read (never mapped
 * shared and writable), and /dev/shm bounded and gone with the sandbox.
 */
class KvmSharedMemoryTest {
    @TempDir
    static Path bin;
    static Path shm;

    @BeforeAll
    static void build() throws Exception {
        programDir(bin);
        shm = buildSource(bin, "shm.c", "gcc", "shm", "-pthread");
    }

    private static SandboxSpec spec(Path ws, Limits limits, String... args) {
        List<String> cmd = new ArrayList<>(List.of("/bin-test/shm"));
        cmd.addAll(List.of(args));
        return SandboxSpec.builder(cmd).bind(new SandboxSpec.Bind(bin, "/bin-test", true)).workspace(ws).limits(limits).build();
    }

    private static final Limits LIMITS_30S = Limits.DEFAULT.withWallMillis(30_000).withCpuMillis(20_000);

    @ParameterizedTest
    @ValueSource(strings = {"anon", "shm", "file", "coherence", "edges"})
    void shared_memory_between_processes_behaves_as_natively(String mode, @TempDir Path ws, @TempDir Path nat) throws Exception {
        Native n = runNative(nat, List.of(shm.toString(), mode));
        Run r = run(spec(ws, LIMITS_30S, mode));
        assertThat(n.exit()).isZero();
        assertThat(r.stdout()).as(r.result().message() + "\n" + r.stderr()).isEqualTo(n.stdout());
        assertThat(r.result().termination()).isEqualTo(Termination.EXITED);
        assertThat(r.result().exitCode()).isZero();
        String sign = switch (mode) {
            case "anon" -> "child status 0, counter 7000";
            case "shm" -> "read after munmap: counter 7000 marker 7001";
            case "file" -> "read after munmap: written by the child";
            case "coherence" -> "page only read through the mapping: via write";
            default -> "past the end of the file: mapped";
        };
        assertThat(r.stdout()).contains(sign);
    }

    @Test
    void the_counter_needs_the_shared_futex_wake(@TempDir Path ws) throws Exception {
        // the parent blocks in sem_wait while the child holds the semaphore: only a shared wake ends it
        Run r = run(spec(ws, LIMITS_30S, "anon"));
        assertThat(r.stdout()).contains("marker from child: 42\nwaited for the child's 1000: yes\nchild status 0, counter 7000\n");
        assertThat(r.result().syscallCounts().getOrDefault("futex", 0L)).isPositive();
    }

    @Test
    void shared_memory_past_the_memory_limit_is_enomem_and_the_sandbox_goes_on(@TempDir Path ws) throws Exception {
        Limits small = LIMITS_30S.withMemoryBytes(64L << 20).withDiskBytes(512L << 20);
        Run over = run(spec(ws, small, "limit", "128"));
        assertThat(over.stdout()).isEqualTo("shared 128 MiB: ENOMEM\nftruncate 128 MiB: ok\nshm 128 MiB: ENOMEM\nthen one page: mapped\n");
        assertThat(over.result().termination()).isEqualTo(Termination.EXITED);
        Run filled = run(spec(ws, small, "limit", "32"));
        assertThat(filled.stdout()).as(filled.result().message())
                .isEqualTo("shared 32 MiB: mapped\nftruncate 32 MiB: ok\nshm 32 MiB: mapped\nthen one page: ENOMEM\n");
        assertThat(filled.result().termination()).isEqualTo(Termination.EXITED);
    }

    @Test
    void stores_past_a_shrunk_file_never_grow_it(@TempDir Path ws, @TempDir Path nat) throws Exception {
        // natively the first store past the new end is a SIGBUS; here the pages stay and are not written back (the documented gap)
        Native n = runNative(nat, List.of(shm.toString(), "shrink"));
        assertThat(n.stdout()).isEqualTo("ftruncate to 0: ok\n");
        Run r = run(spec(ws, LIMITS_30S, "shrink"));
        assertThat(r.stdout()).as(r.result().message()).isEqualTo("ftruncate to 0: ok\nmsync: ok\nmunmap: ok\nsize after stores past the end: 0\n");
        assertThat(r.result().termination()).isEqualTo(Termination.EXITED);
    }

    @Test
    void a_file_the_sandbox_may_only_read_is_never_mapped_shared_and_writable(@TempDir Path ws, @TempDir Path host) throws Exception {
        Path secret = Files.writeString(host.resolve("secret"), "host data\n");
        for (String path : List.of("/host/secret", "/etc/hostname", "/bin-test/shm")) {
            SandboxSpec s = SandboxSpec.builder(List.of("/bin-test/shm", "outside", path))
                    .bind(new SandboxSpec.Bind(bin, "/bin-test", true)).bind(new SandboxSpec.Bind(host, "/host", true))
                    .workspace(ws).limits(LIMITS_30S).build();
            Run r = run(s);
            assertThat(r.stdout()).as(path).isEqualTo("open for writing: EROFS\nopen for reading: ok\nshared writable: EACCES\n"
                    + "shared validate writable: EACCES\nshared read-only: mapped\n");
        }
        assertThat(Files.readString(secret)).isEqualTo("host data\n");
    }

    @Test
    void dev_shm_is_bounded_and_gone_with_the_sandbox(@TempDir Path ws) throws Exception {
        String name = "palisade-" + UUID.randomUUID();
        Limits small = LIMITS_30S.withDiskBytes(1L << 20);
        SandboxSpec s = SandboxSpec.builder(List.of("/bin/sh", "-c", "stat -c %F /dev/shm; ls /dev | grep -c shm; echo x > /dev/shm/" + name
                + "; ls /dev/shm; head -c 4000000 /dev/zero > /dev/shm/big 2>/dev/null; echo big=$?; rm /dev/shm/big; "
                + "echo y > /dev/shm/again && echo again")).workspace(ws).limits(small).build();
        Run r = run(s);
        assertThat(r.stdout()).isEqualTo("directory\n1\n" + name + "\nbig=1\nagain\n");
        try (var dirs = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(dirs.filter(d -> d.getFileName().toString().startsWith("palisade-kvm-shm"))
                    .filter(d -> Files.exists(d.resolve(name)))).isEmpty();
        }
    }
}
