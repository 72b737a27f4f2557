package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.BoundedWorkspace;
import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.nativeinterop.Posix;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.palisade.sandbox.platform.ptrace.Runs.TEST_LIMITS;
import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The disk bound: a program that tries to fill the host's disk through /workspace or /tmp, with
 * many small files or one big one, stops at the bound with ENOSPC, and the result says so.
 */
class PtraceDiskLimitTest {

    static final long DISK = 2L << 20;
    static final Limits LIMITS = TEST_LIMITS.withDiskBytes(DISK);
    /** Many empty files, until creating one fails; prints how many it made. */
    static final String MANY_FILES = "cd \"$1\"; i=0; while [ $i -lt 100000 ]; do { printf \"\" > f$i; } 2>/dev/null || break; i=$((i+1)); done;"
            + " echo files=$i; exit 1";
    /** One file as large as it can grow; prints its size. */
    static final String BIG_FILE = "head -c 100000000 /dev/zero > \"$1/big\"; echo size=$(stat -c %s \"$1/big\"); exit 1";

    @BeforeAll
    static void platform() {
        Runs.assumePlatform();
    }

    @Test
    void manySmallFilesInTheWorkspaceStopAtTheFileBound() {
        var o = run(spec("/bin/sh", "-c", MANY_FILES, "sh", "/workspace").limits(LIMITS).build());
        assertThat(count(o.stdout(), "files=")).isBetween(LIMITS.diskInodes() - 2, LIMITS.diskInodes());
        assertThat(o.result().termination()).isEqualTo(Termination.DISK_LIMIT);
        assertThat(o.result().message()).contains("/workspace", "ENOSPC", DISK + " bytes");
        assertThat(o.status()).isEqualTo(1);
    }

    @Test
    void oneBigFileInTheWorkspaceStopsAtTheSizeBound() {
        var o = run(spec("/bin/sh", "-c", BIG_FILE, "sh", "/workspace").limits(LIMITS).build());
        assertThat(count(o.stdout(), "size=")).isBetween(DISK - 64 * 1024, DISK);
        assertThat(o.stderr()).contains("No space left on device");
        assertThat(o.result().termination()).isEqualTo(Termination.DISK_LIMIT);
    }

    @Test
    void tmpIsBoundedTheSameWay() {
        var files = run(spec("/bin/sh", "-c", MANY_FILES, "sh", "/tmp").limits(LIMITS).build());
        assertThat(count(files.stdout(), "files=")).isLessThanOrEqualTo(LIMITS.diskInodes());
        assertThat(files.result().message()).contains("/tmp");
        var big = run(spec("/bin/sh", "-c", BIG_FILE, "sh", "/tmp").limits(LIMITS).build());
        assertThat(count(big.stdout(), "size=")).isLessThanOrEqualTo(DISK);
    }

