package dev.palisade.sandbox;

import dev.palisade.sandbox.nativeinterop.TcpConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** A running sandbox. Closing it kills what still runs and frees its resources. */
public interface Sandbox extends AutoCloseable {

    /** The program's standard input; close it to send end-of-file. */
    OutputStream stdin();

    /** The program's standard output, as it writes it. Must be drained, or the program blocks. */
    InputStream stdout();

    /** The program's standard error, as it writes it. Must be drained, or the program blocks. */
    InputStream stderr();

    /** Ends every process of the sandbox now; {@link #await()} then reports {@link Termination#KILLED}. */
    void kill();

    /** Waits for the end and returns the result. */
    SandboxResult await() throws InterruptedException;

    /** Waits at most {@code timeout}; empty while it still runs. */
    Optional<SandboxResult> await(Duration timeout) throws InterruptedException;

    /**
     * Opens a TCP connection to {@code 127.0.0.1:port} inside the sandbox's own network (its
     * network namespace on ptrace; on KVM the Sentry's loopback, where the caller gets one end of
     * a host socket pair the program accepts): the platform's private path to a service the
     * program listens on. The sandbox
     * itself still reaches nothing outside (its policy stays as it was); only the caller holds
     * this connection, connected (a {@link TcpConnection}: blocking reads and writes with the
     * kernel's timeouts, {@code TCP_NODELAY}).
     *
     * @throws UnsupportedOperationException on a platform whose sandboxes have no sockets
     * @throws IOException when nothing listens there (connection refused) or the sandbox ended
     */
    default TcpConnection connect(int port) throws IOException {
        throw new UnsupportedOperationException("this platform's sandboxes have no network sockets");
    }

    /**
     * CPU time the whole sandbox has used so far, while it still runs: what lets the platform
     * charge a long-running program as it goes rather than only at its end. {@code -1} where
     * the platform does not account it while running (the result has it at the end).
     */
    default long cpuNanosSoFar() {
        return -1;
    }

    /**
     * The connections its network policy refused since the last call (the egress policy; none for
     * the others), oldest first: security events. Kept in a bounded buffer until taken.
     */
    default List<RefusedConnection> takeRefusedConnections() {
        return List.of();
    }

    @Override
    void close();
}
