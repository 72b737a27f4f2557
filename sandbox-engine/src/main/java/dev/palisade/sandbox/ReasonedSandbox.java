package dev.palisade.sandbox;

import dev.palisade.sandbox.nativeinterop.TcpConnection;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** A platform's sandbox whose result carries why the engine chose that platform; otherwise the sandbox itself. */
final class ReasonedSandbox implements Sandbox {
    private final Sandbox sandbox;
    private final String reason;

    ReasonedSandbox(Sandbox sandbox, String reason) {
        this.sandbox = sandbox;
        this.reason = reason;
    }

    @Override
    public OutputStream stdin() {
        return sandbox.stdin();
    }

    @Override
    public InputStream stdout() {
        return sandbox.stdout();
    }

    @Override
    public InputStream stderr() {
        return sandbox.stderr();
    }

    @Override
    public void kill() {
        sandbox.kill();
    }

    @Override
    public SandboxResult await() throws InterruptedException {
        return sandbox.await().withPlatformReason(reason);
    }

    @Override
    public Optional<SandboxResult> await(Duration timeout) throws InterruptedException {
        return sandbox.await(timeout).map(r -> r.withPlatformReason(reason));
    }

    @Override
    public TcpConnection connect(int port) throws IOException {
        return sandbox.connect(port);
    }

    @Override
    public long cpuNanosSoFar() {
        return sandbox.cpuNanosSoFar();
    }

    @Override
    public List<RefusedConnection> takeRefusedConnections() {
        return sandbox.takeRefusedConnections();
    }

    @Override
    public void close() {
        sandbox.close();
    }
}
