package dev.palisade.platform.ingress;

import dev.palisade.platform.ops.InternalListener;
import dev.palisade.sandbox.nativeinterop.TcpConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * One HTTP/1.1 exchange over a connection to the service (opened inside its sandbox, or to the
 * internal listener of the node that runs it, and kept alive for the next exchange when this one
 * ends cleanly): the request line and headers as the client sent them, less hop-by-hop headers
 * and what stays with the platform ({@link HopFilter}: its cookies, credentials, {@code X-Palisade-*}
 * headers); at the edge, less client-supplied forwarding headers and plus the platform's own
 * {@code X-Forwarded-For/Proto/Host} and {@code Forwarded}, which the hop from the node into the
 * sandbox passes on unchanged ({@link Forwarding}); the request body streamed up (as sent,
 * or re-chunked); the response
 * status, headers and body streamed down, flushed whenever the service pauses so that a
 * streaming response reaches the client as it comes. The bytes pass through one buffer per
 * request thread, reused: nothing is allocated per byte or per line read.
 */
final class HttpProxy {

    /** Never passed on in either direction (RFC 9110 §7.6.1), and what a client must not set for us. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade");
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");
    private static final int MAX_HEAD = 64 * 1024;
    private static final int BUFFER = 16 * 1024;
    /** Request threads are pooled (Tomcat's, the lean ingress's): each keeps its buffer for every request it proxies. */
    private static final ThreadLocal<byte[]> BUFFERS = ThreadLocal.withInitial(() -> new byte[BUFFER]);

    /** The service sent nothing usable before the response began, or closed early. */
    static class BadGateway extends IOException {
        BadGateway(String message) {
            super(message);
        }
    }

    /**
     * A reused connection turned out closed before the service read the request: nothing of the
     * request reached it and nothing of a response reached the client, so it may be sent again
     * on a new connection.
     */
    static final class Stale extends BadGateway {
        Stale(String message) {
            super(message);
        }
    }

    /**
     * The node a request was forwarded to answered 421: the service does not run there (any
     * more). Nothing of it reached the client; the connection is not reused.
     */
    static final class Misdirected extends IOException {
        Misdirected() {
            super("the node no longer runs the service");
        }
    }

    /** What a node answers to a forwarded request for a service it does not run. */
    static final int MISDIRECTED = 421;

    /**
     * How the forwarding headers are made, and what of the platform stays behind ({@link HopFilter}).
     * {@code edge}: this instance received the request from the client, so what the client says
     * about forwarding is dropped and the platform's own view is sent, with the node secret and
     * the service's name for a hop to another node ({@code toNode}). {@code passOn}: the request
     * came from another instance's edge over the authenticated internal hop, so its forwarding
     * headers are the edge's and go on unchanged.
     */
    record Forwarding(boolean edge, String extra, HopFilter hop) {

        static Forwarding edge(HopFilter hop) {
            return new Forwarding(true, "", hop);
        }

        static Forwarding toNode(HopFilter hop, String secret, String tenant, String service) {
            return new Forwarding(true, InternalListener.SECRET_HEADER + ": " + secret + "\r\n"
                    + SERVICE_HEADER + ": " + tenant + "/" + service + "\r\n", hop);
        }

        static Forwarding passOn(HopFilter hop) {
            return new Forwarding(false, "", hop);
        }

        /** Whether this is the hop to another node (which may answer {@link #MISDIRECTED}). */
        boolean toNode() {
            return !extra.isEmpty();
        }

        @Override
        public String toString() {
            return "Forwarding[edge=" + edge + "]";   // never the secret
        }
    }

    /** Names the service ({@code tenant/service}) on the hop to the node that runs it. */
    static final String SERVICE_HEADER = "X-Palisade-Service";

    /** How an exchange ended: the status the client got; {@code keepAlive}: the connection is clean for another. */
    record Exchange(int status, boolean keepAlive) {
    }

    private HttpProxy() {
    }

