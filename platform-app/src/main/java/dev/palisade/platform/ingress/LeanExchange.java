package dev.palisade.platform.ingress;

import dev.palisade.platform.edge.TrustedProxies;
import dev.palisade.sandbox.nativeinterop.TcpConnection;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;

/**
 * One client connection of the dedicated ingress port, and the request being served on it: the
 * request's line and headers read and checked strictly (this is a public port in front of
 * tenants' programs: whatever two parsers could read differently is refused, never guessed),
 * the body de-framed as it is read, and the response framed as it is written. One instance per
 * connection, reused for each request that comes on it.
 */
final class LeanExchange implements ClientExchange {

    /** A request that is refused before it reaches any service: answered with this status, then the connection closes. */
    static final class Refused extends IOException {
        final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private static final int MAX_HEADERS = 100;
    private static final int MAX_CHUNK_LINE = 1024;
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

    private final TcpConnection connection;
    private final InputStream in;
    private final OutputStream socketOut;
    private final byte[] buf;
    private int pos, lim;
    private final long headTimeoutNanos;
    private final int bodyTimeoutMillis;

    // the request
    private String method, path, query;
    private boolean http11;
    private final List<String> names = new ArrayList<>();
    private final List<String> values = new ArrayList<>();
    private long contentLength;
    private boolean chunked, expectContinue, clientCloses;
    /** An HTTP/1.0 client asked to keep the connection ({@code Connection: keep-alive}). */
    private boolean keepAliveAsked;
    /** The client and its scheme: the peer over plain HTTP, unless a trusted proxy says otherwise. */
    private String clientAddress, clientScheme;
    private final Body body = new Body();
    /** What went wrong with the request's body, found while the relay read it. */
    private Refused bodyFailure;

    // the response
    private int status;
    private final List<String> responseNames = new ArrayList<>();
    private final List<String> responseValues = new ArrayList<>();
    private long responseLength;
    private boolean committed, chunkedOut, closeAfter, noBodyOut;
    private long written;
    private final ResponseBody out = new ResponseBody();

    LeanExchange(TcpConnection connection, int maxHeadSize, long headTimeoutNanos, int bodyTimeoutMillis) throws IOException {
        this.connection = connection;
        this.in = connection.input();
        // the head and a small body leave in one write (and one packet) at the flush
        this.socketOut = new BufferedOutputStream(connection.output(), 16 * 1024);
        this.buf = new byte[maxHeadSize];
        this.headTimeoutNanos = headTimeoutNanos;
        this.bodyTimeoutMillis = bodyTimeoutMillis;
    }

    /**
     * Reads the next request's line and headers, waiting at most {@code idleMillis} for its
     * first byte. False: the connection ended (or stayed idle) before a request began.
     *
     * @throws Refused the request is malformed, too large or too slow
     */
    boolean next(int idleMillis) throws IOException {
        clearRequest();
        clearResponse();
        if (pos == lim) {
            pos = lim = 0;
            connection.setReadTimeout(idleMillis);
            try {
                if (fill() < 0) {
                    return false;
                }
            } catch (SocketTimeoutException e) {
                return false;
            }
        }
        long deadline = System.nanoTime() + headTimeoutNanos;
        // the head ends at the first empty line; every line ends with CRLF (a bare LF is refused)
        int scan = pos, lineStart = pos, end = -1;
        while (end < 0) {
            for (; scan < lim; scan++) {
                if (buf[scan] != '\n') {
                    continue;
                }
                if (scan == pos || buf[scan - 1] != '\r') {
                    throw new Refused(400, "a line ends without CR");
                }
                if (scan - 1 == lineStart) {
                    if (lineStart == pos) {
                        pos = lineStart = scan + 1;   // an empty line before the request line is skipped (RFC 9112 §2.2)
                        continue;
                    }
                    end = scan + 1;
                    break;
                }
                lineStart = scan + 1;
            }
            if (end >= 0) {
                break;
            }
            if (lim == buf.length) {
                if (pos == 0) {
                    throw new Refused(431, "the request's line and headers are longer than " + buf.length + " bytes");
                }
                System.arraycopy(buf, pos, buf, 0, lim - pos);
                scan -= pos;
                lineStart -= pos;
                lim -= pos;
                pos = 0;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new Refused(408, "the request's headers did not come in time");
            }
            connection.setReadTimeout((int) Math.max(1, left / 1_000_000));
            try {
                if (fill() < 0) {
                    throw new Refused(400, "the connection ended within the request's headers");
                }
            } catch (SocketTimeoutException e) {
                throw new Refused(408, "the request's headers did not come in time");
            }
        }
        parseHead(pos, end);
        pos = end;
        connection.setReadTimeout(bodyTimeoutMillis);
        return true;
    }

