package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.NetworkPolicy;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.stream.Collectors;

import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The calls on a descriptor the program holds, served by the Sentry on its duplicate
 * ({@code SysHeldDescriptor}): {@code fdserve/held_fds.c} natively, as the sandbox's user, and in
 * the sandbox, on the same kind of file system (a host directory bound in): the same output,
 * except the lines of what the Sentry refuses by policy, whose answers are asserted.
 */
class PtraceHeldDescriptorTest {

    static Path programs;

    @BeforeAll
    static void compile() throws Exception {
        Runs.assumePlatform();
        assumeTrue(Tracer.servePaths(), "path serving is off (engine option or rootless)");
        assumeTrue("root".equals(System.getProperty("user.name")), "the native run takes the sandbox's user with setpriv");
        programs = Runs.compile("fdserve");
    }

    /** A directory the sandbox's user can write. */
    private static Path writable(String name) throws Exception {
        Path d = Files.createTempDirectory(name);
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
        return d;
    }

    /** The command natively, as the sandbox's user and groups. */
    private static Runs.Outcome asSandboxUser(Path dir, String... command) {
        String[] cmd = new String[command.length + 4];
        cmd[0] = "setpriv";
        cmd[1] = "--reuid=" + PtracePlatform.DEFAULT_UID;
        cmd[2] = "--regid=" + PtracePlatform.DEFAULT_GID;
        cmd[3] = "--clear-groups";
        System.arraycopy(command, 0, cmd, 4, command.length);
        return Runs.runNative(dir, Map.of(), cmd);
    }

    private static SandboxSpec.Builder withPrograms(Path data, String... command) {
        return spec(command).network(NetworkPolicy.LOOPBACK).bind(new SandboxSpec.Bind(programs, "/t", true))
                .bind(new SandboxSpec.Bind(data, "/data", false));
    }

    /**
     * The lines both runs must share: all but the Sentry's policy and a peer's credentials after a
     * Unix connect, which the Sentry makes for the program ({@code SysUnixSocket}) and so records
     * as its own.
     */
    private static String shared(String out) {
        return out.lines().filter(l -> !l.startsWith("policy ") && !l.startsWith("peercred-child"))
                .collect(Collectors.joining("\n"));
    }

    @Test
    void everyCallAndItsHostileCasesGiveWhatTheKernelGives() throws Exception {
        Path host = writable("palisade-held-native"), data = writable("palisade-held-sandbox");
        var natively = asSandboxUser(host, programs.resolve("held_fds").toString(), host.toString());
        var served = run(withPrograms(data, "/t/held_fds", "/data").build());
        assertThat(served.result().termination()).as(served.stderr()).isEqualTo(Termination.EXITED);
        assertThat(natively.status()).as(natively.stderr()).isZero();
        assertThat(served.status()).as(served.stderr()).isZero();
        assertThat(shared(served.stdout())).isEqualTo(shared(natively.stdout()));
        // what the lines show, natively and so in the sandbox: each call's success and its refusals
        assertThat(natively.stdout()).contains("fgetxattr: 5 hello\n", "fgetxattr-longname: ERANGE\n",
                "fsetxattr-toobig: E2BIG\n", "flistxattr: 7 user.k\n", "ftruncate-over-fsize-limit: EFBIG\n",
                "flock-blocked-signal: EINTR handled=1\n", "flock-blocked-restart: 0 handled=2 opens-while-waiting=200\n",
                "fsync-big: 0 opens=200\n", "timerfd_settime-badfd-badnew: EFAULT\n", "getsockname-short: 0 len=16 family=2 port>0=1\n",
                "getsockopt-rcvtimeo: 0 len=16 3.500000\n", "setsockopt-hugelen: 0\n", "peercred-self: 0 len=12 pid-is-self=1 uid-is-self=1\n",
                "shutdown-seen-by-peer: 0\n", "connect: 0\n",
                "copy_file_range: 6 offsets=10,8 out=__456789\n", "copy_file_range-large: 0 total=41943040 end=end\n", "tee-blocked-signal: EINTR handled=1\n",
                "tee-waits-for-data: 5 later\n");
        // what the Sentry refuses that the kernel would have run or refused otherwise
        assertThat(served.stdout()).contains("policy fsetxattr-security: EPERM\n", "policy fallocate-collapse: EOPNOTSUPP\n",
                "policy setsockopt-mark: ENOPROTOOPT\n", "policy setsockopt-congestion: ENOPROTOOPT\n",
                "policy getsockopt-mark: ENOPROTOOPT\n");
        assertThat(natively.stdout()).contains("policy fallocate-collapse: 0\n", "policy getsockopt-mark: 0\n");
        assertThat(served.result().syscallCounts()).containsKeys("flock", "fsync", "fallocate", "fsetxattr", "flistxattr",
                "ftruncate", "fstatfs", "timerfd_settime", "inotify_rm_watch", "setsockopt", "getsockopt", "listen",
                "shutdown", "getsockname", "getpeername", "sync", "syncfs", "sync_file_range", "readahead", "fadvise64",
                "fchmod", "fchown", "fgetxattr", "fremovexattr", "fdatasync", "timerfd_gettime", "copy_file_range", "tee");
    }

