package dev.palisade.sandbox.platform.kvm;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Dynamically linked programs of the image (glibc's ld.so, then libc and friends, mapped from
 * their files) run on KVM with the output and exit status they have on the ptrace platform,
 * which is the reference for what a call means.
 */
class KvmDynamicProgramTest {
    @BeforeAll
    static void kvm() {
        assumeKvm();
    }

    @Test
    void echo_cat_and_ls_from_the_image_behave_as_on_ptrace(@TempDir Path dir) throws Exception {
        Run echo = sameAsPtrace(dir, null, "/bin/echo", "hello", "dynamic", "world");
        assertThat(echo.stdout()).isEqualTo("hello dynamic world\n");
        // ld.so found its libraries through the Sentry: the cache, then libc, mapped from the file
        assertThat(echo.result().syscallCounts()).containsKeys("openat", "mmap", "pread64", "arch_prctl", "mprotect");
        sameAsPtrace(dir, "from stdin\n", "/bin/cat", "/etc/hostname", "-", "/etc/debian_version");
        // not -l of a directory: its "total" sums st_blocks, which KVM rounds to 4 KiB blocks (docs/syscalls.md)
        sameAsPtrace(dir, null, "/bin/ls", "-l", "/usr/bin/ls");
        Run ls = sameAsPtrace(dir, null, "/bin/ls", "-a", "/usr/lib/x86_64-linux-gnu");
        assertThat(ls.stdout()).contains("libc.so.6");
        sameAsPtrace(dir, null, "/bin/ls", "/no/such/file");
        sameAsPtrace(dir, null, "/bin/false");
    }

    @Test
    void python_starts_imports_and_exits_with_its_status(@TempDir Path dir) throws Exception {
        assumeTrue(have("python3"), "python3 is not installed");
        Run one = sameAsPtrace(dir, null, "python3", "-c", "print(1)");
        assertThat(one.stdout()).isEqualTo("1\n");
        Run more = sameAsPtrace(dir, null, "python3", "-c",
                "import json, hashlib, sys; print(json.dumps({'s': sum(range(10**5)), 'h': hashlib.md5(b'x').hexdigest()})); sys.exit(3)");
        assertThat(more.result().exitCode()).isEqualTo(3);
    }
}