    private int fill() throws IOException {
        int n = in.read(buf, lim, buf.length - lim);
        if (n > 0) {
            lim += n;
        }
        return n;
    }

    private void parseHead(int from, int end) throws Refused {
        int eol = indexOf(from, end);
        parseRequestLine(from, eol);
        String host = null;
        int hosts = 0;
        String length = null;
        String transferEncoding = null;
        for (int line = eol + 2; line < end - 2; line = eol + 2) {
            eol = indexOf(line, end);
            if (buf[line] == ' ' || buf[line] == '\t') {
                throw new Refused(400, "a folded header line (obs-fold)");
            }
            int colon = line;
            while (colon < eol && buf[colon] != ':') {
                if (!tchar(buf[colon])) {
                    throw new Refused(400, "a malformed header name");
                }
                colon++;
            }
            if (colon == line || colon == eol) {
                throw new Refused(400, "a malformed header line");
            }
            int v = colon + 1, w = eol;
            while (v < w && (buf[v] == ' ' || buf[v] == '\t')) {
                v++;
            }
            while (w > v && (buf[w - 1] == ' ' || buf[w - 1] == '\t')) {
                w--;
            }
            for (int i = v; i < w; i++) {
                int c = buf[i] & 0xff;
                if ((c < 0x20 && c != '\t') || c == 0x7f) {
                    throw new Refused(400, "a control character in a header value");
                }
            }
            if (names.size() == MAX_HEADERS) {
                throw new Refused(431, "more than " + MAX_HEADERS + " header lines");
            }
            String name = new String(buf, line, colon - line, StandardCharsets.ISO_8859_1);
            String value = new String(buf, v, w - v, StandardCharsets.ISO_8859_1);
            names.add(name);
            values.add(value);
            switch (name.toLowerCase(Locale.ROOT)) {
                case "host" -> {
                    host = value;
                    hosts++;
                }
                case "content-length" -> {
                    if (value.isEmpty() || value.length() > 15 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                        throw new Refused(400, "a malformed Content-Length");
                    }
                    if (length != null && !length.equals(value)) {
                        throw new Refused(400, "two different Content-Lengths");
                    }
                    length = value;
                }
                case "transfer-encoding" -> {
                    if (transferEncoding != null || !value.equalsIgnoreCase("chunked")) {
                        throw new Refused(400, "a Transfer-Encoding other than chunked");
                    }
                    transferEncoding = value;
                }
                case "connection" -> {
                    for (String token : value.toLowerCase(Locale.ROOT).split(",")) {
                        String option = token.strip();
                        clientCloses |= option.equals("close");
                        keepAliveAsked |= option.equals("keep-alive");
                    }
                }
                case "expect" -> {
                    if (!value.equalsIgnoreCase("100-continue")) {
                        throw new Refused(417, "an expectation other than 100-continue");
                    }
                    expectContinue = http11;
                }
                default -> {
                    // passed on as it is (or dropped) by the relay
                }
            }
        }
        if (hosts > 1 || (http11 && hosts == 0)) {
            throw new Refused(400, hosts > 1 ? "more than one Host header" : "an HTTP/1.1 request without Host");
        }
        if (host != null && host.isEmpty() && http11) {
            throw new Refused(400, "an empty Host header");
        }
        if (transferEncoding != null && (length != null || !http11)) {
            throw new Refused(400, length != null ? "both Content-Length and Transfer-Encoding"
                    : "Transfer-Encoding in an HTTP/1.0 request");
        }
        chunked = transferEncoding != null;
        contentLength = length == null ? -1 : Long.parseLong(length);
        clientCloses |= !http11 && !keepAliveAsked;   // HTTP/1.0 closes unless asked not to
        body.start();
    }

