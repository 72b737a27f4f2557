package dev.palisade.sandbox.sentry.vfs;

import dev.palisade.sandbox.abi.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Path resolution never leaves the sandbox: dot-dot, absolute and relative symlinks, hidden secrets. */
class VirtualFsTest {
    @TempDir
    Path dir;

    private VirtualFs image() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/passwd"), "image passwd");
        Path ws = Files.createDirectories(dir.resolve("ws"));
        Files.createSymbolicLink(ws.resolve("abs"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(ws.resolve("rel"), Path.of("../../../../../../etc/passwd"));
        Files.createSymbolicLink(ws.resolve("loop"), Path.of("loop"));
        return new VirtualFs(root, ws, Files.createDirectories(dir.resolve("tmp")), List.of());
    }

    @Test
    void dot_dot_stops_at_the_sandbox_root() throws Exception {
        VirtualFs fs = image();
        VirtualFs.Resolved r = fs.resolve("/workspace", "../../../../etc/passwd", true);
        assertThat(r.path()).isEqualTo("/etc/passwd");
        assertThat(r.host()).isEqualTo(dir.resolve("root/etc/passwd"));
    }

    @Test
    void symlinks_are_re_rooted_inside_the_sandbox() throws Exception {
        VirtualFs fs = image();
        assertThat(fs.resolve("/workspace", "abs", true).host()).isEqualTo(dir.resolve("root/etc/passwd"));
        assertThat(fs.resolve("/workspace", "rel", true).host()).isEqualTo(dir.resolve("root/etc/passwd"));
        assertThat(fs.resolve("/workspace", "abs", false).host()).isEqualTo(dir.resolve("ws/abs"));
    }

    @Test
    void symlink_loops_end_with_eloop() throws Exception {
        VirtualFs fs = image();
        assertThatThrownBy(() -> fs.resolve("/workspace", "loop", true))
                .isInstanceOfSatisfying(FsError.class, e -> assertThat(e.errno()).isEqualTo(Errno.ELOOP));
    }

    @Test
    void host_userland_root_hides_secrets_and_foreign_directories() throws Exception {
        VirtualFs fs = new VirtualFs(null, Files.createDirectories(dir.resolve("w")), Files.createDirectories(dir.resolve("t")), List.of());
        for (String p : List.of("/etc/shadow", "/root", "/home/x", "/proc/self/environ", "/sys", "/var/lib", "/etc/ssh/ssh_host_rsa_key")) {
            assertThatThrownBy(() -> fs.resolve("/", p, true)).as(p)
                    .isInstanceOfSatisfying(FsError.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        }
        assertThat(fs.resolve("/", "/etc/passwd", true).host()).isEqualTo(Path.of("/etc/passwd"));
        assertThat(fs.resolve("/", "/dev/null", true).synthetic()).isTrue();
        assertThatThrownBy(() -> fs.resolve("/", "/dev/kvm", true)).isInstanceOf(FsError.class);
    }

    @Test
    void only_writable_mounts_accept_changes() throws Exception {
        VirtualFs fs = image();
        assertThatThrownBy(() -> VirtualFs.checkWritable(fs.resolve("/", "/etc/new", true)))
                .isInstanceOfSatisfying(FsError.class, e -> assertThat(e.errno()).isEqualTo(Errno.EROFS));
        VirtualFs.checkWritable(fs.resolve("/", "/workspace/new", true));
        VirtualFs.checkWritable(fs.resolve("/", "/tmp/new", true));
    }

    /** A /proc with one process, pid 1, in /workspace, running /bin/prog. */
    private static ProcFs oneProcess() {
        ProcFs.Process p = new ProcFs.Process() {
            public int pid() { return 1; }
            public int ppid() { return 0; }
            public String exe() { return "/bin/prog"; }
            public String cwd() { return "/workspace"; }
            public List<String> argv() { return List.of("prog"); }
            public List<String> environ() { return List.of("A=b"); }
            public OpenFile fd(int fd) { return null; }
            public int[] fds() { return new int[0]; }
            public List<ProcFs.Region> maps() { return List.of(); }
            public long rssBytes() { return 0; }
            public long peakRssBytes() { return 0; }
            public int threads() { return 1; }
            public String comm() { return "prog"; }
            public long[] rlimit(int res) { return new long[] {-1, -1}; }
            public int umask() { return 022; }
            public long[] signals() { return new long[4]; }
        };
        return new ProcFs(new ProcFs.Source() {
            public int[] pids() { return new int[] {1}; }
            public ProcFs.Process process(int pid) { return pid == 1 ? p : null; }
            public long memoryBytes() { return 1 << 20; }
            public int[] cpus() { return new int[] {0}; }
            public long uptimeNanos() { return 0; }
            public dev.palisade.sandbox.Limits limits() { return dev.palisade.sandbox.Limits.DEFAULT; }
            public List<VirtualFs.Mount> mounts() { return List.of(); }
        });
    }

    @Test
    void proc_links_are_walked_inside_the_sandbox_and_other_pids_do_not_exist() throws Exception {
        VirtualFs fs = image();
        fs.mountProc(oneProcess());
        assertThat(fs.resolve(1, "/", "/proc/self/cwd/../../../etc/passwd", true).host()).isEqualTo(dir.resolve("root/etc/passwd"));
        assertThat(fs.resolve(1, "/", "/proc/1/root/../../etc/passwd", true).host()).isEqualTo(dir.resolve("root/etc/passwd"));
        assertThat(fs.resolve(1, "/", "/proc/self/exe", false).proc().link()).isEqualTo("/bin/prog");
        assertThat(fs.resolve(1, "/", "/proc/self/..", true).path()).isEqualTo("/proc");
        assertThat(fs.resolve(1, "/", "/proc/self/.", false).proc().kind()).isEqualTo(ProcFs.Kind.DIR);
        assertThat(fs.resolve(1, "/proc/1", "status", true).proc().kind()).isEqualTo(ProcFs.Kind.FILE);   // a cwd is a resolved path
        for (String p : List.of("/proc/2", "/proc/2/status", "/proc/" + ProcessHandle.current().pid(), "/proc/01", "/proc/self/x",
                "/proc/sys/kernel/hostname", "/proc/kcore", "/proc/1/fd/0", "/proc/1/task/2")) {
            assertThatThrownBy(() -> fs.resolve(1, "/", p, true)).as(p)
                    .isInstanceOfSatisfying(FsError.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        }
        // nobody is /proc/self for a path resolved outside any process
        assertThatThrownBy(() -> fs.resolve("/", "/proc/self", true))
                .isInstanceOfSatisfying(FsError.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        Files.createSymbolicLink(dir.resolve("ws/ploop"), Path.of("/proc/self/cwd/ploop"));
        assertThatThrownBy(() -> fs.resolve(1, "/workspace", "ploop", true))
                .isInstanceOfSatisfying(FsError.class, e -> assertThat(e.errno()).isEqualTo(Errno.ELOOP));
    }

    @Test
    void without_a_proc_mounted_proc_is_the_images_own() throws Exception {
        VirtualFs fs = image();
        Files.createDirectories(dir.resolve("root/proc"));
        assertThat(fs.resolve(1, "/", "/proc/self", true).synthetic()).isFalse();
        assertThat(fs.resolve(1, "/", "/proc/self", true).inProc()).isFalse();
    }
}
