package dev.palisade.platform.ingress;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Locale;
import java.util.Set;

/**
 * One HTTP/1.1 exchange over a connection to the service (opened inside its sandbox): the
 * request line and headers as the client sent them, less hop-by-hop and client-supplied
 * forwarding headers, plus the platform's own {@code X-Forwarded-*}; the request body streamed
 * up (as sent, or re-chunked); the response status, headers and body streamed down, flushed
 * whenever the service pauses so that a streaming response reaches the client as it comes.
 * One request per connection ({@code Connection: close}): a connection inside the sandbox's
 * loopback costs a few microseconds.
 */
final class HttpProxy {

    /** Never passed on in either direction (RFC 9110 §7.6.1), and what a client must not set for us. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade");
    private static final Set<String> FORWARDING = Set.of("forwarded", "x-forwarded-for", "x-forwarded-host",
            "x-forwarded-proto", "x-forwarded-port", "x-forwarded-prefix", "x-forwarded-server", "x-real-ip",
            "x-forwarded-ssl", "x-original-url", "x-original-host");
    private static final int MAX_HEAD = 64 * 1024;

    /** The service sent nothing usable before the response began, or closed early. */
    static final class BadGateway extends IOException {
        BadGateway(String message) {
            super(message);
        }
    }

    private HttpProxy() {
    }

    /** @return the status code the client got */
    static int exchange(SocketChannel channel, HttpServletRequest req, HttpServletResponse resp, String path,
            String prefix, int readTimeoutMillis) throws IOException {
        Socket socket = channel.socket();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(readTimeoutMillis);
        OutputStream up = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
        StringBuilder head = new StringBuilder(512);
        head.append(req.getMethod()).append(' ').append(path);
        if (req.getQueryString() != null) {
            head.append('?').append(req.getQueryString());
        }
        head.append(" HTTP/1.1\r\n");
        String host = req.getHeader("Host");
        for (String name : Collections.list(req.getHeaderNames())) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (HOP_BY_HOP.contains(lower) || FORWARDING.contains(lower) || lower.equals("content-length")) {
                continue;
            }
            for (String value : Collections.list(req.getHeaders(name))) {
                if (clean(name) && clean(value)) {
                    head.append(name).append(": ").append(value).append("\r\n");
                }
            }
        }
        if (host == null) {
            head.append("Host: localhost\r\n");
        }
        head.append("X-Forwarded-For: ").append(req.getRemoteAddr()).append("\r\n");
        head.append("X-Forwarded-Proto: ").append(req.getScheme()).append("\r\n");
        if (host != null && clean(host)) {
            head.append("X-Forwarded-Host: ").append(host).append("\r\n");
        }
        head.append("X-Forwarded-Prefix: ").append(prefix).append("\r\n");
        head.append("Connection: close\r\n");
        long length = req.getContentLengthLong();
        boolean chunkedUp = length < 0 && req.getHeader("Transfer-Encoding") != null;
        if (length >= 0) {
            head.append("Content-Length: ").append(length).append("\r\n");
        } else if (chunkedUp) {
            head.append("Transfer-Encoding: chunked\r\n");
        }
        head.append("\r\n");
        up.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        byte[] buf = new byte[16 * 1024];
        if (length > 0 || chunkedUp) {
            InputStream body = req.getInputStream();
            for (int n; (n = body.read(buf)) >= 0; ) {
                if (n == 0) {
                    continue;
                }
                if (chunkedUp) {
                    up.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    up.write(buf, 0, n);
                    up.write('\r');
                    up.write('\n');
                } else {
                    up.write(buf, 0, n);
                }
            }
            if (chunkedUp) {
                up.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
        }
        up.flush();

        InputStream down = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
        int status;
        long contentLength = -1;
        boolean chunkedDown = false;
        while (true) {
            String statusLine = readLine(down);
            if (statusLine == null || !statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
                throw new BadGateway("the service sent no HTTP response");
            }
            try {
                status = Integer.parseInt(statusLine.substring(9, 12));
            } catch (NumberFormatException e) {
                throw new BadGateway("the service sent a malformed status line");
            }
            if (status >= 100 && status < 200 && status != 101) {
                // an interim response (100 Continue): skip it and its headers
                while (!readLine(down).isEmpty()) {
                    // skip
                }
                continue;
            }
            break;
        }
        if (status == 101 || status < 100 || status > 599) {
            throw new BadGateway("the service answered with status " + status + ", which the ingress does not relay");
        }
        resp.setStatus(status);
        int total = 0;
        for (String line; !(line = readLine(down)).isEmpty(); ) {
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
            } else if (!HOP_BY_HOP.contains(lower)) {
                resp.addHeader(name, value);
            }
        }
        boolean noBody = req.getMethod().equals("HEAD") || status == 204 || status == 304;
        if (contentLength >= 0 && !chunkedDown) {
            resp.setContentLengthLong(contentLength);
        }
        if (noBody) {
            return status;
        }
        OutputStream out = resp.getOutputStream();
        if (chunkedDown) {
            while (true) {
                String size = readLine(down);
                int semi = size.indexOf(';');
                long n;
                try {
                    n = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
                } catch (NumberFormatException e) {
                    throw new BadGateway("the service sent a malformed chunk");
                }
                if (n == 0) {
                    while (!readLine(down).isEmpty()) {
                        // trailers are dropped
                    }
                    break;
                }
                copy(down, out, buf, n);
                readLine(down);
                out.flush();
            }
        } else {
            copy(down, out, buf, contentLength);
        }
        out.flush();
        return status;
    }

    /** Copies {@code n} bytes ({@code -1}: to the end), flushing whenever the service has nothing more ready. */
    private static void copy(InputStream in, OutputStream out, byte[] buf, long n) throws IOException {
        long left = n;
        while (left != 0) {
            int want = left < 0 ? buf.length : (int) Math.min(buf.length, left);
            int r = in.read(buf, 0, want);
            if (r < 0) {
                if (left > 0) {
                    throw new BadGateway("the service closed the connection " + left + " bytes early");
                }
                return;
            }
            out.write(buf, 0, r);
            if (left > 0) {
                left -= r;
            }
            if (left != 0 && in.available() == 0) {
                out.flush();
            }
        }
    }

    /** One header line without its CRLF; "" at the blank line. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        for (int c; (c = in.read()) >= 0; ) {
            if (c == '\n') {
                int len = b.size();
                byte[] bytes = b.toByteArray();
                return new String(bytes, 0, len > 0 && bytes[len - 1] == '\r' ? len - 1 : len, StandardCharsets.ISO_8859_1);
            }
            if (b.size() >= 16 * 1024) {
                throw new BadGateway("a header line longer than 16 KiB");
            }
            b.write(c);
        }
        if (b.size() == 0) {
            throw new BadGateway("the service closed the connection before answering");
        }
        return new String(b.toByteArray(), StandardCharsets.ISO_8859_1);
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
