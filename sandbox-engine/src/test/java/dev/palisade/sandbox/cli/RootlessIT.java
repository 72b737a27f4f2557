package dev.palisade.sandbox.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The packaged engine ({@code palisade-sandbox.jar}) started by an unprivileged user (uid 65534):
 * it runs rootless, in a user namespace, says once what is missing, and the program still cannot
 * read secrets, write outside its workspace, see host processes or reach the network.
 */
class RootlessIT {

    static final int NOBODY = 65534;
    static Path jar;
    static Path secretDir;

    record Run(int status, String stdout, String stderr) {
    }

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "Linux only");
        assumeTrue(isRoot(), "this test switches to uid 65534 with setpriv, which needs root to start it");
        Path built = Path.of(System.getProperty("palisade.sandbox.jar", "target/palisade-sandbox.jar"));
        assertThat(built).exists();
        // a copy the unprivileged user can read, in a directory it can enter
        Path dir = Files.createTempDirectory("palisade-rootless");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        jar = Files.copy(built, dir.resolve("palisade-sandbox.jar"), StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
        Run userns = asNobody(List.of("unshare", "--user", "--map-root-user", "true"));
        assumeTrue(userns.status() == 0, "this host forbids unprivileged user namespaces (" + userns.stderr().trim()
                + "): the rootless mode cannot run here");
        // a file the unprivileged caller can read on the host, which the sandbox must not see
        secretDir = Files.createTempDirectory("palisade-rootless-secret");
        Files.setPosixFilePermissions(secretDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(secretDir.resolve("secret"), "host secret");
        Files.setPosixFilePermissions(secretDir.resolve("secret"), PosixFilePermissions.fromString("rw-r--r--"));
    }

    static boolean isRoot() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        } catch (IOException e) {
            return false;
        }
    }

    static Run asNobody(List<String> command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                "--"));
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(jar == null ? null : jar.getParent().toFile());
        pb.environment().remove("XDG_RUNTIME_DIR"); // root's; nobody has none
        Process p = pb.start();
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    static Run engine(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "run"));
        cmd.addAll(List.of(args));
        return asNobody(cmd);
    }

    @Test
    void itRunsWithOneWarningLineSayingWhatIsMissing() throws Exception {
        Run r = engine("--", "/bin/sh", "-c", "echo hello; id -u");
        assertThat(r.status()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("hello\n0\n");
        List<String> warnings = r.stderr().lines().filter(l -> l.contains("warning")).toList();
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).contains("rootless", "per-tenant uid", "cgroups");
    }

    @Test
    void theProgramHasNoCapabilities() throws Exception {
        Run r = engine("--", "/bin/sh", "-c", "grep -E '^Cap(Inh|Prm|Eff|Amb)' /proc/self/status");
        assertThat(r.stdout().lines().toList()).hasSize(4)
                .allSatisfy(l -> assertThat(l).endsWith("0000000000000000"));
    }

    @Test
    void secretsAreNotReadable() throws Exception {
        Run r = engine("--", "/bin/sh", "-c", "cat /etc/shadow; echo shadow=$?; cat " + secretDir + "/secret; echo secret=$?;"
                + " ls /home /root 2>&1; echo dirs=$?");
        assertThat(r.stdout()).doesNotContain("root:", "host secret");
        assertThat(r.stdout()).contains("secret=1", "dirs=2");
    }

    @Test
    void nothingOutsideTheWorkspaceIsWritable() throws Exception {
        Path target = secretDir.resolve("written-by-sandbox");
        Run r = engine("--", "/bin/sh", "-c", "for f in /usr/bin/pwned /etc/pwned /pwned " + target + "; do"
                + " (echo x > $f) 2>/dev/null && echo wrote $f; done; echo x > /workspace/ok && echo workspace ok;"
                + " mount -t tmpfs none /usr 2>/dev/null && echo mounted; echo done");
        assertThat(r.stdout()).isEqualTo("workspace ok\ndone\n");
        assertThat(target).doesNotExist();
        assertThat(Path.of("/usr/bin/pwned")).doesNotExist();
    }

    @Test
    void hostProcessesAreInvisibleAndUnreachable() throws Exception {
        long self = ProcessHandle.current().pid();
        Run r = engine("--", "/bin/sh", "-c", "ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '; echo;"
                + " kill -0 " + self + " 2>/dev/null && echo signalled; echo done");
        List<String> lines = r.stdout().lines().toList();
        List<Integer> pids = java.util.Arrays.stream(lines.get(0).trim().split(" ")).map(Integer::parseInt).toList();
        assertThat(pids).as(r.stdout()).allSatisfy(p -> assertThat(p).isLessThan(20)).contains(1);
        assertThat(r.stdout()).doesNotContain("signalled").contains("done");
    }

    @Test
    void theNetworkIsUnreachable() throws Exception {
        try (ServerSocket listening = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = listening.getLocalPort();
            String py = "import socket\n"
                    + "for host, port in (('127.0.0.1', " + port + "), ('1.1.1.1', 53)):\n"
                    + "    s = socket.socket()\n"
                    + "    s.settimeout(2)\n"
                    + "    try:\n"
                    + "        s.connect((host, port)); print('reached', host)\n"
                    + "    except OSError as e:\n"
                    + "        print('refused', host, e.errno)\n";
            Run r = engine("--", "python3", "-c", py);
            assertThat(r.stdout()).as(r.stderr()).contains("refused 127.0.0.1", "refused 1.1.1.1").doesNotContain("reached");
        }
    }

    @Test
    void theEgressPolicyIsRefusedAtStartSayingWhy() throws Exception {
        Run r = engine("--net", "egress", "--", "/bin/true");
        assertThat(r.status()).isEqualTo(125);
        assertThat(r.stderr()).contains("egress needs the engine to run as root", "veth", "nftables");
    }
}