    @Test
    void aBoundedHostWorkspaceStopsBothAttacksKeepsWhatCameBeforeAndLeavesTheHostDiskAlone(@TempDir Path tmp)
            throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("sentinel"), "host");
        long outsideBefore = treeBytes(tmp);
        Path dir = tmp.resolve("ws");
        try (BoundedWorkspace ws = BoundedWorkspace.create(dir, LIMITS)) {
            assertThat(ws.bounded()).as(ws.bound()).isTrue();
            // the platform unpacks inputs before the run, host side
            Files.writeString(dir.resolve("input.txt"), "in\n");
            var small = run(spec("/bin/sh", "-c", "mkdir -p out junk; cp input.txt out/early.txt; " + MANY_FILES, "sh",
                    "/workspace/junk").workspace(dir).limits(LIMITS).build());
            assertThat(count(small.stdout(), "files=")).isLessThan(LIMITS.diskInodes());
            assertThat(small.result().termination()).isEqualTo(Termination.DISK_LIMIT);
            try (Stream<Path> s = Files.list(dir.resolve("junk"))) {
                s.forEach(p -> {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                });
            }
            var big = run(spec("/bin/sh", "-c", BIG_FILE, "sh", "/workspace").workspace(dir).limits(LIMITS).build());
            assertThat(big.result().termination()).isEqualTo(Termination.DISK_LIMIT);
            assertThat(count(big.stdout(), "size=")).isLessThanOrEqualTo(DISK);
            // what the program made before the bound is there for the platform to collect
            assertThat(Files.readString(dir.resolve("out/early.txt"))).isEqualTo("in\n");
            Posix.FsUsage fs = Posix.statvfs(dir.toString());
            assertThat(fs.blocks() * fs.blockSize()).isEqualTo(DISK);
            assertThat(fs.full()).isTrue();
            assertThat(mounted(dir)).isTrue();
        }
        assertThat(mounted(dir)).isFalse();
        assertThat(dir).doesNotExist();
        // nothing of the program's bytes landed next to the workspace on the host's disk
        assertThat(treeBytes(tmp)).isEqualTo(outsideBefore);
        assertThat(Files.readString(outside.resolve("sentinel"))).isEqualTo("host");
    }

    @Test
    void aWorkspaceMountedAfterThePreparedStubWasMadeIsTheOneTheProgramSees(@TempDir Path tmp) throws Exception {
        // the pool prepares its next stub (its own mount namespace) right after a sandbox is taken
        assertThat(run(spec("/bin/true").build()).status()).isZero();
        StubPool pool = new StubPool(1, PtracePlatform.DEFAULT_UID, PtracePlatform.DEFAULT_GID);
        Path dir = tmp.resolve("ws");
        StubPool.Slot first = pool.take(spec("/bin/true").build());
        release(first);
        Thread.sleep(1000);
        try (BoundedWorkspace ws = BoundedWorkspace.create(dir, LIMITS)) {
            Files.writeString(dir.resolve("input.txt"), "unpacked after the stub was prepared\n");
            var o = run(spec("/bin/sh", "-c", "cat input.txt; stat -f -c '%T %b %S' /workspace; echo made > out.txt")
                    .workspace(dir).limits(LIMITS).build());
            assertThat(o.stdout()).isEqualTo("unpacked after the stub was prepared\ntmpfs " + DISK / 4096 + " 4096\n");
            assertThat(Files.readString(dir.resolve("out.txt"))).isEqualTo("made\n");
            // and the pool hands a prepared stub to a spec with a host workspace
            StubPool.Slot withWorkspace = pool.take(spec("/bin/true").workspace(dir).build());
            assertThat(withWorkspace.prepared).isNotNull();
            release(withWorkspace);
        }
    }

    /** Ends a stub the test took from a pool without running it (on its tracer thread, which reaps it). */
    static void release(StubPool.Slot slot) {
        slot.run(() -> {
            Posix.killQuietly(slot.pid, 9);
            new dev.palisade.sandbox.nativeinterop.Ptrace().wait(slot.pid, dev.palisade.sandbox.nativeinterop.Ptrace.WALL);
            if (slot.prepared != null) {
                slot.prepared.cgroup().close();
            }
        });
    }

    @Test
    void aWorkspaceThatAKilledProcessLeftMountedIsRemovedAtTheNextStart(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("work");
        Path dir = root.resolve("left-behind");
        // a real process mounts a workspace and is killed with SIGKILL, as a worker would be
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Holder.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        assertThat(new String(holder.getInputStream().readNBytes(7))).isEqualTo("mounted");
        assertThat(mounted(dir)).isTrue();
        holder.destroyForcibly(); // SIGKILL
        assertThat(holder.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(mounted(dir)).isTrue();
        // a live workspace of this process under the same root is not touched
        try (BoundedWorkspace mine = BoundedWorkspace.create(root.resolve("mine"), LIMITS)) {
            assertThat(BoundedWorkspace.removeStale(root)).isEqualTo(1);
            assertThat(mounted(dir)).isFalse();
            assertThat(dir).doesNotExist();
            assertThat(mounted(mine.path())).isTrue();
        }
    }

    /** Mounts a workspace, says so, and waits to be killed. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            BoundedWorkspace.create(Path.of(args[0]), LIMITS);
            System.out.print("mounted");
            System.out.flush();
            Thread.sleep(60_000);
        }
    }

    static boolean mounted(Path dir) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/mountinfo"));
        return lines.stream().anyMatch(l -> l.split(" ")[4].equals(dir.toAbsolutePath().normalize().toString()));
    }

    static long treeBytes(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    static long count(String out, String key) {
        int i = out.indexOf(key);
        assertThat(i).as(out).isNotNegative();
        return Long.parseLong(out.substring(i + key.length()).lines().findFirst().orElseThrow().trim());
    }
}
