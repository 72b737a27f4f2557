package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.NetworkPolicy;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.nativeinterop.HostCalls;
import dev.palisade.sandbox.nativeinterop.NativeScratch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.palisade.sandbox.platform.ptrace.PtracePathServingTest.withServingOff;
import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * AF_UNIX socket paths served by the Sentry ({@code attacks/unix_sockets.c}): {@code bind},
 * {@code connect} and {@code sendto} with an address, {@code sendmsg} with a name and
 * {@code sendmmsg} ({@code attacks/unix_sendmsg.c}) are made by the Sentry on the program's own
 * socket with its one copy of the address; outcomes are compared with the same program in the
 * sandbox with path serving off (the kernel resolving the path in the sandbox's root), and the
 * races and host paths are asserted.
 */
class PtraceUnixSocketTest {

    static Path attacks;

    @BeforeAll
    static void compile() throws Exception {
        Runs.assumePlatform();
        org.junit.jupiter.api.Assumptions.assumeTrue(Tracer.servePaths(), "path serving is off (engine option or rootless)");
        attacks = Runs.compileAttacks();
    }

    private static Runs.Outcome sockets(String... args) {
        return attack("unix_sockets", args);
    }

    private static Runs.Outcome attack(String program, String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "/att/" + program;
        System.arraycopy(args, 0, cmd, 1, args.length);
        var o = run(spec(cmd).bind(new SandboxSpec.Bind(attacks, "/att", true)).network(NetworkPolicy.LOOPBACK).build());
        assertThat(o.result().termination()).as(o.stderr()).isEqualTo(Termination.EXITED);
        assertThat(o.status()).as(o.stderr()).isZero();
        return o;
    }

    @Test
    void streamAndDatagramSocketsBindAndConnectAsTheKernelDoes() {
        var served = sockets("basic");
        var kernel = withServingOff(() -> sockets("basic"));
        var o = Runs.namedLines(served.stdout());
        var k = Runs.namedLines(kernel.stdout());
        // the one difference: the connect is the Sentry's thread's, whose pid the server's pid space does not have
        assertThat(o.remove("peercred-pid")).isEqualTo("zero");
        assertThat(k.remove("peercred-pid")).isEqualTo("own");
        assertThat(o).isEqualTo(k);
        // the names the kernel recorded are the program's strings, relative ones included
        assertThat(o).containsEntry("tmp-names", "14:/tmp/s.sock 14:/tmp/s.sock 14:/tmp/s.sock")
                .containsEntry("workspace-names", "20:/workspace/w.sock 20:/workspace/w.sock 20:/workspace/w.sock")
                .containsEntry("relative-names", "11:rel.sock 11:rel.sock 11:rel.sock")
                .containsEntry("tmp-data", "pingpong").containsEntry("tmp-mode", "140755")
                .containsEntry("umask077-mode", "140700").containsEntry("umask077-connect", "ok")
                .containsEntry("dgram-recv", "5 hello from 0:").containsEntry("dgram-recv-relative", "5 from 11:snd.sock")
                .containsEntry("dgram-sendto-too-big", "EMSGSIZE").containsEntry("dgram-sendto-bad-buffer", "EFAULT")
                .containsEntry("dgram-sendto-past-user-space", "EFAULT").containsEntry("dgram-sendto-wrapping", "EFAULT")
                .containsEntry("dgram-sendto-huge", "EMSGSIZE")
                .containsEntry("abstract-connect", "ok 16:@palisade-test").containsEntry("bind-read-only", "EROFS")
                .containsEntry("connect-missing", "ENOENT").containsEntry("bind-no-permission", "EACCES")
                .containsEntry("tcp", "ok ok same-port=1").containsEntry("peercred", "uid=65534 gid=65534");
        assertThat(served.result().syscallCounts()).containsKeys("bind", "connect", "sendto");
        assertThat(kernel.result().syscallCounts()).doesNotContainKeys("bind", "connect");
    }

    @Test
    void hostileAddressLengthsAndPointersGetLinuxsErrno() {
        var served = sockets("addrlen");
        var kernel = withServingOff(() -> sockets("addrlen"));
        // an autobound name is five random hex digits
        String s = served.stdout().replaceAll("8:@[0-9a-f]{5}", "8:@auto"), k = kernel.stdout().replaceAll("8:@[0-9a-f]{5}", "8:@auto");
        assertThat(s).isEqualTo(k);
        assertThat(Runs.namedLines(s)).containsEntry("addrlen-0", "bind=EINVAL - connect=EINVAL")
                .containsEntry("addrlen-2", "bind=ok 8:@auto connect=EINVAL")
                .containsEntry("addrlen-110", "bind=ok 16:/tmp/len.sock connect=ENOENT")
                .containsEntry("addrlen-129", "bind=EINVAL - connect=EINVAL").containsEntry("addrlen--1", "bind=EINVAL - connect=EINVAL")
                .containsEntry("addrlen-huge", "bind=EINVAL - connect=EINVAL")
                .containsEntry("addrlen-upper-half", "bind=ok 16:/tmp/len.sock connect=ENOENT")
                .containsEntry("address-unmapped", "bind=EFAULT connect=EFAULT sendto=EFAULT")
                .containsEntry("address-at-page-end", "ok").containsEntry("address-past-page-end", "EFAULT");
    }

    /** The served call waits on a thread of its own: the stats other threads make meanwhile are still answered. */
    @Test
    void aBlockingConnectOrSendToAFullPeerWaitsWithoutStallingOtherServedCalls() {
        var o = Runs.namedLines(sockets("backlog").stdout());
        assertThat(o).containsEntry("nonblocking-full", "EAGAIN after 1")
                .containsEntry("while-waiting", "stats-served=1 connect-done=0").containsEntry("after-accept", "ok")
                .containsEntry("dgram-nonblocking-full", "EAGAIN")
                .containsEntry("dgram-while-waiting", "stats-served=1 send-done=0").containsEntry("dgram-after-recv", "ok");
    }

    @Test
    void aPathRewrittenByAnotherThreadDuringBindIsReadOnce() {
        // flips between /tmp/r/a.sock and a path in no directory: bound under the name it was created at, or not at all
        assertThat(Runs.namedLines(sockets("bindrace", "2000").stdout())).containsEntry("bindrace", "bound=some failed=some mismatched=0");
    }

    /** A listener of the host at a path of the host's /tmp, which the sandbox's own /tmp does not have. */
    private static ServerSocketChannel hostListener(Path dir, AtomicInteger accepted) throws Exception {
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        ServerSocketChannel l = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        l.bind(UnixDomainSocketAddress.of(dir.resolve("host.sock")));
        Files.setPosixFilePermissions(dir.resolve("host.sock"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    try (SocketChannel c = l.accept()) {
                        accepted.incrementAndGet();
                    }
                }
            } catch (Exception closed) {
                // the test is over
            }
        });
        t.setDaemon(true);
        t.start();
        return l;
    }

    /** The native connection, counted by the listener's thread after the client already returned. */
    private static void awaitAccepted(AtomicInteger accepted) throws InterruptedException {
        for (int i = 0; i < 100 && accepted.get() == 0; i++) {
            Thread.sleep(50);
        }
        assertThat(accepted).hasValue(1);
    }

    @Test
    void aHostListenerOutsideTheSandboxIsNeverReached(@TempDir Path host) throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        String path = host.resolve("host.sock").toString();
        try (ServerSocketChannel l = hostListener(host, accepted)) {
            // natively the program reaches it
            var natively = Runs.runNative(host, Map.of(), attacks.resolve("unix_sockets").toString(), "connect", path);
            assertThat(natively.stdout()).isEqualTo("connect: ok\n");
            awaitAccepted(accepted);
            // in the sandbox the path is not there, as in a chroot
            assertThat(Runs.namedLines(sockets("connect", path).stdout())).containsEntry("connect", "ENOENT");
            // a symlink swapped between the sandbox's own socket and the host's path while connecting
            assertThat(Runs.namedLines(sockets("swap", "2000", path).stdout())).containsEntry("swap", "connected=some enoent=some other=0");
            // TCP connects the kernel runs while another thread turns the address into that path and the descriptor into a Unix socket
            assertThat(Runs.namedLines(sockets("flip", "300", path).stdout())).containsEntry("flip", "done=300");
            Thread.sleep(300); // an accept the listener's thread has yet to count
            assertThat(accepted).as("connections the host's listener accepted from the sandbox").hasValue(1);
        }
    }

    /** The Sentry cannot take a socket of a program that made itself not dumpable: TCP still binds and connects. */
    @Test
    void aProgramThatIsNotDumpableStillConnects() {
        String script = """
                import ctypes, socket
                print(ctypes.CDLL(None).prctl(4, 0, 0, 0, 0))
                l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
                c = socket.socket(); c.connect(l.getsockname()); print(c.getpeername() == l.getsockname())
                """;
        var o = run(spec("python3", "-c", script).network(NetworkPolicy.LOOPBACK).build());
        assertThat(o.stderr()).isEmpty();
        assertThat(o.stdout()).isEqualTo("0\nTrue\n");
    }

    /** The receiver's lines of the sender's pid: the Sentry's sends show pid 0, the kernel's the program's. */
    private static Map<String, String> withoutPids(Map<String, String> lines, String expected) {
        Map<String, String> rest = new java.util.LinkedHashMap<>(lines), pids = new java.util.LinkedHashMap<>(lines);
        rest.keySet().removeIf(k -> k.endsWith("-pid"));
        pids.keySet().removeIf(k -> !k.endsWith("-pid"));
        assertThat(pids).as("the senders' pids").isNotEmpty().allSatisfy((k, v) -> assertThat(v).as(k).isEqualTo(expected));
        return rest;
    }

    @Test
    void sendmsgWithANameIsSentByTheSentryAsTheKernelSendsIt(@TempDir Path dir) throws Exception {
        var served = attack("unix_sendmsg", "basic", "/tmp");
        var kernel = withServingOff(() -> attack("unix_sendmsg", "basic", "/tmp"));
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        var natively = Runs.runNative(dir, Map.of(), attacks.resolve("unix_sendmsg").toString(), "basic", dir.toString());
        assertThat(natively.status()).as(natively.stderr()).isZero();
        var o = withoutPids(Runs.namedLines(served.stdout()), "zero");
        var k = withoutPids(Runs.namedLines(kernel.stdout()), "own");
        var n = withoutPids(Runs.namedLines(natively.stdout()), "own");
        assertThat(o).isEqualTo(k);
        // natively the test runs with privileges that let any pid and uid be claimed
        n.keySet().removeAll(java.util.Set.of("creds-pid-other", "creds-uid-other"));
        assertThat(o).containsAllEntriesOf(n).hasSize(n.size() + 2);
        assertThat(o).containsEntry("named-recv", "5 hello cred[uid=own gid=own]")
                .containsEntry("rights-creds-recv", "6 passed cred[uid=own gid=own] fd[5 first] fd[6 second]")
                .containsEntry("creds-only-recv", "5 creds cred[uid=own gid=own]").containsEntry("relative-recv", "8 relative cred[uid=own gid=own]")
                .containsEntry("creds-pid-other", "EPERM").containsEntry("creds-uid-other", "EPERM").containsEntry("creds-uid-invalid", "EINVAL")
                .containsEntry("rights-bad-fd", "EBADF").containsEntry("rights-254", "EINVAL").containsEntry("cmsg-unknown-type", "EINVAL")
                .containsEntry("cmsg-other-level-recv", "5 level cred[uid=own gid=own]").containsEntry("cmsg-len-5", "EINVAL")
                .containsEntry("controllen-huge", "ENOBUFS").containsEntry("controllen-1M", "ENOBUFS").containsEntry("control-unmapped", "EFAULT")
                .containsEntry("namelen-huge", "EINVAL").containsEntry("namelen-negative", "EINVAL").containsEntry("name-unmapped", "EFAULT")
                .containsEntry("iovlen-100000", "EMSGSIZE").containsEntry("iovlen-1025", "EMSGSIZE").containsEntry("iovlen-1024-recv", "1 a cred[uid=own gid=own]")
                .containsEntry("iov-unmapped", "EFAULT").containsEntry("iov-base-unmapped", "EFAULT").containsEntry("iov-len-negative", "EINVAL")
                .containsEntry("msghdr-unmapped", "EFAULT").containsEntry("flags-cmsg-compat", "EINVAL").containsEntry("missing", "ENOENT")
                .containsEntry("too-big", "EMSGSIZE").containsEntry("big-after-sndbuf-recv", "100000")
                .containsEntry("sendmmsg-0", "3 lens=3,4,5").containsEntry("sendmmsg-1", "1 lens=3,77,77")
                .containsEntry("sendmmsg-1-recv-1", "EAGAIN").containsEntry("sendmmsg-2", "ENOENT lens=77,77,77")
                .containsEntry("sendmmsg-len-read-only", "1").containsEntry("sendmmsg-len-read-only-recv-1", "4 two! cred[uid=own gid=own]")
                .containsEntry("dgram-pair-recv", "6 paired").containsEntry("stream-pair-recv", "8 streamed fd[5 first]")
                .containsEntry("stream-named", "EISCONN").containsEntry("stream-sendmmsg-recv", "7 onetwo!");
        assertThat(served.result().syscallCounts()).containsKeys("sendmsg", "sendmmsg");
        assertThat(kernel.result().syscallCounts()).doesNotContainKeys("sendmsg", "sendmmsg");
    }

    /** A send to a full receiver waits on a thread of its own, other calls served meanwhile, and a signal interrupts it. */
    @Test
    void aBlockingSendmsgToAFullReceiverWaitsAndASignalInterruptsIt() {
        var served = Runs.namedLines(attack("unix_sendmsg", "wait", "/tmp").stdout());
        assertThat(served).isEqualTo(Runs.namedLines(withServingOff(() -> attack("unix_sendmsg", "wait", "/tmp")).stdout()))
                .containsEntry("full", "EAGAIN").containsEntry("after-receive", "6 stats-served=1")
                .containsEntry("signal", "EINTR").containsEntry("signal-restart", "5")
                .containsEntry("sndtimeo", "EAGAIN").containsEntry("sndtimeo-signal", "EINTR");
    }

    /**
     * A host datagram socket at a path of the host's /tmp: natively the program's datagrams reach
     * it; in the sandbox, with the name flipped between the sandbox's socket and that path by
     * another thread, none does (the path the Sentry read is the one sent to).
     */
    @Test
    void aHostDatagramSocketIsNeverReachedWhileAnotherThreadFlipsTheName(@TempDir Path host, @TempDir Path nativeDir) throws Exception {
        var perms = java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx");
        Files.setPosixFilePermissions(host, perms);
        Files.setPosixFilePermissions(nativeDir, perms);
        Path path = host.resolve("host.sock");
        long fd = hostDatagramSocket(path);
        try {
            Files.setPosixFilePermissions(path, perms);
            var natively = Runs.runNative(nativeDir, Map.of(), attacks.resolve("unix_sendmsg").toString(), "race", "200", nativeDir.toString(), path.toString());
            assertThat(natively.stdout()).as(natively.stderr()).startsWith("race: sent=some");
            assertThat(drained(fd)).as("datagrams the host's socket got natively").isPositive();
            assertThat(Runs.namedLines(attack("unix_sendmsg", "race", "2000", "/tmp", path.toString()).stdout()))
                    .containsEntry("race", "sent=some missing=some other=0");
            assertThat(drained(fd)).as("datagrams the host's socket got from the sandbox").isZero();
        } finally {
            HostCalls.close(fd);
        }
    }

    private static long hostDatagramSocket(Path path) {
        long fd = HostCalls.call(41, 1, 2 | 04000, 0); // AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK
        assertThat(fd).isNotNegative();
        byte[] p = path.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (var a = new NativeScratch(110)) {
            a.putByte(0, (byte) 1);
            a.write(2, p, 0, p.length);
            assertThat(HostCalls.call(49, fd, a.at(0), 2 + p.length + 1)).isZero();
        }
        return fd;
    }

    /** How many datagrams wait on the host's socket; it is empty after. */
    private static int drained(long fd) {
        int n = 0;
        try (var b = new NativeScratch(16)) {
            while (HostCalls.call(45, fd, b.at(0), 16, 0x40, 0, 0) >= 0) { // recvfrom, MSG_DONTWAIT
                n++;
            }
        }
        return n;
    }

    private static final String PYTHON = """
            import os, socket
            os.chdir("/tmp")
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind("py.sock"); s.listen()
            c = socket.socket(socket.AF_UNIX); c.connect("/tmp/py.sock")
            a, peer = s.accept()
            c.sendall(b"hi"); print(a.recv(2), s.getsockname(), c.getpeername(), repr(peer), oct(os.stat("py.sock").st_mode))
            d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); d.bind("/tmp/dg")
            e = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); e.bind("e"); e.sendto(b"x", "dg")
            print(d.recvfrom(10))
            try:
                c2 = socket.socket(socket.AF_UNIX); c2.connect("/nope")
            except OSError as x:
                print(x.errno)
            # the program's own names of itself: its cwd, its root, an O_PATH descriptor of the socket
            fd = os.open("/tmp/py.sock", os.O_PATH)
            for n, p in [("cwd", "/proc/self/cwd/py.sock"), ("root", "/proc/self/root/tmp/py.sock"), ("fd", "/proc/self/fd/%d" % fd),
                         ("devfd", "/dev/fd/%d" % fd)]:
                c3 = socket.socket(socket.AF_UNIX); c3.connect(p); print(n, repr(s.accept()[1]), c3.getpeername())
            e.sendto(b"y", "/proc/self/cwd/dg"); print(d.recvfrom(10))
            """;

    @Test
    void pythonsUnixSocketsWorkAsWithTheKernel() {
        var served = run(spec("python3", "-c", PYTHON).build());
        var kernel = withServingOff(() -> run(spec("python3", "-c", PYTHON).build()));
        assertThat(served.stderr()).isEmpty();
        assertThat(served.stdout()).isEqualTo(kernel.stdout())
                .isEqualTo("b'hi' py.sock py.sock '' 0o140755\n(b'x', 'e')\n2\ncwd '' py.sock\nroot '' py.sock\n"
                        + "fd '' py.sock\ndevfd '' py.sock\n(b'y', 'e')\n");
        assertThat(served.status()).isZero();
    }
}
