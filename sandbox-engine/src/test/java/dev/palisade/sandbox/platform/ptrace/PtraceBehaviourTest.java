package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.NetworkPolicy;
import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.SandboxSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The ptrace sandbox as a program sees it: identity, environment, arguments, stdin, binds, the
 * loopback, a root image. Whole programs against native runs are {@code CompatibilityTest}'s list.
 */
class PtraceBehaviourTest {

    @BeforeAll
    static void platform() {
        Runs.assumePlatform();
    }

    @Test
    void identityIsTheSandboxs() {
        var o = run(spec("/bin/sh", "-c", "echo $$ $PPID; id -u; hostname; uname -n; cat /proc/self/status | grep -E '^(NoNewPrivs|Seccomp):'; "
                + "ls /proc | grep -c '^[0-9]'; ls /").build());
        assertThat(o.stdout()).startsWith("2 1\n65534\nsandbox\nsandbox\n");
        assertThat(o.stdout()).contains("NoNewPrivs:\t1").contains("Seccomp:\t2");
        assertThat(o.stdout()).doesNotContain("home").doesNotContain("root\n").doesNotContain("work\n");
        assertThat(o.result().syscallCounts()).containsKeys("uname", "getpid");
    }

    @Test
    void environmentIsOnlyWhatTheSpecSays() {
        var o = run(spec("/usr/bin/env").env("A", "1").build());
        assertThat(o.stdout().lines().sorted()).containsExactly("A=1", "PATH=/usr/local/bin:/usr/bin:/bin");
    }

    @Test
    void argumentsUpToTheirAreaArriveWholeAndMoreAreRefusedBeforeTheStart() {
        // the tracer writes path, argv and envp into a 512 KiB area of the sandbox's scratch mapping
        // (in strings of 100 KiB: the kernel refuses any one string above 128 KiB)
        String part = "x".repeat(100 << 10);
        var fits = run(spec("/bin/sh", "-c", "echo $((${#A} + ${#B} + ${#C} + ${#D})) $1", "sh", "last")
                .env("A", part).env("B", part).env("C", part).env("D", part).build());
        assertThat(fits.stdout()).isEqualTo((400 << 10) + " last\n");
        SandboxSpec tooBig = spec("/bin/sh", "-c", "echo ran").env("A", part).env("B", part).env("C", part)
                .env("D", part).env("E", part).env("F", part).build();
        assertThatThrownBy(() -> Runs.PLATFORM.start(tooBig)).isInstanceOf(SandboxException.class)
                .hasMessageContaining("at most 524288");
    }

    @Test
    void stdinReachesTheProgram() {
        var o = Runs.run(spec("/usr/bin/wc", "-l").build(), "a\nb\nc\n");
        assertThat(o.stdout().trim()).isEqualTo("3");
    }

    @Test
    void workspaceBindAndReadOnlyBind(@TempDir Path ws, @TempDir Path data) throws Exception {
        Files.writeString(data.resolve("in.txt"), "input\n");
        Files.setPosixFilePermissions(data, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        dev.palisade.sandbox.nativeinterop.Posix.chown(ws.toString(), 65534, 65534);
        var o = run(spec("/bin/sh", "-c", "cat /data/in.txt > /workspace/out.txt; echo x > /data/no 2>/dev/null || echo ro")
                .workspace(ws).bind(new SandboxSpec.Bind(data, "/data", true)).build());
        assertThat(o.stdout()).isEqualTo("ro\n");
        assertThat(Files.readString(ws.resolve("out.txt"))).isEqualTo("input\n");
    }

    @Test
    void bindsUnderTmpAndWorkspaceAreMade(@TempDir Path ws, @TempDir Path data) throws Exception {
        Files.writeString(data.resolve("in.txt"), "input\n");
        Path file = Files.writeString(data.resolve("single.txt"), "single\n");
        Files.setPosixFilePermissions(data, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        String script = "cat /tmp/x/in.txt /workspace/deep/er/in.txt /workspace/one.txt; echo more > /tmp/mine && cat /tmp/mine; "
                + "echo no > /tmp/x/no 2>/dev/null || echo ro";
        var fresh = run(spec("/bin/sh", "-c", script).bind(new SandboxSpec.Bind(data, "/tmp/x", true))
                .bind(new SandboxSpec.Bind(data, "/workspace/deep/er", true))
                .bind(new SandboxSpec.Bind(file, "/workspace/one.txt", true)).build());
        assertThat(fresh.stdout()).as(fresh.stderr()).isEqualTo("input\ninput\nsingle\nmore\nro\n");
        dev.palisade.sandbox.nativeinterop.Posix.chown(ws.toString(), 65534, 65534);
        var host = run(spec("/bin/sh", "-c", "cat /workspace/d/in.txt && echo out > /workspace/out.txt")
                .workspace(ws).bind(new SandboxSpec.Bind(data, "/workspace/d", true)).build());
        assertThat(host.stdout()).as(host.stderr()).isEqualTo("input\n");
        assertThat(Files.readString(ws.resolve("out.txt"))).isEqualTo("out\n");
    }

    @Test
    void loopbackPolicyGivesAWorkingLoopbackOfItsOwn() {
        var o = run(spec("python3", "-c", "import socket\ns=socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)\n"
                + "c=socket.create_connection(s.getsockname()); a,_=s.accept(); c.send(b'ping'); print(a.recv(4).decode())")
                .network(NetworkPolicy.LOOPBACK).build());
        assertThat(o.stdout()).as(o.stderr()).isEqualTo("ping\n");
    }

    @Test
    void aRootImageReplacesTheHostUserland(@TempDir Path image) throws Exception {
        Path busybox = Path.of("/bin/busybox");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(busybox), "busybox-static is not installed");
        Files.setPosixFilePermissions(image, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(image.resolve("bin"));
        Files.copy(busybox, image.resolve("bin/busybox"));
        var o = run(spec("/bin/busybox", "sh", "-c", "/bin/busybox ls /; /bin/busybox touch /bin/x 2>/dev/null || echo ro")
                .root(image).build());
        assertThat(o.stdout()).isEqualTo("bin\ndev\nproc\ntmp\nworkspace\nro\n");
    }

    @Test
    void aMissingProgramFailsLikeAShell() {
        var o = run(spec("no-such-program").build());
        assertThat(o.status()).isEqualTo(127);
    }
}
