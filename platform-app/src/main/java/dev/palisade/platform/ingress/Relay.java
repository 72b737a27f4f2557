package dev.palisade.platform.ingress;

import dev.palisade.platform.service.InstanceConnections;
import dev.palisade.platform.service.RequestPermits;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.util.HtmlUtils;

/**
 * One request relayed to where its service runs, over a kept-alive connection: into the
 * service's sandbox on this node, or to the internal listener of the node that runs it. Waits
 * for one of the service's request permits, retries once on a fresh connection when a kept one
 * turned out closed before the request reached the other side, and answers every failure with a
 * short page (no stack trace, nothing internal).
 */
final class Relay {

    private static final Logger log = LoggerFactory.getLogger(Relay.class);

    /**
     * Where a request goes and how it is said there: the connections, how the forwarding headers
     * are made, how long the other side may stay silent, what the client reads when it cannot be
     * reached, and who else must know then.
     */
    record Upstream(InstanceConnections connections, HttpProxy.Forwarding forwarding, int readTimeoutMillis,
            String unreachable, Runnable onUnreachable, BooleanSupplier replaced) {

        /** An upstream that nothing can take the place of while a request is on its way. */
        Upstream(InstanceConnections connections, HttpProxy.Forwarding forwarding, int readTimeoutMillis,
                String unreachable, Runnable onUnreachable) {
            this(connections, forwarding, readTimeoutMillis, unreachable, onUnreachable, () -> false);
        }
    }

    private Relay() {
    }

    /**
     * Relays the request; returns the status the client got, or {@link HttpProxy#MISDIRECTED}
     * with nothing sent to the client when the node forwarded to no longer runs the service, or
     * when the instance could not be reached because a newer one has taken its place (a roll-over
     * stops the old instance while requests routed to it may still be on their way).
     */
    static int relay(ClientExchange client, String service, String path, Upstream upstream,
            RequestPermits permits, long queueTimeoutMillis) throws IOException {
        try {
            if (!permits.acquireBlocking(queueTimeoutMillis)) {
                client.setHeader("Retry-After", "1");
                page(client, 503, "Service busy", "Service " + service + " has too many requests in flight; try again shortly.");
                return 503;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 503;
        }
        InstanceConnections connections = upstream.connections();
        InstanceConnections.Lease lease = null;
        boolean keep = false;
        try {
            lease = connections.acquire();
            HttpProxy.Exchange x;
            try {
                x = HttpProxy.exchange(lease.connection(), lease.reused(), client, path, upstream.forwarding(),
                        upstream.readTimeoutMillis());
            } catch (HttpProxy.Stale e) {
                // the other side closed a kept connection meanwhile: the request never reached it, send it on a new one
                connections.release(lease.connection(), false);
                lease = null;
                lease = connections.fresh();
                x = HttpProxy.exchange(lease.connection(), false, client, path, upstream.forwarding(),
                        upstream.readTimeoutMillis());
            }
            keep = x.keepAlive();
            return x.status();
        } catch (HttpProxy.Misdirected e) {
            return HttpProxy.MISDIRECTED;   // the response is untouched: the caller looks again
        } catch (SocketTimeoutException e) {
            if (lease == null) {
                return unreachable(client, upstream);   // the connect timed out
            }
            if (!client.committed()) {
                client.reset();
                page(client, 504, "Service timed out", "Service " + service + " did not answer in time.");
            }
            return 504;
        } catch (HttpProxy.BadGateway e) {
            if (!client.committed()) {
                client.reset();
                page(client, 502, "Bad gateway", "Service " + service + " sent no valid answer: " + e.getMessage() + ".");
            }
            return 502;
        } catch (IOException e) {
            if (lease == null) {
                return unreachable(client, upstream);
            }
            // the client went away, or the other side's connection broke mid-body: nothing more to send
            log.debug("Ingress {}: {}", service, e.toString());
            return client.committed() ? client.status() : 502;
        } finally {
            if (lease != null) {
                connections.release(lease.connection(), keep);
            }
            permits.release();
        }
    }

    private static int unreachable(ClientExchange client, Upstream upstream) throws IOException {
        upstream.onUnreachable().run();
        if (upstream.replaced().getAsBoolean()) {
            return HttpProxy.MISDIRECTED;
        }
        client.setHeader("Retry-After", "2");
        page(client, 503, "Service unavailable", upstream.unreachable());
        return 503;
    }

    static void page(ClientExchange client, int status, String title, String text) throws IOException {
        client.status(status);
        client.setHeader("Content-Type", "text/html;charset=UTF-8");
        client.setHeader("Cache-Control", "no-store");
        byte[] body = html(status, title, text);
        client.contentLength(body.length);
        client.out().write(body);
    }

    /** The ingress's own short page: no stack trace, nothing internal; the same on both fronts. */
    static byte[] html(int status, String title, String text) {
        String t = HtmlUtils.htmlEscape(title), x = HtmlUtils.htmlEscape(text);
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + status + " " + t
                + "</title><style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;color:#222}"
                + "h1{font-size:1.4em}small{color:#666}</style></head><body><h1>" + status + " — " + t + "</h1><p>" + x
                + "</p><p><small>Palisade ingress</small></p></body></html>\n").getBytes(StandardCharsets.UTF_8);
    }
}
