package dev.palisade.sandbox.sentry.net;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.sandbox.nativeinterop.TcpConnection;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The KVM platform's only way into a sandbox, without a VM: {@link Loopback#connect} hands the
 * caller one end of a host connection and queues the other on the program's listening socket,
 * which the Sentry accepts and reads through its selector.
 */
@Timeout(30)
class LoopbackTest {

    private final AtomicBoolean ended = new AtomicBoolean();
    private final Loopback net = new Loopback(true, ended::get);

    @AfterEach
    void close() {
        net.close();
    }

    private SocketFile listening(int port, int backlog) throws Exception {
        SocketFile listener = new SocketFile(net, SocketFile.AF_INET, 1);
        listener.bind(new byte[] {127, 0, 0, 1}, port);
        listener.listen(backlog);
        return listener;
    }

    @Test
    void bytesGoBothWaysAndTheProgramsCloseIsTheCallersEndOfStream() throws Exception {
        SocketFile listener = listening(8000, 4);
        try (TcpConnection caller = net.connect(8000)) {
            assertThat(caller.remoteAddress()).isEqualTo("127.0.0.1");
            SocketFile accepted = listener.accept(2);
            assertThat(accepted.connected()).isTrue();

            caller.output().write("GET / HTTP/1.0\r\n\r\n".getBytes(US_ASCII));
            ByteBuffer first = ByteBuffer.allocate(4);
            assertThat(accepted.receive(new ByteBuffer[] {first}, false, false, true)).isEqualTo(4);   // MSG_PEEK: waits in the selector
            assertThat(new String(first.array(), US_ASCII)).isEqualTo("GET ");
            ByteBuffer request = ByteBuffer.allocate(64);
            long n = accepted.receive(new ByteBuffer[] {request}, false, false, false);   // the peeked bytes, then the rest
            assertThat(new String(request.array(), 0, (int) n, US_ASCII)).isEqualTo("GET / HTTP/1.0\r\n\r\n");

            accepted.send(new ByteBuffer[] {ByteBuffer.wrap("HTTP/1.0 204 No Content\r\n\r\n".getBytes(US_ASCII))}, false);
            accepted.shutdown(2);
            caller.setReadTimeout(10_000);
            assertThat(new String(caller.input().readAllBytes(), US_ASCII)).isEqualTo("HTTP/1.0 204 No Content\r\n\r\n");
        }
    }

    @Test
    void nothingListeningAFullQueueAndAnEndedSandboxAreRefused() throws Exception {
        assertThatThrownBy(() -> net.connect(8001)).isInstanceOf(ConnectException.class)
                .hasMessageContaining("nothing listens on port 8001");

        listening(8000, 1);
        try (TcpConnection first = net.connect(8000)) {
            assertThat(first.isOpen()).isTrue();
            assertThatThrownBy(() -> net.connect(8000)).isInstanceOf(ConnectException.class)
                    .hasMessageContaining("accept queue of port 8000 is full");
        }

        ended.set(true);
        assertThatThrownBy(() -> net.connect(8000)).isInstanceOf(IOException.class).hasMessageContaining("ended");
    }

    @Test
    void aSandboxWithNetworkPolicyNoneCannotBeReachedAtAll() throws Exception {
        Loopback closedOff = new Loopback(false, () -> false);
        try {
            SocketFile listener = new SocketFile(closedOff, SocketFile.AF_INET, 1);
            listener.bind(new byte[4], 8000);
            listener.listen(4);
            assertThatThrownBy(() -> closedOff.connect(8000)).isInstanceOf(ConnectException.class)
                    .hasMessageContaining("policy is NONE");
        } finally {
            closedOff.close();
        }
    }
}