    /**
     * A program that made itself not dumpable lends its identity nothing: the Sentry takes its
     * descriptors and reaches its memory with the tracer's credentials, for the call's own task only.
     */
    private static final String NOT_DUMPABLE = """
            import ctypes, os, socket, fcntl
            f = os.open("/data/u", os.O_CREAT | os.O_RDWR)
            g = os.open("/data/u2", os.O_CREAT | os.O_RDWR)
            os.write(f, b"0123456789")
            print(ctypes.CDLL(None).prctl(4, 0, 0, 0, 0))
            l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
            c = socket.socket(); c.connect(l.getsockname()); print(c.getpeername() == l.getsockname())
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1); print(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0)
            os.ftruncate(f, 10); fcntl.flock(f, fcntl.LOCK_EX); os.fsync(f); print(os.fstat(f).st_size, os.fstatvfs(f).f_bsize > 0)
            print(os.copy_file_range(f, g, 4, 2, 0), os.pread(g, 10, 0))
            os.setxattr(f, "user.x", b"1"); print(os.getxattr(f, "user.x"), os.listxattr(f))
            """;

    @Test
    void aProgramThatIsNotDumpableIsServedToo() throws Exception {
        Path data = writable("palisade-held-undumpable");
        var o = run(withPrograms(data, "python3", "-c", NOT_DUMPABLE).build());
        assertThat(o.stderr()).isEmpty();
        assertThat(o.stdout()).isEqualTo("0\nTrue\nTrue\n10 True\n4 b'2345'\nb'1' ['user.x']\n");
        assertThat(o.result().syscallCounts()).containsKeys("listen", "getpeername", "ftruncate", "flock", "copy_file_range", "fgetxattr");
    }

    /** A server that sets the usual options (python3's http.server, a client with its own): the same exchange. */
    private static final String SERVER = """
            import http.server, socket, threading, urllib.request
            class Quiet(http.server.SimpleHTTPRequestHandler):
                def log_message(self, *a):
                    pass
            srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
            port = srv.server_address[1]
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            s = srv.socket
            print("server", s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR), s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
            with urllib.request.urlopen("http://127.0.0.1:%d/held.txt" % port) as r:
                print("get", r.status, r.read().decode().strip())
            c = socket.create_connection(("127.0.0.1", port))
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            c.settimeout(5)
            c.sendall(b"GET /missing HTTP/1.0\\r\\n\\r\\n")
            print("raw", c.recv(12).decode(), c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0,
                  c.getpeername()[1] == port)
            c.shutdown(socket.SHUT_RDWR)
            try:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
                print("policy bindtodevice ok")
            except OSError as e:
                print("policy bindtodevice", e.errno)
            srv.shutdown()
            """;

    @Test
    void anHttpServerSettingTheUsualOptionsBehavesAsNatively() throws Exception {
        Path host = writable("palisade-held-http"), data = writable("palisade-held-http-sandbox");
        Files.writeString(host.resolve("held.txt"), "served\n");
        Files.writeString(data.resolve("held.txt"), "served\n");
        var natively = asSandboxUser(host, "python3", "-c", SERVER);
        var served = run(withPrograms(data, "/bin/sh", "-c", "cd /data && exec python3 -c '" + SERVER.replace("'", "'\\''") + "'").build());
        assertThat(natively.stderr()).isEmpty();
        assertThat(served.stderr()).isEmpty();
        assertThat(shared(served.stdout())).isEqualTo(shared(natively.stdout())).isEqualTo("""
                server 1 1
                get 200 served
                raw HTTP/1.0 404 True True""");
        // an option off the list: ENOPROTOOPT where the kernel binds the socket to the device
        assertThat(served.stdout()).endsWith("policy bindtodevice 92\n");
        assertThat(natively.stdout()).endsWith("policy bindtodevice ok\n");
        assertThat(served.result().syscallCounts()).containsKeys("setsockopt", "getsockopt", "listen", "getsockname", "shutdown");
    }
}
