package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.DeniedCall;
import dev.palisade.sandbox.NetworkPolicy;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.nativeinterop.Posix;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;

/** Each test is one attack; it must be contained, and refused calls must be recorded. */
class PtraceEscapeTest {

    static Path attacks;

    @BeforeAll
    static void compile() throws Exception {
        Runs.assumePlatform();
        attacks = Runs.compileAttacks();
    }

    private static SandboxSpec.Builder attack(String program, String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "/att/" + program;
        System.arraycopy(args, 0, cmd, 1, args.length);
        return spec(cmd).bind(new SandboxSpec.Bind(attacks, "/att", true));
    }

    /** Contained by the kernel layer (root, mount namespace, uid, pid namespace): no call needed refusing. */
    private static void containedByTheKernel(Runs.Outcome o) {
        assertThat(o.result().deniedCalls()).as("security events").isEmpty();
        assertThat(o.result().termination()).isEqualTo(Termination.EXITED);
    }

    private static DeniedCall only(Runs.Outcome o, String name) {
        assertThat(o.result().deniedCalls()).as("denied calls").extracting(DeniedCall::name).contains(name);
        return o.result().deniedCalls().stream().filter(d -> d.name().equals(name)).findFirst().orElseThrow();
    }

    /**
     * {@code execve}'s path is read once and resolved by the Sentry in the sandbox's root (the
     * kernel runs the descriptor it installs): a second thread rewriting the path during the call
     * only chooses which copy the Sentry reads. The other path is a script in the host's temporary
     * directory, which the sandbox's own /tmp hides.
     */
    @Test
    void anExecvePathRewrittenByAnotherThreadReachesNoFileOutsideTheSandbox(@TempDir Path host) throws Exception {
        Path outside = Files.writeString(host.resolve("outside.sh"), "#!/bin/sh\nexit 42\n");
        Files.setPosixFilePermissions(host, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwxr-xr-x"));
        String race = attacks.resolve("execve_race").toString();
        // natively both files are there: the race does pick the other one, so the count below can tell
        Runs.Outcome natively = Runs.runNative(host, Map.of(), race, "/bin/true", outside.toString(), "300");
        assertThat(natively.stdout()).as("the race natively").startsWith("allowed ").doesNotContain(" other 0 ");
        var o = run(attack("execve_race", "/bin/true", outside.toString(), "300").build());
        assertThat(o.stdout()).as("the race in the sandbox").contains(" other 0 ").doesNotContain("allowed 0 ");
        assertThat(o.result().termination()).isEqualTo(Termination.EXITED);
    }

    @Test
    void secretsOfTheHostAndOtherSandboxesAreNotThere(@TempDir Path other) throws Exception {
        Path secret = Files.writeString(other.resolve("secret.txt"), "other tenant");
        Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
        var o = run(spec("/bin/sh", "-c", "wc -c < /etc/shadow; cat " + secret + " 2>&1; ls /home /root 2>&1; "
                + "ls -d /work /var /opt 2>&1 | wc -l").build());
        assertThat(o.stdout()).startsWith("0\n").doesNotContain("other tenant").contains("No such file");
        assertThat(o.stdout()).doesNotContain("root:");
        containedByTheKernel(o);
    }

    @Test
    void twoSandboxesAtOnceDoNotSeeEachOther() throws Exception {
        try (var a = Runs.PLATFORM.start(spec("/bin/sh", "-c", "echo a-secret > /tmp/s; echo a-ws > /workspace/w; sleep 2").build())) {
            Thread.sleep(300);
            var b = run(spec("/bin/sh", "-c", "ls -A /tmp /workspace; ls /proc | grep -c '^[0-9]'").build());
            assertThat(b.stdout()).startsWith("/tmp:\n\n/workspace:\n");
            // init, sh, ls and grep at most: none of the other sandbox's processes
            assertThat(Integer.parseInt(b.stdout().lines().reduce((x, y) -> y).orElseThrow().trim())).isLessThanOrEqualTo(4);
            a.kill();
            assertThat(a.await().termination()).isEqualTo(Termination.KILLED);
        }
    }

    @Test
    void nothingOutsideWorkspaceAndTmpIsWritable() {
        var o = run(spec("/bin/sh", "-c", "for f in /x /etc/x /usr/x /bin/x /dev/x /proc/x /workspace/ok /tmp/ok; do "
                + "(echo > $f) 2>/dev/null && echo \"wrote $f\"; done").build());
        assertThat(o.stdout()).isEqualTo("wrote /workspace/ok\nwrote /tmp/ok\n");
        containedByTheKernel(o);
    }

    @Test
    void symlinksAndDotDotStayInsideTheRoot() {
        var o = run(spec("/bin/sh", "-c", "cd /workspace && ln -s ../../../../../ up && ls up/ | tr '\\n' ' '; echo; "
                + "ls /../../../.. | tr '\\n' ' '; echo; ln -s /proc/1/root/../../.. r && ls r/ | tr '\\n' ' '").build());
        String root = "bin dev etc lib lib64 proc sbin tmp usr workspace ";
        assertThat(o.stdout().lines()).allSatisfy(l -> assertThat(l).doesNotContain("work ").doesNotContain("home"));
        assertThat(o.stdout()).contains(root);
        containedByTheKernel(o);
    }

    @Test
    void procShowsOnlyTheSandbox() {
        var o = run(attack("proc_mem").build());
        // pid 1 is the sandbox's init (the engine's shell, after dropping to the sandbox uid: not dumpable)
        assertThat(o.stdout()).contains("processes visible: 2\n").contains("own mem: ok")
                .contains("/proc/1/root -> Permission denied").contains("/proc/1/root/work: absent")
                .contains("/proc/self/root -> /\n").contains("/proc/self/root/../../work: absent")
                .contains("/proc/1/mem: Permission denied");
        containedByTheKernel(o);
    }

    @Test
    void mountIsDeniedAndRecorded() {
        var o = run(spec("/bin/mount", "-t", "tmpfs", "none", "/tmp").build());
        assertThat(o.status()).isNotZero();
        assertThat(only(o, "mount").errno()).isEqualTo(1);
    }

    @Test
    void ptraceAttachToInitOrTheTracerIsDenied() {
        var o = run(attack("ptrace_attach", "1").build());
        assertThat(o.stdout()).contains("Operation not permitted");
        assertThat(only(o, "ptrace").action()).isEqualTo("deny");
        var tracer = run(attack("ptrace_attach", Integer.toString(Posix.getpid())).build());
        assertThat(tracer.stdout()).contains("Operation not permitted");
    }

    @Test
    void processesOutsideCannotBeKilled() {
        int me = Posix.getpid();
        var o = run(attack("kill_outside", Integer.toString(me)).build());
        assertThat(o.stdout()).contains("kill " + me + ": -1 No such process");
        // kill(-1) reached only the sandbox's own processes; this JVM is alive to check it
        assertThat(o.stdout()).contains("after kill -1: -1");
        containedByTheKernel(o);
    }

    @Test
    void int80AndX32CallsKillTheSandbox() throws Exception {
        var o = run(attack("int80").build());
        assertThat(o.stdout()).isEqualTo("before\n");
        if (theHostRunsInt80()) {
            assertThat(o.result().termination()).isEqualTo(Termination.POLICY_VIOLATION);
            assertThat(o.result().deniedCalls()).singleElement().satisfies(d -> {
                assertThat(d.action()).isEqualTo("kill");
                assertThat(d.number()).isEqualTo(20);
            });
        } else {
            // a kernel without 32-bit emulation faults at the instruction itself, in a sandbox or not:
            // no call is made, so there is none to refuse
            assertThat(o.result().termination()).isEqualTo(Termination.SIGNALED);
            assertThat(o.result().signal()).isEqualTo(11);
            assertThat(o.result().deniedCalls()).isEmpty();
        }
        var x = run(attack("x32").build());
        assertThat(x.stdout()).doesNotContain("survived");
        assertThat(x.result().termination()).isEqualTo(Termination.POLICY_VIOLATION);
        assertThat(x.result().deniedCalls()).singleElement().extracting(DeniedCall::action).isEqualTo("kill");
    }

    /** The same program outside any sandbox: does this kernel answer {@code int $0x80} at all? */
    private static boolean theHostRunsInt80() throws Exception {
        Process p = new ProcessBuilder(attacks.resolve("int80").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        p.waitFor();
        return out.contains("survived");
    }

    @Test
    void ioUringIsDenied() {
        var o = run(attack("io_uring").build());
        assertThat(o.stdout()).contains("Operation not permitted");
        only(o, "io_uring_setup");
    }

    @Test
    void newNamespacesAreRefused() {
        var o = run(attack("unshare_user").build());
        assertThat(o.stdout()).isEqualTo("unshare: Operation not permitted\nclone(NEWUSER): Operation not permitted\n");
        only(o, "unshare");
        only(o, "clone");
    }

    @Test
    void noNetworkMeansNoWayToTheHostsLoopback() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String port = Integer.toString(server.getLocalPort());
            var none = run(attack("connect", port).build());
            assertThat(none.stdout()).isEqualTo("connect: Network is unreachable\n");
            var lo = run(attack("connect", port).network(NetworkPolicy.LOOPBACK).build());
            assertThat(lo.stdout()).isEqualTo("connect: Connection refused\n");
            assertThat(none.result().deniedCalls()).isEmpty(); // no interface: the kernel has nowhere to route it
        }
    }

