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
    void pathCallsAreServedByTheSentry() throws Exception {
        Run r = engine("--trace", "--", "/bin/cat", "/etc/os-release");
        assertThat(r.status()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo(Files.readString(Path.of("/etc/os-release")));
        assertThat(r.stderr().lines().filter(l -> l.contains("openat(") && l.endsWith("(served)")).count())
                .as(r.stderr()).isGreaterThan(0);
    }

    /** A Python program that tries each way out through a path and prints "name OK value" or "name ERR errno". */
    static final String ESCAPES = String.join("\n",
            "import os, socket, sys",
            "sec = sys.argv[1]",
            "def attempt(name, f):",
            "    try:",
            "        print(name, 'OK', f())",
            "    except OSError as e:",
            "        print(name, 'ERR', e.errno)",
            "os.chdir('/tmp')",
            "os.symlink(sec + '/secret', '/tmp/abs')",
            "os.symlink('../../../../../../../..' + sec + '/secret', '/tmp/rel')",
            "os.symlink(sec, '/tmp/dirlink')",
            "os.symlink('/', '/tmp/rootlink')",
            "os.symlink(sec + '/host.sock', '/tmp/socklink')",
            "open('/tmp/f', 'w').write('data')",
            "fd = os.open('/', os.O_RDONLY)",
            "attempt('absolute-symlink', lambda: open('/tmp/abs').read())",
            "attempt('relative-symlink', lambda: open('/tmp/rel').read())",
            "attempt('dotdot', lambda: open('../../../../..' + sec + '/secret').read())",
            "attempt('dirfd-dotdot', lambda: os.stat('../../..' + sec + '/secret', dir_fd=fd).st_size)",
            "attempt('proc-self-root', lambda: open('/proc/self/root' + sec + '/secret').read())",
            "attempt('proc-1-cwd', lambda: open('/proc/1/cwd/../../../..' + sec + '/secret').read())",
            "attempt('symlink-to-root', lambda: open('/tmp/rootlink' + sec + '/secret').read())",
            "attempt('stat-follows', lambda: os.stat('/tmp/abs').st_size)",
            "attempt('access-follows', lambda: os.access('/tmp/abs', os.F_OK))",
            "attempt('chmod-follows', lambda: os.chmod('/tmp/abs', 0o600))",
            "attempt('utime-follows', lambda: os.utime('/tmp/abs'))",
            "attempt('truncate-follows', lambda: os.truncate('/tmp/abs', 0))",
            "attempt('chdir-follows', lambda: os.chdir('/tmp/dirlink'))",
            "attempt('create-through-link', lambda: open('/tmp/dirlink/created', 'w').write('x'))",
            "attempt('mkdir-through-link', lambda: os.mkdir('/tmp/dirlink/made'))",
            "attempt('rename-through-link', lambda: os.rename('/tmp/f', '/tmp/dirlink/moved'))",
            "attempt('link-through-link', lambda: os.link('/tmp/f', '/tmp/dirlink/linked'))",
            "attempt('symlink-through-link', lambda: os.symlink('x', '/tmp/dirlink/planted'))",
            "attempt('lstat-root-dotdot', lambda: os.lstat('/..').st_ino == os.lstat('/').st_ino)",
            "attempt('connect-host-socket', lambda: socket.socket(socket.AF_UNIX).connect(sec + '/host.sock'))",
            "attempt('connect-through-link', lambda: socket.socket(socket.AF_UNIX).connect('/tmp/socklink'))",
            "attempt('bind-through-link', lambda: socket.socket(socket.AF_UNIX).bind('/tmp/dirlink/bound.sock'))");

    @Test
    void noSymlinkDotDotOrProcLinkLeadsOutOfTheSandbox() throws Exception {
        Path hostSocket = secretDir.resolve("host.sock");
        try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(hostSocket));
            Files.setPosixFilePermissions(hostSocket, PosixFilePermissions.fromString("rwxrwxrwx"));
            // control: on the host, the same user reaches both
            Run host = asNobody(List.of("/usr/bin/python3", "-c", "import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1]);"
                    + " print(open(sys.argv[2]).read())", hostSocket.toString(), secretDir.resolve("secret").toString()));
            assertThat(host.stdout()).as(host.stderr()).contains("host secret");

            Run r = engine("--", "python3", "-c", ESCAPES, secretDir.toString());
            assertThat(r.status()).as(r.stderr()).isZero();
            java.util.Map<String, String> got = new java.util.LinkedHashMap<>();
            r.stdout().lines().forEach(l -> got.put(l.substring(0, l.indexOf(' ')), l.substring(l.indexOf(' ') + 1)));
            assertThat(got).as(r.stdout()).hasSize(22);
            // the sandbox has no such host directory: every way there ends in ENOENT
            got.forEach((name, outcome) -> {
                if (name.equals("proc-1-cwd")) {
                    // another process's magic link is not followed at all
                    assertThat(outcome).as(name).isIn("ERR 2", "ERR 40");
                } else if (!name.equals("lstat-root-dotdot") && !name.equals("access-follows")) {
                    assertThat(outcome).as(name).isEqualTo("ERR 2");
                }
            });
            assertThat(got.get("access-follows")).isEqualTo("OK False");
            assertThat(got.get("lstat-root-dotdot")).as("/.. is / itself").isEqualTo("OK True");
        } finally {
            Files.deleteIfExists(hostSocket);
        }
        try (var left = Files.list(secretDir)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("secret");
        }
        assertThat(Files.readString(secretDir.resolve("secret"))).isEqualTo("host secret");
    }

    @Test
    void servedPathCallsBehaveAsNatively() throws Exception {
        String script = "cd /tmp && mkdir d && cd d && echo 1 > x && mv x ../y && ln ../y z && ln -s z s && cat s"
                + " && stat -c '%h %N' z s && chmod 640 z && stat -c %a z && touch -d @2 z && stat -c %Y z"
                + " && truncate -s 0 z && stat -c %s z && test -w z && echo writable && cd .. && rm -r d"
                + " && printf '#!/bin/sh\\necho ran $0\\n' > run.sh && chmod +x run.sh && ./run.sh"
                + " && tar czf t.tgz y && tar tzf t.tgz && find /tmp -name 'y' && ls -A /tmp | sort | tr '\\n' ' '"
                + " && python3 -c \"import json, socket; s = socket.socket(socket.AF_UNIX); s.bind('/tmp/sock'); s.listen(1);"
                + " c = socket.socket(socket.AF_UNIX); c.connect('sock'); print(json.dumps(['unix', 'ok']))\"";
        Run r = engine("--", "/bin/sh", "-c", script);
        assertThat(r.status()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("1\n2 'z'\n1 's' -> 'z'\n640\n2\n0\nwritable\nran ./run.sh\ny\n/tmp/y\n"
                + "run.sh t.tgz y [\"unix\", \"ok\"]\n");
    }

    @Test
    void ownersShowAsTheSandboxsUserNamespaceShowsThem() throws Exception {
        // the program is root of its namespace; the host's root (owner of /etc/passwd) has no mapping there
        Run r = engine("--", "/bin/sh", "-c", "echo > /tmp/a; stat -c '%u:%g' /tmp/a /etc/passwd;"
                + " python3 -c \"import os; s = os.stat('/tmp/a'); print(s.st_uid, s.st_gid)\";"
                + " chown 0:0 /tmp/a && echo chowned; chown 5 /tmp/a 2>&1; echo status=$?");
        assertThat(r.stdout()).as(r.stderr()).startsWith("0:0\n65534:65534\n0 0\nchowned\n")
                .contains("Invalid argument").endsWith("status=1\n");
    }

    @Test
    void theEgressPolicyIsRefusedAtStartSayingWhy() throws Exception {
        Run r = engine("--net", "egress", "--", "/bin/true");
        assertThat(r.status()).isEqualTo(125);
        assertThat(r.stderr()).contains("egress needs the engine to run as root", "veth", "nftables");
    }
}
