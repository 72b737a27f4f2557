package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.assumeKvm;
import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.buildSource;
import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.have;
import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The disk bound on the KVM platform: a static program ({@code diskfill.c}) tries to fill the
 * host's disk through the fresh /workspace and /tmp — one big file, many files, directories,
 * symlinks, a sparse file grown by ftruncate, truncate, fallocate and a far write (and a shared
 * writable mapping past the file's end, which maps as on Linux but never grows the file), removed-but-open files,
 * rename over — and stops at the bound with ENOSPC; the result says DISK_LIMIT, the host
 * directory never held more than the bound and is gone after the run.
 */
class KvmDiskLimitTest {
    static final long DISK = 2L << 20;
    static final Limits LIMITS = Limits.DEFAULT.withWallMillis(60_000).withDiskBytes(DISK);
    static final int ENOSPC = 28;
    static final long CHUNK = 64 * 1024;   // the program writes in 64 KiB writes

    @TempDir
    static Path bin;

    @BeforeAll
    static void build() throws Exception {
        assumeKvm();
        assumeTrue(have("gcc") || have("musl-gcc"), "neither gcc nor musl-gcc is installed: cannot build the test program");
        String cc = have("musl-gcc") ? "musl-gcc" : "gcc";
        assertThat(buildSource(bin, "diskfill.c", cc, "diskfill", "-static")).isNotNull();
    }

    private static SandboxSpec spec(Limits limits, String... args) {
        return SandboxSpec.builder(Stream.concat(Stream.of("/bin-test/diskfill"), Stream.of(args)).toList())
                .bind(new SandboxSpec.Bind(bin, "/bin-test", true))
                .limits(limits)
                .build();
    }

    private static KvmTestSupport.Run fill(String... args) throws Exception {
        return run(spec(LIMITS, args));
    }

    /** The number after {@code key=} in the program's output. */
    static long value(String out, String key) {
        Matcher m = Pattern.compile("(?:^|\\s)" + Pattern.quote(key) + "=(-?\\d+)").matcher(out);
        assertThat(m.find()).as("%s= in %s", key, out).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** What the program printed and how it ended, for a failed assertion's message. */
    static String said(KvmTestSupport.Run r) {
        return r.stdout() + " / " + r.result().termination() + ": " + r.result().message();
    }

    private static void assertDiskLimit(SandboxResult r, String where) {
        assertThat(r.termination()).as(r.message()).isEqualTo(Termination.DISK_LIMIT);
        assertThat(r.message()).contains(where, "ENOSPC", DISK + " bytes", LIMITS.diskInodes() + " files", "exit code 1");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.shellStatus()).isEqualTo(1);
    }

    @Test
    void one_big_file_in_the_workspace_stops_at_the_size_bound() throws Exception {
        var r = fill("big", "/workspace");
        assertThat(value(r.stdout(), "written")).isBetween(DISK - CHUNK, DISK);
        assertThat(value(r.stdout(), "size")).isBetween(DISK - CHUNK, DISK);
        assertThat(value(r.stdout(), "errno")).isEqualTo(ENOSPC);
        assertDiskLimit(r.result(), "/workspace");
    }

    @Test
    void many_empty_files_stop_at_the_file_bound() throws Exception {
        var r = fill("many", "/workspace");
        // the directory itself is one of the files, as a tmpfs' root inode
        assertThat(value(r.stdout(), "files")).isEqualTo(LIMITS.diskInodes() - 1);
        assertThat(value(r.stdout(), "errno")).isEqualTo(ENOSPC);
        assertDiskLimit(r.result(), "/workspace");
    }

    @Test
    void directories_and_symlinks_count_as_files() throws Exception {
        for (String mode : List.of("dirs", "symlinks")) {
            var r = fill(mode, "/workspace");
            assertThat(value(r.stdout(), "files")).as(mode).isEqualTo(LIMITS.diskInodes() - 1);
            assertThat(value(r.stdout(), "errno")).as(mode).isEqualTo(ENOSPC);
            assertDiskLimit(r.result(), "/workspace");
        }
    }

    @Test
    void a_sparse_file_cannot_grow_past_the_bound_by_ftruncate_fallocate_or_a_far_write() throws Exception {
        var r = fill("sparse", "/workspace");
        String out = r.stdout();
        assertThat(out).as(said(r)).contains("ftruncate=-1/" + ENOSPC, "fallocate=-1/" + ENOSPC, "pwrite=-1/" + ENOSPC,
                "truncate=-1/" + ENOSPC, "mmap-shared=0", "size=0\n");
        assertThat(value(out, "grown")).isEqualTo(DISK);   // ftruncate grows it up to the bound, not past it
        assertThat(out).contains("grown=" + DISK + "/" + ENOSPC, "inside=" + DISK, "more=0/" + ENOSPC);
        assertThat(out).contains("size=" + DISK + "\n");
        assertDiskLimit(r.result(), "/workspace");
    }

    @Test
    void a_removed_file_still_open_keeps_its_bytes_until_closed() throws Exception {
        var r = fill("unlinked", "/workspace");
        assertThat(value(r.stdout(), "first")).isBetween(DISK - CHUNK, DISK);
        assertThat(r.stdout()).contains("second=-1/" + ENOSPC);
        assertThat(value(r.stdout(), "after-close")).isBetween(DISK - CHUNK, DISK);
        assertDiskLimit(r.result(), "/workspace");
    }

    @Test
    void renaming_over_a_file_frees_the_replaced_one() throws Exception {
        var r = fill("rename", "/workspace");
        assertThat(value(r.stdout(), "first")).isBetween(DISK - CHUNK, DISK);
        assertThat(r.stdout()).contains("second=-1/" + ENOSPC, "rename=0");
        assertThat(value(r.stdout(), "after-rename")).as(said(r)).isBetween(DISK - CHUNK, DISK);
        assertDiskLimit(r.result(), "/workspace");
    }

    @Test
    void tmp_is_bounded_the_same_way() throws Exception {
        var big = fill("big", "/tmp");
        assertThat(value(big.stdout(), "size")).isBetween(DISK - CHUNK, DISK);
        assertDiskLimit(big.result(), "/tmp");
        var many = fill("many", "/tmp");
        assertThat(value(many.stdout(), "files")).isEqualTo(LIMITS.diskInodes() - 1);
        assertDiskLimit(many.result(), "/tmp");
        var sparse = fill("sparse", "/tmp");
        assertThat(sparse.stdout()).contains("ftruncate=-1/" + ENOSPC, "fallocate=-1/" + ENOSPC, "size=" + DISK + "\n");
        assertDiskLimit(sparse.result(), "/tmp");
    }

    @Test
    void the_workspace_and_tmp_are_bounded_each() throws Exception {
        // a full /workspace leaves /tmp its own bound, as two tmpfs would
        var r = run(spec(LIMITS, "big", "/workspace"));
        assertDiskLimit(r.result(), "/workspace");
        var t = run(SandboxSpec.builder(List.of("/bin-test/diskfill", "roundtrip", "/tmp"))
                .bind(new SandboxSpec.Bind(bin, "/bin-test", true)).limits(LIMITS).build());
        assertThat(t.result().termination()).as(t.result().message()).isEqualTo(Termination.EXITED);
    }

    @Test
    void a_program_under_the_bound_writes_and_reads_back_its_data() throws Exception {
        for (String dir : List.of("/workspace", "/tmp")) {
            var r = fill("roundtrip", dir);
            assertThat(r.stdout()).as(dir).isEqualTo("read=" + (16 * CHUNK) + " bad=0 small=50\n");
            assertThat(r.result().termination()).as(r.result().message()).isEqualTo(Termination.EXITED);
            assertThat(r.result().exitCode()).isZero();
            assertThat(r.result().message()).doesNotContain("disk limit");
        }
    }

    @Test
    void the_host_directory_never_holds_more_than_the_bound_and_is_gone_after_the_run() throws Exception {
        String token = "fill-" + UUID.randomUUID();
        Path hostTmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (Sandbox s = KvmTestSupport.PLATFORM.start(spec(LIMITS, "big-wait", "/workspace", token))) {
            BufferedReader out = new BufferedReader(new InputStreamReader(s.stdout(), StandardCharsets.UTF_8));
            String first = out.readLine();
            assertThat(out.readLine()).as(first).isEqualTo("full");
            // the program holds its full workspace open: find it on the host by the file's unique name
            Path file;
            try (Stream<Path> dirs = Files.list(hostTmp)) {
                file = dirs.filter(d -> d.getFileName().toString().startsWith("palisade-kvm-ws"))
                        .map(d -> d.resolve(token)).filter(Files::exists).findFirst().orElseThrow();
            }
            Path ws = file.getParent();
            assertThat(treeBytes(ws)).isBetween(DISK - CHUNK, DISK);
            s.stdin().close();
            SandboxResult r = s.await(Duration.ofSeconds(60)).orElseThrow();
            assertDiskLimit(r, "/workspace");
            assertThat(ws).doesNotExist();
        }
    }

    @Test
    void a_callers_workspace_is_the_callers_to_bound(@TempDir Path ws) throws Exception {
        // not the Sentry's account: a file grows past the disk bound, up to the file size limit
        long fsize = 3 * DISK;
        var r = run(SandboxSpec.builder(List.of("/bin-test/diskfill", "big", "/workspace"))
                .bind(new SandboxSpec.Bind(bin, "/bin-test", true)).workspace(ws)
                .limits(LIMITS.withFileSizeBytes(fsize)).build());
        assertThat(r.result().termination()).as(r.result().message()).isEqualTo(Termination.FILE_SIZE_LIMIT);
        assertThat(Files.size(ws.resolve("big"))).isEqualTo(fsize);
    }

    static long treeBytes(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
