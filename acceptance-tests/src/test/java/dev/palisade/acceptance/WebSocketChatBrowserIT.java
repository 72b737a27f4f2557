package dev.palisade.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import tools.jackson.databind.json.JsonMapper;

/**
 * A WebSocket chat through the ingress port, between two real headless Chromium clients: the
 * service (a small python program in the sandbox, standard library only) serves the page and
 * speaks WebSocket itself, relaying each message to every client. The ingress passes the
 * {@code Upgrade} on, relays the service's 101, and from then on bytes both ways.
 */
class WebSocketChatBrowserIT {

    private static final String ADMIN_PASSWORD = "websocket-chat-admin-password";
    private static final String TENANT = "chatco";

    /** The chat: {@code /} the page, {@code /ws} the WebSocket, every text message sent to every client. */
    private static final String CHAT = """
            import base64, hashlib, socket, struct, sys, threading
            PAGE = b'''<!DOCTYPE html><html><body><p id="state">connecting</p><ul id="log"></ul>
            <input id="text"><button id="send">send</button><script src="/chat.js"></script></body></html>'''
            SCRIPT = b'''
            const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
            const state = document.getElementById('state');
            ws.onopen = () => { state.textContent = 'open'; state.setAttribute('data-open', 'true'); };
            ws.onclose = () => { state.textContent = 'closed'; };
            ws.onmessage = (e) => { const li = document.createElement('li'); li.textContent = e.data;
              document.getElementById('log').appendChild(li); };
            document.getElementById('send').onclick = () => { ws.send(document.getElementById('text').value); };
            '''
            clients, lock = [], threading.Lock()
            def frame(text):
                data = text.encode()
                head = bytes([0x81]) + (bytes([len(data)]) if len(data) < 126 else bytes([126]) + struct.pack('>H', len(data)))
                return head + data
            def read_exact(f, n):
                b = f.read(n)
                if len(b) < n:
                    raise EOFError()
                return b
            def serve(c):
                f = c.makefile('rb')
                line = f.readline().decode()
                headers = {}
                while True:
                    h = f.readline().decode()
                    if h in ('\\r\\n', '\\n', ''):
                        break
                    k, _, v = h.partition(':')
                    headers[k.strip().lower()] = v.strip()
                path = line.split(' ')[1] if ' ' in line else '/'
                if path != '/ws':
                    body, ctype = (SCRIPT, 'text/javascript') if path == '/chat.js' else (PAGE, 'text/html')
                    c.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Type: ' + ctype.encode() + b'\\r\\nContent-Length: '
                              + str(len(body)).encode() + b'\\r\\nConnection: close\\r\\n\\r\\n' + body)
                    c.close()
                    return
                accept = base64.b64encode(hashlib.sha1((headers['sec-websocket-key']
                         + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').encode()).digest()).decode()
                c.sendall(('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n'
                           'Sec-WebSocket-Accept: ' + accept + '\\r\\n\\r\\n').encode())
                with lock:
                    clients.append(c)
                try:
                    while True:
                        b1, b2 = read_exact(f, 2)
                        n = b2 & 0x7f
                        if n == 126:
                            n = struct.unpack('>H', read_exact(f, 2))[0]
                        elif n == 127:
                            n = struct.unpack('>Q', read_exact(f, 8))[0]
                        mask = read_exact(f, 4) if b2 & 0x80 else b'\\0\\0\\0\\0'
                        data = bytes(x ^ mask[i % 4] for i, x in enumerate(read_exact(f, n)))
                        if b1 & 0x0f == 8:
                            break
                        if b1 & 0x0f == 1:
                            with lock:
                                for other in list(clients):
                                    try:
                                        other.sendall(frame(data.decode()))
                                    except OSError:
                                        clients.remove(other)
                except (EOFError, OSError):
                    pass
                finally:
                    with lock:
                        if c in clients:
                            clients.remove(c)
                    c.close()
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(64)
            while True:
                c, _ = s.accept()
                threading.Thread(target=serve, args=(c,), daemon=True).start()
            """;

    @TempDir
    static Path dataDir;

    private static PalisadeProcess app;
    private static Browser alice;
    private static Browser bob;
    private static int ingressPort;
    private static final JsonMapper json = new JsonMapper();

    @BeforeAll
    static void start() throws Exception {
        Browser.assumeAvailable();
        ingressPort = freePort();
        app = PalisadeProcess.start(dataDir, Map.of("PALISADE_ADMIN_PASSWORD", ADMIN_PASSWORD,
                "PALISADE_SERVICES_INGRESS_PORT", String.valueOf(ingressPort)));
        String admin = app.token("admin", ADMIN_PASSWORD);
        app.api("POST", "/api/v1/tenants", admin, "{\"slug\":\"" + TENANT + "\",\"displayName\":\"Chat Co\"}");
        HttpResponse<String> deployed = app.api("POST", "/api/v1/tenants/" + TENANT + "/services", admin,
                "{\"name\":\"chat\",\"port\":8000,\"healthPath\":\"/\",\"command\":[\"python3\",\"-c\","
                        + json.writeValueAsString(CHAT) + ",\"8000\"]}");
        assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!app.api("GET", "/api/v1/tenants/" + TENANT + "/services/chat", admin, null).body().contains("\"HEALTHY\"")) {
            assertThat(System.nanoTime()).as("the chat service never became healthy").isLessThan(end);
            Thread.sleep(200);
        }
        alice = Browser.open(app.baseUrl());
        bob = Browser.open(app.baseUrl());
    }

    @AfterAll
    static void stop() throws Exception {
        for (Browser b : new Browser[] {alice, bob}) {
            if (b != null) {
                b.close();
            }
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void twoBrowsersChatOverAWebSocketThroughTheIngressPort() {
        String site = "http://chat." + TENANT + ".apps.localhost:" + ingressPort + "/";
        for (Browser b : new Browser[] {alice, bob}) {
            b.driver.get(site);
            b.wait.until(d -> "true".equals(d.findElement(By.id("state")).getAttribute("data-open")));
        }
        say(alice, "hello from alice");
        heard(bob, "hello from alice");
        heard(alice, "hello from alice");
        say(bob, "hi alice, bob here");
        heard(alice, "hi alice, bob here");
        // a longer message (a 16-bit length in its frame) both ways
        String longer = "x".repeat(1000);
        say(bob, longer);
        heard(alice, longer);
        alice.screenshot("websocket-01-chat-alice");
        assertThat(alice.text(By.id("state"))).isEqualTo("open");
        assertThat(bob.text(By.id("state"))).isEqualTo("open");
    }

    private static void say(Browser b, String text) {
        b.type(By.id("text"), text);
        b.driver.findElement(By.id("send")).click();
    }

    private static void heard(Browser b, String text) {
        b.wait.until(d -> d.findElements(By.cssSelector("#log li")).stream().anyMatch(li -> text.equals(li.getText())));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
