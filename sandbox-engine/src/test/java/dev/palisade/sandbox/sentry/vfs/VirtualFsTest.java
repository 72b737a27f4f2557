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
}