    private void parseRequestLine(int from, int eol) throws Refused {
        int sp1 = from;
        while (sp1 < eol && buf[sp1] != ' ') {
            if (!tchar(buf[sp1])) {
                throw new Refused(400, "a malformed method");
            }
            sp1++;
        }
        int sp2 = sp1 + 1;
        while (sp2 < eol && buf[sp2] != ' ') {
            int c = buf[sp2] & 0xff;
            if (c <= 0x20 || c >= 0x7f) {
                throw new Refused(400, "a malformed request target");
            }
            sp2++;
        }
        if (sp1 == from || sp1 >= eol || sp2 == sp1 + 1 || sp2 >= eol) {
            throw new Refused(400, "a malformed request line");
        }
        String version = new String(buf, sp2 + 1, eol - sp2 - 1, StandardCharsets.ISO_8859_1);
        if (version.equals("HTTP/1.1")) {
            http11 = true;
        } else if (version.equals("HTTP/1.0")) {
            http11 = false;
        } else if (version.matches("HTTP/[0-9]\\.[0-9]")) {
            throw new Refused(505, "HTTP version " + version.substring(5) + " is not supported here");
        } else {
            throw new Refused(400, "a malformed request line");
        }
        method = new String(buf, from, sp1 - from, StandardCharsets.ISO_8859_1);
        if (method.equals("CONNECT")) {
            throw new Refused(405, "CONNECT is not served here");
        }
        if (buf[sp1 + 1] != '/') {
            throw new Refused(400, "only origin-form request targets (/path) are served here");
        }
        String target = new String(buf, sp1 + 1, sp2 - sp1 - 1, StandardCharsets.ISO_8859_1);
        int q = target.indexOf('?');
        path = q < 0 ? target : target.substring(0, q);
        query = q < 0 ? null : target.substring(q + 1);
    }

    /** Where the line that starts at {@code from} ends (its CR). */
    private int indexOf(int from, int end) throws Refused {
        for (int i = from; i < end - 1; i++) {
            if (buf[i] == '\r') {
                if (buf[i + 1] == '\n') {
                    return i;
                }
                break;
            }
        }
        throw new Refused(400, "a CR inside a line");
    }

    /** A token character (RFC 9110 §5.6.2). */
    private static boolean tchar(byte b) {
        int c = b & 0xff;
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    /** Takes the client's address and scheme from the forwarding headers when the peer is a trusted proxy. */
    void forwardedBy(TrustedProxies proxies) {
        TrustedProxies.Client c = proxies.client(connection.remoteAddress(), "http", this::joinedHeader);
        clientAddress = c.address();
        clientScheme = c.scheme();
    }

    private String joinedHeader(String name) {
        StringBuilder all = null;
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equalsIgnoreCase(name)) {
                all = all == null ? new StringBuilder(values.get(i)) : all.append(',').append(values.get(i));
            }
        }
        return all == null ? null : all.toString();
    }

    /** The path as sent. */
    String path() {
        return path;
    }

    /** The value of the Host header without its port, or null. */
    String hostName() {
        String h = header("host");
        if (h == null) {
            return null;
        }
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            return close < 0 ? h : h.substring(0, close + 1);
        }
        int colon = h.lastIndexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    /** Whether the connection may carry another request once this one is answered. */
    boolean keepAlive() {
        return !clientCloses && !closeAfter && bodyFailure == null && body.done();
    }

    /** The connection ends after this request's answer (which says so). */
    void closeAfterThis() {
        clientCloses = true;
    }

    /** The request had a body that was not read to its end (the answer came without it). */
    boolean bodyLeftUnread() {
        return !body.done();
    }

    /** What went wrong with the body while it was read, if anything. */
    Refused bodyFailure() {
        return bodyFailure;
    }

    private void clearRequest() {
        method = path = query = null;
        http11 = true;   // until the request line says otherwise: how a refused one is answered
        names.clear();
        values.clear();
        contentLength = -1;
        chunked = expectContinue = clientCloses = keepAliveAsked = false;
        bodyFailure = null;
        clientAddress = clientScheme = null;
    }

    private void clearResponse() {
        status = 200;
        responseNames.clear();
        responseValues.clear();
        responseLength = -1;
        committed = chunkedOut = closeAfter = noBodyOut = false;
        written = 0;
    }

    // ---- ClientExchange: the request

    @Override
    public String method() {
        return method;
    }

    @Override
    public String query() {
        return query;
    }