    @Test
    void hostKernelArgumentsOffTheListAreRefusedAndRecorded() throws Exception {
        var o = run(attack("host_args").network(NetworkPolicy.LOOPBACK).build());
        assertThat(o.stdout()).contains("AF_ALG: Address family not supported by protocol\n")
                .contains("AF_VSOCK: Address family not supported by protocol\n")
                .contains("AF_PACKET: Address family not supported by protocol\n")
                .contains("AF_NETLINK: Address family not supported by protocol\n")
                .contains("AF_INET: ok\n").contains("AF_INET6: ok\n").contains("AF_UNIX: ok\n")
                .contains("socketpair AF_UNIX: ok\n").contains("socketpair AF_INET: Address family not supported by protocol\n")
                .contains("TIOCSTI: Inappropriate ioctl for device\n").contains("FIONREAD: ok\n").contains("FIOCLEX: ok\n")
                .contains("personality(READ_IMPLIES_EXEC): Operation not permitted\n").contains("personality now: 0\n")
                .contains("PROT_READ mapping: r--p\n")
                .contains("prctl(PR_SET_NAME): ok\n").contains("prctl(PR_SET_MM): Invalid argument\n")
                .contains("prctl(PR_SET_SYSCALL_USER_DISPATCH): Invalid argument\n");
        assertThat(o.result().deniedCalls()).extracting(DeniedCall::name)
                .contains("socket", "socketpair", "ioctl", "personality", "prctl");
        assertThat(only(o, "ioctl").detail()).contains("0x5412");
        assertThat(only(o, "personality").detail()).contains("0x400000");
        // natively the same program shows what the list keeps out: an executable PROT_READ mapping
        Process p = new ProcessBuilder(attacks.resolve("host_args").toString()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String natively = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        p.waitFor();
        assertThat(natively).contains("PROT_READ mapping: r-xp\n").contains("AF_PACKET: ok\n");
    }

    @Test
    void getaddrinfoWorksWithoutNetlink() {
        // AI_ADDRCONFIG asks NETLINK_ROUTE which families have addresses; refused, glibc assumes both
        var o = run(spec("python3", "-c", "import socket\n"
                + "for h in ('127.0.0.1', '::1'):\n"
                + "    print(h, sorted({a[4][0] for a in socket.getaddrinfo(h, 80, flags=socket.AI_ADDRCONFIG)}))\n"
                + "print(socket.if_nametoindex('lo'))").network(NetworkPolicy.LOOPBACK).build());
        assertThat(o.stdout()).as(o.stderr()).isEqualTo("127.0.0.1 ['127.0.0.1']\n::1 ['::1']\n1\n");
        assertThat(o.result().deniedCalls()).extracting(DeniedCall::name).contains("socket");
    }

    @Test
    void anUntracedChildIsRefused() throws Exception {
        var o = run(spec("python3", "-c", "import ctypes, os\n"
                + "libc = ctypes.CDLL(None, use_errno=True)\n"
                + "r = libc.syscall(56, 0x00800000 | 17, 0, 0, 0, 0)\n" // clone(CLONE_UNTRACED | SIGCHLD)
                + "if r == 0: os._exit(0)\n"
                + "print(r, os.strerror(ctypes.get_errno()))").build());
        assertThat(o.stdout()).as(o.stderr()).isEqualTo("-1 Operation not permitted\n");
        assertThat(only(o, "clone").detail()).contains("CLONE_UNTRACED");
    }

    @Test
    void setuidBinariesGiveNoPrivilege() {
        var o = run(spec("/bin/sh", "-c", "ls -l /usr/bin/su | cut -c1-10; su -c id root </dev/null; echo su=$?; "
                + "/bin/mount -t tmpfs x /tmp 2>&1; grep NoNewPrivs /proc/self/status").build());
        assertThat(o.stdout()).startsWith("-rwsr-xr-x\n").contains("su=1").contains("NoNewPrivs:\t1")
                .doesNotContain("uid=0");
    }
}
