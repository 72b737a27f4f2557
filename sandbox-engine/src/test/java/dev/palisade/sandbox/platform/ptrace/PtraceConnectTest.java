package dev.palisade.sandbox.platform.ptrace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.sandbox.NetworkPolicy;
import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.nativeinterop.TcpConnection;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Sandbox#connect(int)}: the platform reaches a port the program listens on inside the
 * sandbox's own network namespace, and nothing else can (the host's loopback is another one).
 */
class PtraceConnectTest {

    /** A port nothing on the host is expected to use, so that "refused on the host" means something. */
    private static final int PORT = 38_471;

    @TempDir
    Path dir;

    @Test
    void thePlatformReachesAServerListeningInsideTheSandbox() throws Exception {
        Runs.assumePlatform();
        Path ws = workspace("hello from the workspace\n");
        try (Sandbox s = Runs.PLATFORM.start(Runs.spec("/usr/bin/python3", "-m", "http.server", String.valueOf(PORT),
                "--bind", "127.0.0.1").workspace(ws).network(NetworkPolicy.LOOPBACK).build())) {
            drainQuietly(s.stdout());
            drainQuietly(s.stderr());
            String response = get(s, "/hello.txt");
            assertThat(response).startsWith("HTTP/1.0 200").endsWith("hello from the workspace\n");
            // twice, on two connections: the connector thread stays in the namespace
            assertThat(get(s, "/hello.txt")).startsWith("HTTP/1.0 200");
            // the same port on the host's loopback is another namespace: nothing listens there
            assertThatThrownBy(() -> new Socket().connect(new InetSocketAddress("127.0.0.1", PORT), 1000))
                    .isInstanceOf(ConnectException.class);
            // a port nobody listens on inside is refused, not hung
            assertThatThrownBy(() -> s.connect(PORT + 1)).isInstanceOf(IOException.class);
        }
    }

    @Test
    void aSandboxWithPolicyNoneHasNoInterfaceToReach() throws Exception {
        Runs.assumePlatform();
        try (Sandbox s = Runs.PLATFORM.start(Runs.spec("/bin/sleep", "20").build())) {
            assertThatThrownBy(() -> s.connect(PORT)).isInstanceOf(IOException.class);
        }
    }

    @Test
    void anEndedSandboxCannotBeReached() throws Exception {
        Runs.assumePlatform();
        try (Sandbox s = Runs.PLATFORM.start(Runs.spec("/bin/true").network(NetworkPolicy.LOOPBACK).build())) {
            s.await();
            assertThatThrownBy(() -> s.connect(PORT)).isInstanceOf(IOException.class).hasMessageContaining("ended");
        }
    }

    private Path workspace(String content) throws IOException {
        Path ws = Files.createDirectory(dir.resolve("ws"));
        Files.writeString(ws.resolve("hello.txt"), content);
        Files.setPosixFilePermissions(ws, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return ws;
    }

    /** GET over a fresh connection, retried while the server is still starting. */
    private static String get(Sandbox s, String path) throws Exception {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (true) {
            try (TcpConnection ch = s.connect(PORT)) {
                ch.setReadTimeout(20_000);
                ch.output().write(("GET " + path + " HTTP/1.0\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                return new String(ch.input().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private static void drainQuietly(InputStream in) {
        Thread t = new Thread(() -> {
            try {
                in.transferTo(OutputStreamNull.INSTANCE);
            } catch (IOException ignored) {
                // ends with the sandbox
            }
        });
        t.setDaemon(true);
        t.start();
    }

    private static final class OutputStreamNull extends java.io.OutputStream {
        static final OutputStreamNull INSTANCE = new OutputStreamNull();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }
}
