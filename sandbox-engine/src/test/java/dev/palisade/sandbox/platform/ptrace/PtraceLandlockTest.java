package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;

/** The Landlock layer under the mounts: what it lets write, and a refusal only it gives. */
class PtraceLandlockTest {

    @BeforeAll
    static void platform() {
        Runs.assumePlatform();
    }

    @Test
    void theRulesWriteOnlyWorkspaceTmpAndWritableBinds(@TempDir Path data) {
        SandboxSpec s = spec("/bin/true").bind(new SandboxSpec.Bind(data, "/data", false))
                .bind(new SandboxSpec.Bind(data, "/ro", true)).build();
        var rules = Landlock.rules(s, 6);
        long write = 1 << 1, makeReg = 1 << 8, makeChar = 1 << 6;
        assertThat(rules).extracting(Landlock.Rule::path).containsExactly("/", "/workspace", "/tmp", "/dev", "/proc", "/data");
        assertThat(rules).filteredOn(r -> (r.access() & makeReg) != 0).extracting(Landlock.Rule::path)
                .containsExactly("/workspace", "/tmp", "/data");
        assertThat(rules).filteredOn(r -> (r.access() & write) != 0).extracting(Landlock.Rule::path)
                .containsExactly("/workspace", "/tmp", "/dev", "/proc", "/data");
        assertThat(rules).allSatisfy(r -> assertThat(r.access() & makeChar).isZero());
        assertThat(Landlock.handled(1) & (1 << 14)).as("TRUNCATE only from ABI 3").isZero();
    }

    @Test
    void aDeviceNodeIsRefusedByLandlockBeforeTheCapabilityCheck() {
        // without the layer the kernel answers EPERM (no CAP_MKNOD); Landlock's hook comes first: EACCES.
        // Shown with path serving off (as in rootless mode), where mknod reaches the kernel; served,
        // the Sentry makes the node at the program's identity, without the capability: EPERM.
        String program = "import os, stat\n"
                + "try:\n    os.mknod('/tmp/c', 0o600 | stat.S_IFCHR, os.makedev(1, 3))\n"
                + "except OSError as e:\n    print(e.errno)\n"
                + "open('/tmp/f', 'w').write('ok'); print(open('/tmp/f').read())\n"
                + "open('/dev/null', 'w').write('x'); print(len(open('/etc/hostname').read()) > 0)";
        String before = System.getProperty(Tracer.SERVE_PATHS_PROPERTY);
        System.setProperty(Tracer.SERVE_PATHS_PROPERTY, "false");
        try {
            var o = run(spec("python3", "-c", program).build());
            assertThat(o.stdout()).as(o.stderr()).isEqualTo("13\nok\nTrue\n");
        } finally {
            if (before == null) {
                System.clearProperty(Tracer.SERVE_PATHS_PROPERTY);
            } else {
                System.setProperty(Tracer.SERVE_PATHS_PROPERTY, before);
            }
        }
        if (Tracer.servePaths()) {
            var served = run(spec("python3", "-c", program).build());
            assertThat(served.stdout()).as(served.stderr()).isEqualTo("1\nok\nTrue\n");
        }
    }
}
