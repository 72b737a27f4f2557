package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.nativeinterop.Namespaces;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The platform's private path into one sandbox's network namespace. One dedicated platform
 * thread {@code setns}es into the namespace once (only that thread moves; the JVM's others stay
 * in the host's) and then makes sockets on request. A socket belongs for good to the namespace
 * it was created in, so the caller connects and uses it from any thread: {@code 127.0.0.1} there
 * is the sandbox's own loopback, which nothing else shares.
 *
 * <p>The namespace descriptor is opened when the connector is made (from a live process of the
 * sandbox) and held until {@link #close()}, so the namespace cannot be swapped under it by a
 * reused pid.
 */
final class NetnsConnector implements AutoCloseable {

    private static final CompletableFuture<SocketChannel> STOP = new CompletableFuture<>();
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final int nsFd;
    private final LinkedBlockingQueue<CompletableFuture<SocketChannel>> requests = new LinkedBlockingQueue<>();
    private final CompletableFuture<Void> entered = new CompletableFuture<>();
    private volatile boolean closed;

    NetnsConnector(int pid) {
        this.nsFd = Namespaces.openNetNamespace(pid);
        Thread t = new Thread(this::serve, "netns-" + pid);
        t.setDaemon(true);
        t.start();
        try {
            entered.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while entering the sandbox's network namespace", e);
        } catch (ExecutionException | TimeoutException e) {
            close();
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("could not enter the sandbox's network namespace: " + cause.getMessage(), cause);
        }
    }

    private void serve() {
        try {
            Namespaces.enterNetNamespace(nsFd);
            entered.complete(null);
        } catch (RuntimeException e) {
            entered.completeExceptionally(e);
            return;
        }
        while (true) {
            CompletableFuture<SocketChannel> r;
            try {
                r = requests.take();
            } catch (InterruptedException e) {
                return;
            }
            if (r == STOP) {
                return;
            }
            try {
                r.complete(SocketChannel.open(StandardProtocolFamily.INET));
            } catch (IOException | RuntimeException e) {
                r.completeExceptionally(e);
            }
        }
    }

    /** A connected channel to {@code 127.0.0.1:port} in the namespace. */
    SocketChannel connect(int port) throws IOException {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (closed) {
            throw new IOException("the sandbox has ended");
        }
        CompletableFuture<SocketChannel> r = new CompletableFuture<>();
        requests.add(r);
        SocketChannel ch;
        try {
            ch = r.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while opening a socket in the sandbox", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the sandbox's connector did not answer", e);
        }
        try {
            ch.connect(new InetSocketAddress(LOOPBACK, port));
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        requests.add(STOP);
        Namespaces.close(nsFd);
    }
}
