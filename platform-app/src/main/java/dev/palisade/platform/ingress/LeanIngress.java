package dev.palisade.platform.ingress;

import dev.palisade.platform.edge.TrustedProxies;
import dev.palisade.platform.service.ServiceProperties;
import dev.palisade.sandbox.nativeinterop.TcpConnection;
import dev.palisade.sandbox.nativeinterop.TcpListener;
import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The dedicated ingress port ({@code palisade.services.ingress.port}, off by default): hosted
 * services only, at host names under the apps domain ({@code service.tenant.<apps domain>}),
 * routed and relayed exactly as on the platform port ({@link IngressRouter}, {@link Relay});
 * nothing of the platform (API, console, actuator) answers here, whatever the host. Built for the fewest hand-offs between
 * threads: a fixed set of threads each wait in the kernel's {@code accept()} of one socket
 * ({@link TcpListener}: the kernel wakes exactly one per connection, with no Java lock passed
 * on), and the thread that accepts a connection serves it itself, request after request while
 * the client keeps it open, then goes back to accepting. With every thread busy, new connections
 * wait in the kernel's backlog. Tomcat's path, by contrast, passes each new connection from its
 * acceptor to its poller to a worker thread.
 *
 * <p>Only a couple of threads wait in {@code accept()} at a time; the others wait parked, the
 * most recently busy first to be called. The kernel wakes the waiters of an {@code accept()} in
 * turn, so with all of them there, one client at a time was served by each of the threads in
 * turn, every one of them cold (its stack and data out of the caches). Now the same two
 * alternate; a parked one is called only when no thread is left in {@code accept()}.
 */