    /** {@code reused}: the connection was open before this request, so the service may have closed it meanwhile. */
    static Exchange exchange(TcpConnection service, boolean reused, ClientExchange client, String path,
            Forwarding forwarding, int readTimeoutMillis) throws IOException {
        service.setReadTimeout(readTimeoutMillis);
        service.setWriteTimeout(readTimeoutMillis);   // a service that stops reading a long body
        OutputStream up = service.output();
        byte[] buf = BUFFERS.get();
        long length = client.contentLength();
        boolean chunkedUp = length < 0 && client.chunked();
        byte[] head = requestHead(client, path, forwarding, length, chunkedUp);
        // a bodiless idempotent request (RFC 9110 §9.2.2) on a connection that the service closed
        // meanwhile may be sent again: nothing of it was answered
        boolean replayable = reused && length <= 0 && !chunkedUp && IDEMPOTENT.contains(client.method());
        // the body's first part is read before anything goes up: a body malformed from its start
        // (a bad chunk size) fails here, and the service never sees the request
        InputStream body = length > 0 || chunkedUp ? client.body() : null;
        int first = body == null ? -1 : body.read(buf);
        try {
            up.write(head);
        } catch (IOException e) {
            throw replayable ? new Stale("the kept connection was closed: " + e.getMessage()) : e;
        }
        if (body != null) {
            for (int n = first; n >= 0; n = body.read(buf)) {
                if (n == 0) {
                    continue;
                }
                if (chunkedUp) {
                    up.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    up.write(buf, 0, n);
                    up.write(CRLF);
                } else {
                    up.write(buf, 0, n);
                }
            }
            if (chunkedUp) {
                up.write(LAST_CHUNK);
            }
        }

        Reader down = new Reader(service, buf);
        int status;
        boolean http11;
        while (true) {
            String statusLine;
            try {
                statusLine = down.line();
            } catch (SocketTimeoutException e) {
                throw e;
            } catch (IOException e) {
                if (replayable && down.total == 0) {
                    throw new Stale("the kept connection was closed: " + e.getMessage());
                }
                throw e;
            }
            if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
                throw new BadGateway("the service sent no HTTP response");
            }
            http11 = statusLine.charAt(7) == '1';
            try {
                status = Integer.parseInt(statusLine.substring(9, 12));
            } catch (NumberFormatException e) {
                throw new BadGateway("the service sent a malformed status line");
            }
            if (status >= 100 && status < 200 && status != 101) {
                // an interim response (100 Continue): skip it and its headers
                while (!down.line().isEmpty()) {
                    // skip
                }
                continue;
            }
            break;
        }
        if (status == MISDIRECTED && forwarding.toNode()) {
            throw new Misdirected();
        }
        if (status == 101 || status < 100 || status > 599) {
            throw new BadGateway("the service answered with status " + status + ", which the ingress does not relay");
        }
        client.status(status);
        long contentLength = -1;
        boolean chunkedDown = false;
        boolean keepAlive = http11;
        int total = 0;
        for (String line; !(line = down.line()).isEmpty(); ) {
            total += line.length();
            if (total > MAX_HEAD) {
                throw new BadGateway("the service's response headers are too large");
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.equals("content-length")) {
                try {
                    contentLength = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new BadGateway("the service sent a malformed Content-Length");
                }
            } else if (lower.equals("transfer-encoding")) {
                chunkedDown = value.toLowerCase(Locale.ROOT).contains("chunked");
            } else if (lower.equals("connection")) {
                keepAlive &= !value.toLowerCase(Locale.ROOT).contains("close");
            } else if (lower.equals("set-cookie") && !forwarding.hop().keepsSetCookie(value, hostName(client))) {
                continue;   // a platform cookie, or one scoped beyond the service's own host
            } else if (!HOP_BY_HOP.contains(lower) && clean(name) && clean(value)) {
                // a bare CR in a service's header could end the line for the client and split the response
                // (on a kept-alive client connection that also carries other services' requests): dropped
                client.addHeader(name, value);
            }
        }
        boolean noBody = client.method().equals("HEAD") || status == 204 || status == 304;
        if (contentLength >= 0 && !chunkedDown) {
            client.contentLength(contentLength);
        }
        if (noBody) {
            return new Exchange(status, keepAlive && down.drained());
        }
        OutputStream out = client.out();
        if (chunkedDown) {
            while (true) {
                String size = down.line();
                int semi = size.indexOf(';');
                long n;
                try {
                    n = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
                } catch (NumberFormatException e) {
                    throw new BadGateway("the service sent a malformed chunk");
                }
                if (n < 0) {
                    throw new BadGateway("the service sent a malformed chunk");
                }
                if (n == 0) {
                    while (!down.line().isEmpty()) {
                        // trailers are dropped
                    }
                    break;
                }
                down.copy(out, n);
                if (!down.line().isEmpty()) {
                    throw new BadGateway("the service sent a malformed chunk");
                }
                out.flush();
            }
        } else if (contentLength >= 0) {
            down.copy(out, contentLength);
        } else {
            down.copy(out, -1);   // to the end of the connection: not reusable
            keepAlive = false;
        }
        out.flush();
        return new Exchange(status, keepAlive && down.drained());
    }

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

    private static byte[] requestHead(ClientExchange client, String path, Forwarding forwarding, long length,
            boolean chunked) {
        StringBuilder head = new StringBuilder(512);
        head.append(client.method()).append(' ').append(path);
        if (client.query() != null) {
            head.append('?').append(client.query());
        }
        head.append(" HTTP/1.1\r\n");
        String[] host = {null};
        HopFilter hop = forwarding.hop();
        client.forEachHeader((name, value) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (HOP_BY_HOP.contains(lower) || hop.dropsRequestHeader(lower, forwarding.edge())
                    || lower.equals("content-length")) {
                return;
            }
            String v = lower.equals("cookie") ? hop.cookies(value) : value;
            if (v != null && clean(name) && clean(v)) {
                head.append(name).append(": ").append(v).append("\r\n");
                if (lower.equals("host") && host[0] == null) {
                    host[0] = v;
                }
            }
        });
        if (host[0] == null) {
            head.append("Host: localhost\r\n");
        }
        if (forwarding.edge()) {
            String address = client.remoteAddress();
            head.append("X-Forwarded-For: ").append(address).append("\r\n");
            head.append("X-Forwarded-Proto: ").append(client.scheme()).append("\r\n");
            head.append("Forwarded: for=\"").append(address.indexOf(':') >= 0 ? "[" + address + "]" : address)
                    .append("\";proto=").append(client.scheme());
            if (host[0] != null) {
                head.append(";host=\"").append(host[0].replace("\"", "")).append('"');
            }
            head.append("\r\n");
            if (host[0] != null) {
                head.append("X-Forwarded-Host: ").append(host[0]).append("\r\n");
            }
        }
        head.append(forwarding.extra());
        if (length >= 0) {
            head.append("Content-Length: ").append(length).append("\r\n");
        } else if (chunked) {
            head.append("Transfer-Encoding: chunked\r\n");
        }
        head.append("\r\n");
        return head.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * The service's side of the exchange, read through the request thread's buffer: lines of
     * the head, then the body, with nothing left over at the end of a clean message.
     */
    private static final class Reader {
        private final TcpConnection service;
        private final InputStream in;
        private final byte[] buf;
        private int pos, lim;
        /** Bytes read from the service so far. */
        long total;

        Reader(TcpConnection service, byte[] buf) {
            this.service = service;
            this.in = service.input();
            this.buf = buf;
        }

        private int fill() throws IOException {
            if (total > 0) {
                quickAck();
            }
            if (pos == lim) {
                pos = lim = 0;
            } else if (lim == buf.length) {
                System.arraycopy(buf, pos, buf, 0, lim - pos);
                lim -= pos;
                pos = 0;
            }
            int n = in.read(buf, lim, buf.length - lim);
            if (n > 0) {
                lim += n;
                total += n;
            }
            return n;
        }

        /** One head line without its CRLF; "" at the blank line. */
        String line() throws IOException {
            int scanned = 0;   // bytes after pos already looked at
            while (true) {
                for (int i = pos + scanned; i < lim; i++) {
                    if (buf[i] == '\n') {
                        int end = i > pos && buf[i - 1] == '\r' ? i - 1 : i;
                        String s = new String(buf, pos, end - pos, StandardCharsets.ISO_8859_1);
                        pos = i + 1;
                        return s;
                    }
                }
                scanned = lim - pos;
                if (pos == 0 && lim == buf.length) {
                    throw new BadGateway("a header line longer than " + BUFFER / 1024 + " KiB");
                }
                if (fill() < 0) {
                    throw new BadGateway("the service closed the connection before answering");
                }
            }
        }

        /** Copies {@code n} bytes ({@code -1}: to the end), flushing whenever the service has nothing more ready. */
        void copy(OutputStream out, long n) throws IOException {
            long left = n;
            while (left != 0) {
                if (pos == lim && fill() < 0) {
                    if (left > 0) {
                        throw new BadGateway("the service closed the connection " + left + " bytes early");
                    }
                    return;
                }
                int r = (int) (left < 0 ? lim - pos : Math.min(lim - pos, left));
                out.write(buf, pos, r);
                pos += r;
                if (left > 0) {
                    left -= r;
                }
                if (left != 0 && pos == lim && in.available() == 0) {
                    out.flush();
                }
            }
        }

        /**
         * The message came in parts: acknowledge what came now rather than after the kernel's
         * delayed-ACK timer. A server that writes its head and its body apart without
         * TCP_NODELAY (python's http.server, for one) holds the body back until the head is
         * acknowledged, which on a kept-alive connection costs 40 ms a request otherwise.
         */
        private void quickAck() {
            try {
                service.quickAck();
            } catch (IOException e) {
                // not on this kernel: only slower
            }
        }

        /** Nothing read beyond the message: the connection is in step for the next request. */
        boolean drained() {
            return pos == lim;
        }
    }

    /** The host the client asked for, without port. */
    private static String hostName(ClientExchange client) {
        String h = client.header("Host");
        if (h == null) {
            return null;
        }
        int colon = h.lastIndexOf(':');
        return colon > h.lastIndexOf(']') ? h.substring(0, colon) : h;
    }

    /** No CR or LF (header injection) and no NUL. */
    private static boolean clean(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                return false;
            }
        }
        return true;
    }
}