    @Override
    public String header(String name) {
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equalsIgnoreCase(name)) {
                return values.get(i);
            }
        }
        return null;
    }

    @Override
    public void forEachHeader(BiConsumer<String, String> each) {
        for (int i = 0; i < names.size(); i++) {
            each.accept(names.get(i), values.get(i));
        }
    }

    @Override
    public long contentLength() {
        return contentLength;
    }

    @Override
    public boolean chunked() {
        return chunked;
    }

    @Override
    public InputStream body() {
        return body;
    }

    @Override
    public String remoteAddress() {
        return clientAddress == null ? connection.remoteAddress() : clientAddress;
    }

    @Override
    public String scheme() {
        return clientScheme == null ? "http" : clientScheme;
    }

    // ---- ClientExchange: the response

    @Override
    public void status(int status) {
        this.status = status;
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public void setHeader(String name, String value) {
        for (int i = responseNames.size() - 1; i >= 0; i--) {
            if (responseNames.get(i).equalsIgnoreCase(name)) {
                responseNames.remove(i);
                responseValues.remove(i);
            }
        }
        addHeader(name, value);
    }

    @Override
    public void addHeader(String name, String value) {
        responseNames.add(name);
        responseValues.add(value);
    }

    @Override
    public void contentLength(long length) {
        responseLength = length;
    }

    @Override
    public OutputStream out() {
        return out;
    }

    @Override
    public boolean committed() {
        return committed;
    }

    @Override
    public void reset() {
        if (committed) {
            throw new IllegalStateException("the response was sent already");
        }
        clearResponse();
    }

    /** Answers a refused request with a short page (when nothing was sent yet); the connection closes after it. */
    void refuse(Refused why) throws IOException {
        if (!committed) {
            clearResponse();
            closeAfter = true;
            Relay.page(this, why.status, switch (why.status) {
                case 405 -> "Method not allowed";
                case 408 -> "Request timeout";
                case 417 -> "Expectation failed";
                case 431 -> "Request header fields too large";
                case 505 -> "HTTP version not supported";
                default -> "Bad request";
            }, "The request was refused: " + why.getMessage() + ".");
        }
        closeAfter = true;
        finish();
    }

    /** Ends the response: its head if nothing was sent yet, the last chunk of a chunked body, and a flush. */
    void finish() throws IOException {
        if (!committed) {
            if (responseLength < 0) {
                responseLength = 0;
            }
            commit();
        }
        if (chunkedOut) {
            socketOut.write(LAST_CHUNK);
        } else if (!noBodyOut && responseLength >= 0 && written != responseLength) {
            closeAfter = true;   // the body came short (the service broke off): the client must not wait for more
        }
        socketOut.flush();
    }

    private void commit() throws IOException {
        committed = true;
        noBodyOut = "HEAD".equals(method) || status == 204 || status == 304 || status < 200;
        StringBuilder head = new StringBuilder(256);
        head.append(http11 ? "HTTP/1.1 " : "HTTP/1.0 ").append(status).append(' ').append(reason(status)).append("\r\n");
        for (int i = 0; i < responseNames.size(); i++) {
            head.append(responseNames.get(i)).append(": ").append(responseValues.get(i)).append("\r\n");
        }
        if (responseLength >= 0) {
            if (status != 204 && status != 304) {
                head.append("Content-Length: ").append(responseLength).append("\r\n");
            }
        } else if (!noBodyOut) {
            if (http11) {
                chunkedOut = true;
                head.append("Transfer-Encoding: chunked\r\n");
            } else {
                closeAfter = true;   // an HTTP/1.0 body of unknown length ends with the connection
            }
        }
        if (clientCloses || closeAfter || bodyFailure != null || !body.done()) {
            // a body left unread cannot be told apart from the next request: the connection ends here
            closeAfter = true;
            head.append("Connection: close\r\n");
        } else if (!http11) {
            head.append("Connection: keep-alive\r\n");   // an HTTP/1.0 client expects the connection to end unless told so
        }
        head.append("\r\n");
        socketOut.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 201 -> "Created";
            case 204 -> "No Content";
            case 206 -> "Partial Content";
            case 301 -> "Moved Permanently";
            case 302 -> "Found";
            case 304 -> "Not Modified";
            case 308 -> "Permanent Redirect";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 417 -> "Expectation Failed";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status";
        };
    }

    /** The response body, framed as the head said (chunked, counted, or to the end of the connection). */
    private final class ResponseBody extends OutputStream {

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (!committed) {
                commit();
            }
            if (noBodyOut || len == 0) {
                return;
            }
            if (chunkedOut) {
                socketOut.write((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                socketOut.write(b, off, len);
                socketOut.write('\r');
                socketOut.write('\n');
            } else {
                if (responseLength >= 0 && written + len > responseLength) {
                    throw new IOException("more body than the Content-Length said");
                }
                socketOut.write(b, off, len);
            }
            written += len;
        }

        @Override
        public void flush() throws IOException {
            if (!committed) {
                commit();
            }
            socketOut.flush();
        }
    }

    /**
     * The request body as the relay reads it: de-chunked, or counted; a malformed or broken-off
     * body fails with {@link Refused} (and is remembered, so that the client is answered so).
     */
    private final class Body extends InputStream {
        private long left;         // bytes left of the body, or of the current chunk
        private boolean done;      // the whole body was read (or there is none)
        private boolean continued;

        void start() {
            continued = false;
            if (chunked) {
                left = 0;
                done = false;
            } else {
                left = Math.max(0, contentLength);
                done = left == 0;
            }
        }

        boolean done() {
            return done;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            try {
                if (expectContinue && !continued && !committed) {
                    continued = true;
                    socketOut.write(CONTINUE);
                    socketOut.flush();
                }
                if (chunked && left == 0) {
                    left = nextChunk();
                    if (left == 0) {
                        done = true;
                        return -1;
                    }
                }
                if (pos == lim) {
                    pos = lim = 0;
                    if (fill() < 0) {
                        throw new Refused(400, "the request body ended early");
                    }
                }
                int n = (int) Math.min(Math.min(len, lim - pos), left);
                System.arraycopy(buf, pos, b, off, n);
                pos += n;
                left -= n;
                if (left == 0) {
                    if (chunked) {
                        expectCrlf();
                    } else {
                        done = true;
                    }
                }
                return n;
            } catch (Refused e) {
                bodyFailure = e;
                throw e;
            } catch (SocketTimeoutException e) {
                bodyFailure = new Refused(408, "the request body did not come in time");
                throw bodyFailure;
            }
        }

        private int next() throws IOException {
            if (pos == lim) {
                pos = lim = 0;
                if (fill() < 0) {
                    throw new Refused(400, "the request body ended early");
                }
            }
            return buf[pos++] & 0xff;
        }

        private void expectCrlf() throws IOException {
            if (next() != '\r' || next() != '\n') {
                throw new Refused(400, "a chunk not followed by CRLF");
            }
        }

        /** Reads a chunk-size line (extensions ignored); at the last chunk, also the trailers (dropped). */
        private long nextChunk() throws IOException {
            long size = 0;
            int digits = 0, read = 0, c;
            while (true) {
                c = next();
                int d = Character.digit(c, 16);
                if (d < 0) {
                    break;
                }
                if (++digits > 15) {
                    throw new Refused(400, "a chunk size too large");
                }
                size = size * 16 + d;
            }
            if (digits == 0) {
                throw new Refused(400, "a malformed chunk size");
            }
            if (c == ';') {
                // a chunk extension: tolerated, never passed on (the relay re-chunks)
                while ((c = next()) != '\r') {
                    if ((c < 0x20 && c != '\t') || c == 0x7f || ++read > MAX_CHUNK_LINE) {
                        throw new Refused(400, "a malformed chunk extension");
                    }
                }
            } else if (c == ' ' || c == '\t') {
                throw new Refused(400, "a malformed chunk size");
            }
            if (c != '\r' || next() != '\n') {
                throw new Refused(400, "a malformed chunk size");
            }
            if (size == 0) {
                trailers();
            }
            return size;
        }

        private void trailers() throws IOException {
            int total = 0;
            while (true) {
                int c = next(), length = 0;
                if (c == '\r') {
                    if (next() != '\n') {
                        throw new Refused(400, "a malformed trailer");
                    }
                    return;
                }
                while (c != '\r') {
                    if ((c < 0x20 && c != '\t') || c == 0x7f || ++total > buf.length) {
                        throw new Refused(c == '\n' || c < 0x20 || c == 0x7f ? 400 : 431, "malformed or oversized trailers");
                    }
                    c = next();
                    length++;
                }
                if (next() != '\n' || length == 0) {
                    throw new Refused(400, "a malformed trailer");
                }
            }
        }
    }
}