@Component
public class LeanIngress implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(LeanIngress.class);

    /** At most this long, and this long of silence, spent reading what a client sends after its answer. */
    private static final int LINGER_MILLIS = 1000;
    private static final int LINGER_SILENCE_MILLIS = 200;
    /** A thread done with its connection goes back to accept() while fewer than this wait there, else it parks. */
    private static final int ACCEPTING = 2;

    private final IngressRouter router;
    private final TrustedProxies proxies;
    private final IngressProperties properties;
    private final int bodyTimeoutMillis;
    /** Connections being served, by their thread: when there are as many as threads, none accepts. */
    private final Set<TcpConnection> open = ConcurrentHashMap.newKeySet();
    /** Connections waiting for their next request: cut at once at a stop. */
    private final Set<TcpConnection> idle = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>();
    /** Threads parked until called into accept(), the last parked on top; guards itself and {@link #accepting}. */
    private final Deque<Thread> parked = new ArrayDeque<>();
    /** Threads in accept(), or on their way into it. */
    private int accepting;
    private volatile TcpListener server;
    private volatile boolean stopping;
    private volatile int threadCount;

    LeanIngress(IngressRouter router, TrustedProxies proxies, IngressProperties properties, ServiceProperties services) {
        this.router = router;
        this.proxies = proxies;
        this.properties = properties;
        this.bodyTimeoutMillis = (int) services.readTimeout().toMillis();
    }

    /** The port it listens on; -1 when it does not. */
    public int port() {
        TcpListener s = server;
        return s == null ? -1 : s.port();
    }

    @Override
    public synchronized void start() {
        if (properties.port() < 0 || server != null) {
            return;
        }
        try {
            TcpListener s = TcpListener.open(InetAddress.getByName(properties.bind()), properties.port(),
                    Math.max(128, properties.threads()));
            // an HTTP client speaks first: a thread wakes when its request is there, and a silent
            // connection waits in the kernel (at most about header-timeout, then it has that long again)
            s.deferAcceptUntilData((int) Math.max(1, properties.headerTimeout().toSeconds()));
            server = s;
        } catch (IOException e) {
            throw new IllegalStateException("The ingress port " + properties.bind() + ":" + properties.port()
                    + " cannot be opened: " + e.getMessage(), e);
        }
        stopping = false;
        threadCount = Math.max(1, properties.threads());
        synchronized (parked) {
            accepting = threadCount;   // every thread starts in accept(); the first ones back park
        }
        for (int i = 0; i < threadCount; i++) {
            Thread t = new Thread(this::acceptAndServe, "ingress-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        log.info("Ingress port {} open on {} ({} threads)", port(), properties.bind(), threads.size());
    }

    private void acceptAndServe() {
        TcpListener s = server;
        while (!stopping && server == s) {   // a thread that outlived a stop never serves the port opened after it
            TcpConnection client;
            try {
                client = s.accept();
            } catch (IOException e) {
                if (!stopping) {
                    log.warn("Ingress port: accept failed: {}", e.toString());
                    pause();   // out of descriptors, say: not a busy loop
                }
                continue;
            } finally {
                leftAccept();
            }
            open.add(client);
            try (client) {
                serve(client);
            } catch (SocketException e) {
                log.trace("Ingress connection ended: {}", e.toString());   // reset by the client, or closed at stop
            } catch (IOException | RuntimeException e) {
                log.debug("Ingress connection failed", e);
            } finally {
                open.remove(client);
            }
            awaitTurnToAccept();
        }
    }

    /** Calls the most recently parked thread into accept() when this one was the last there. */
    private void leftAccept() {
        Thread next = null;
        synchronized (parked) {
            accepting--;
            if (accepting == 0 && !parked.isEmpty()) {
                next = parked.pop();
                accepting++;
            }
        }
        if (next != null) {
            LockSupport.unpark(next);
        }
    }

    /** Back to accept() when fewer than {@link #ACCEPTING} threads wait there, else parked until called (or the stop). */
    private void awaitTurnToAccept() {
        Thread me = Thread.currentThread();
        synchronized (parked) {
            if (accepting < ACCEPTING || stopping) {
                accepting++;
                return;
            }
            parked.push(me);
        }
        while (!stopping) {
            LockSupport.park(this);
            synchronized (parked) {
                if (!parked.contains(me)) {
                    return;   // called: leftAccept counted it in
                }
            }
        }
    }

    /** Every request of one connection, until it closes, idles out, or a request is refused. */
    private void serve(TcpConnection connection) throws IOException {
        connection.setNoDelay(true);
        connection.setWriteTimeout(bodyTimeoutMillis);   // a client that stops reading does not hold its thread for ever
        LeanExchange x = new LeanExchange(connection, properties.maxHeadSize(), properties.headerTimeout().toNanos(),
                bodyTimeoutMillis);
        int wait = (int) properties.headerTimeout().toMillis();   // a new connection has its first request's time
        while (!stopping) {
            idle.add(connection);
            try {
                if (!x.next(wait)) {
                    return;
                }
            } catch (LeanExchange.Refused e) {
                refuse(x, connection, e);
                return;
            } finally {
                idle.remove(connection);
            }
            if (open.size() >= threadCount) {
                // every thread holds a connection: this one idling after its answer would keep new clients in the backlog
                x.closeAfterThis();
            }
            String path = x.path();
            if (!RequestPaths.acceptable(path)) {
                refuse(x, connection, new LeanExchange.Refused(400, "a malformed path"));
                return;
            }
            x.forwardedBy(proxies);
            try {
                if (!router.serve(x, x.hostName(), path)) {
                    Relay.page(x, 404, "Not found", "This port serves hosted services only, at service.tenant."
                            + router.appsDomain() + ".");
                }
            } catch (RuntimeException e) {
                log.warn("Ingress port: a request failed", e);
                if (!x.committed()) {
                    x.reset();
                    Relay.page(x, 500, "Internal error", "The ingress could not serve this request.");
                }
            }
            if (x.bodyFailure() != null) {
                refuse(x, connection, x.bodyFailure());
                return;
            }
            x.finish();
            if (!x.keepAlive()) {
                if (x.bodyLeftUnread()) {
                    linger(connection);
                }
                return;
            }
            wait = (int) properties.idleTimeout().toMillis();
        }
    }

    /**
     * Answers a refused request and closes the connection, reading (and dropping) what the client
     * still sends for a moment first ({@link #linger}).
     */
    private static void refuse(LeanExchange x, TcpConnection connection, LeanExchange.Refused why) throws IOException {
        log.debug("Ingress port refused a request from {}: {}", connection.remoteAddress(), why.getMessage());
        x.refuse(why);
        linger(connection);
    }

    /**
     * Ends the connection after reading (and dropping) what the client still sends, for a
     * moment: closed with bytes unread, the socket would send a reset that may destroy the
     * answer before the client reads it.
     */
    private static void linger(TcpConnection connection) throws IOException {
        connection.shutdownOutput();
        connection.setReadTimeout(LINGER_SILENCE_MILLIS);
        byte[] drop = new byte[4096];
        long end = System.nanoTime() + LINGER_MILLIS * 1_000_000L;
        try {
            for (long total = 0; total < (1 << 20) && System.nanoTime() < end; ) {
                int n = connection.input().read(drop);
                if (n < 0) {
                    return;
                }
                total += n;
            }
        } catch (IOException e) {
            // closed or silent: closing anyway
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void stop() {
        TcpListener s;
        List<Thread> running;
        synchronized (this) {
            s = server;
            running = new ArrayList<>(threads);
            threads.clear();
            server = null;
        }
        if (s == null) {
            return;
        }
        stopping = true;
        s.close();   // wakes the threads waiting in accept
        synchronized (parked) {
            parked.forEach(LockSupport::unpark);   // they see the stop and end
            parked.clear();
        }
        // requests in flight get a moment to finish; idle and slow connections are cut
        abortAll(idle);
        long end = System.nanoTime() + 2_000_000_000L;
        for (Thread t : running) {
            try {
                t.join(Math.max(1, (end - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        abortAll(open);
        log.info("Ingress port closed");
    }

    /** Cuts them from this thread: their own threads wake, see the end and close them. */
    private static void abortAll(Set<TcpConnection> connections) {
        for (TcpConnection c : connections) {
            c.abort();
        }
    }

    @Override
    public boolean isRunning() {
        return server != null;
    }
}
