import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One kept-alive HTTP/1.1 connection per client thread and API, blocking I/O. Java's HttpClient
 * spent about 1.8 ms of CPU per request here (selector and executor hand-offs): at 300 req/s a
 * third of this 2-CPU machine, taken from the platform being measured.
 */
final class KeptConnection {
    private static final ThreadLocal<Map<String, KeptConnection>> MINE = ThreadLocal.withInitial(HashMap::new);
    private final Socket socket;
    private final BufferedInputStream in;
    private final OutputStream out;
    private final String host;
    private String body;

    private KeptConnection(String api) throws IOException {
        URI u = URI.create(api);
        host = u.getHost() + ":" + u.getPort();
        socket = new Socket(u.getHost(), u.getPort());
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(10_000);
        in = new BufferedInputStream(socket.getInputStream(), 16384);
        out = new BufferedOutputStream(socket.getOutputStream(), 4096);
    }

    /** An answer: the status and the whole body. */
    record Answer(int status, String body) {
    }

    /** One request on this thread's connection to {@code api} (opened on first use); a broken one is dropped. */
    static Answer call(String api, String method, String target, String token, String json) throws IOException {
        KeptConnection c = to(api);
        try {
            int status = c.exchange(method, target, token, json);
            return new Answer(status, c.body);
        } catch (IOException | RuntimeException e) {
            drop(api);
            throw e;
        }
    }

    private static KeptConnection to(String api) throws IOException {
        KeptConnection c = MINE.get().get(api);
        if (c == null) {
            c = new KeptConnection(api);
            MINE.get().put(api, c);
        }
        return c;
    }

    /** Closes this thread's connections (its client run is over). */
    static void closeMine() {
        MINE.get().values().forEach(KeptConnection::close);
        MINE.get().clear();
    }

    private static void drop(String api) {
        KeptConnection c = MINE.get().remove(api);
        if (c != null) {
            c.close();
        }
    }

    private void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a broken connection
        }
    }

    /** Sends one request and reads the whole answer (Content-Length or chunked); returns the status. */
    private int exchange(String method, String target, String token, String json) throws IOException {
        byte[] payload = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: ")
                .append(host).append("\r\nAuthorization: Bearer ").append(token).append("\r\nAccept: application/json\r\n");
        if (json != null) {
            head.append("Content-Type: application/json\r\nContent-Length: ").append(payload.length).append("\r\n");
        }
        out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(payload);
        out.flush();
        String status = line();
        if (status == null || !status.startsWith("HTTP/1.1 ")) {
            throw new EOFException("no answer");
        }
        long length = -1;
        boolean chunked = false;
        boolean closes = false;
        for (String h = line(); h != null && !h.isEmpty(); h = line()) {
            String lower = h.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                closes = true;
            }
        }
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        if (chunked) {
            for (long n = Long.parseLong(line().split(";")[0].trim(), 16); n > 0;
                    n = Long.parseLong(line().split(";")[0].trim(), 16)) {
                content.write(in.readNBytes((int) n));
                line();
            }
            while (!line().isEmpty()) {
                // trailers
            }
        } else if (length >= 0) {
            content.write(in.readNBytes((int) length));
        }
        body = content.toString(StandardCharsets.UTF_8);
        if (closes) {
            // the server ends kept connections after so many requests (Tomcat: 100); the answer stands
            close();
            MINE.get().values().remove(this);
        }
        return Integer.parseInt(status.substring(9, 12));
    }

    private String line() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                return b.length() == 0 ? null : b.toString();
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }
}
