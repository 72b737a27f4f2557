package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Dynamically linked programs of the image (glibc's ld.so, then libc and friends, mapped from
 * their files) run on KVM with the output and exit status they have on the ptrace platform,
 * which is the reference for what a call means.
 */
class KvmDynamicProgramTest {
    private static final PtracePlatform PTRACE = new PtracePlatform(PtracePlatform.DEFAULT_UID, PtracePlatform.DEFAULT_GID, s -> { });
    private static final Limits LIMITS = new Limits(20_000, 30_000, 512L << 20, 64, 64L << 20, 8L << 20);

    @BeforeAll
    static void kvm() {
        assumeKvm();
    }

    /** Runs the command on both platforms in a fresh workspace each and compares stdout, stderr and status. */
    private static Run sameAsPtrace(Path dir, String stdin, String... command) throws Exception {
        assumeTrue(PTRACE.unavailableReason().isEmpty(), () -> "ptrace platform unavailable: " + PTRACE.unavailableReason().orElse(""));
        byte[] in = stdin == null ? null : stdin.getBytes(StandardCharsets.UTF_8);
        Run kvm = run(PLATFORM, SandboxSpec.builder(List.of(command)).limits(LIMITS).build(), in);
        Run ptrace = run(PTRACE, SandboxSpec.builder(List.of(command)).limits(LIMITS).build(), in);
        String what = String.join(" ", command) + "\nkvm: " + kvm.result().message() + "\nkvm stderr: " + kvm.stderr();
        assertThat(kvm.result().platform()).isEqualTo("kvm");
        assertThat(kvm.stdout()).as("stdout of " + what).isEqualTo(ptrace.stdout());
        assertThat(kvm.stderr()).as("stderr of " + what).isEqualTo(ptrace.stderr());
        assertThat(kvm.result().termination()).as(what).isEqualTo(ptrace.result().termination());
        assertThat(kvm.result().exitCode()).as(what).isEqualTo(ptrace.result().exitCode());
        return kvm;
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
