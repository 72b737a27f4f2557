package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.nativeinterop.Namespaces;
import dev.palisade.sandbox.nativeinterop.TcpConnection;

import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * The platform's private path into one sandbox's network namespace. One dedicated platform
 * thread {@code setns}es into the namespace once (only that thread moves; the JVM's others stay
 * in the host's) and then keeps a few unconnected sockets made there ready, so that a request
 * does not wait for a thread hand-off. A socket belongs for good to the namespace it was created
 * in, so the caller connects and uses it from any thread: {@code 127.0.0.1} there is the
 * sandbox's own loopback, which nothing else shares. The thread refills in batches, woken only
 * when half the ready sockets are taken: waking it on every connect put a thread switch (and,
 * on a busy machine, a preemption of the requesting thread) into every new connection.
 *
 * <p>The namespace descriptor is opened when the connector is made (from a live process of the
 * sandbox) and held until {@link #close()}, so the namespace cannot be swapped under it by a
 * reused pid.
 */
final class NetnsConnector implements AutoCloseable {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** Unconnected sockets kept ready (file descriptors of the engine, not of the sandbox). */
    private static final int READY = 16;
    /** The refill starts when this few are left. */
    private static final int LOW = READY / 2;
    /**
     * A connect on the loopback completes at once unless the program's accept queue is full:
     * then the kernel retries the handshake for a while, and the caller gives up after this.
     */
    private static final int CONNECT_TIMEOUT_MILLIS = 5000;

    private final int nsFd;
    private final ArrayBlockingQueue<TcpConnection> ready = new ArrayBlockingQueue<>(READY);
    private final CompletableFuture<Void> entered = new CompletableFuture<>();
    private final Thread thread;
    private volatile boolean closed;
    private volatile IOException failure;

    NetnsConnector(int pid) {
        this.nsFd = Namespaces.openNetNamespace(pid);
        thread = new Thread(this::serve, "netns-" + pid);
        thread.setDaemon(true);
        thread.start();
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
        while (!closed && !Thread.currentThread().isInterrupted()) {
            while (!closed && ready.remainingCapacity() > 0) {
                TcpConnection ch;
                try {
                    ch = TcpConnection.unconnected(false);
                } catch (IOException e) {
                    failure = e;   // descriptors exhausted, say: reported to the next caller, tried again
                    sleepQuietly();
                    continue;
                }
                failure = null;
                if (!ready.offer(ch)) {
                    ch.close();
                }
            }
            if (ready.size() > LOW) {
                LockSupport.park(this);   // until a connect takes the queue down to LOW (or close)
            }
        }
        for (TcpConnection ch; (ch = ready.poll()) != null; ) {
            ch.close();
        }
    }

    /** A connection to {@code 127.0.0.1:port} in the namespace. */
    TcpConnection connect(int port) throws IOException {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (closed) {
            throw new IOException("the sandbox has ended");
        }
        TcpConnection ch = ready.poll();
        if (ready.size() <= LOW) {
            LockSupport.unpark(thread);
        }
        try {
            if (ch == null) {
                ch = ready.poll(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while opening a socket in the sandbox", e);
        }
        if (ch == null) {
            IOException f = failure;
            throw f != null ? f : new IOException("the sandbox's connector did not answer");
        }
        if (closed) {
            ch.close();
            throw new IOException("the sandbox has ended");
        }
        try {
            ch.connect(LOOPBACK, port, CONNECT_TIMEOUT_MILLIS);
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
        thread.interrupt();
        Namespaces.close(nsFd);
        for (TcpConnection ch; (ch = ready.poll()) != null; ) {
            ch.close();
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
