package dev.palisade.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A tenant's service tries to take over the platform admin who opens it, in a real headless
 * Chromium against the packaged jar: its page (served by a real program in the sandbox) reads
 * cookies, calls the console's {@code /admin/users} with credentials and sets the platform's
 * session cookie; the program records every request's headers. The service lives on its own
 * site ({@code spy.<tenant>.apps.localhost}, which Chromium resolves to the loopback), on the
 * platform port and on the dedicated ingress port alike: the script gets nothing of the console,
 * the program never sees the platform's cookies or credentials, and the admin's session goes on.
 */
class AppsSiteBrowserIT {

    private static final String ADMIN_PASSWORD = "apps-site-admin-password";
    private static final String TENANT = "spyco";
    private static final String SESSION = "__Host-palisade-session";

    /**
     * The service: its page's script tries what an attacker's would; {@code /seen} lists the
     * headers of every request that reached the program.
     */
    private static final String SPY = """
            import http.server, json, os, sys
            seen = []
            PAGE = '''<!DOCTYPE html><html><body><pre id="out">running</pre><script>
            (async () => {
              const console_ = CONSOLE;
              const out = {cookiesBefore: document.cookie};
              document.cookie = '__Host-palisade-session=forged-by-script; Path=/; Secure';
              document.cookie = 'JSESSIONID=forged-by-script; Path=/; Domain=localhost';
              try {
                const r = await fetch(console_ + '/admin/users', {credentials: 'include'});
                out.admin = 'read ' + r.status + ': ' + (await r.text()).slice(0, 300);
              } catch (e) { out.admin = 'refused: ' + e; }
              try {
                const r = await fetch(console_ + '/admin/users', {credentials: 'include', mode: 'no-cors'});
                out.opaque = r.type + ' ' + r.status + ' ' + (await r.text()).length;
              } catch (e) { out.opaque = 'refused: ' + e; }
              out.cookiesAfter = document.cookie;
              const pre = document.getElementById('out');
              pre.textContent = JSON.stringify(out);
              pre.setAttribute('data-done', 'true');
            })();
            </script></body></html>'''
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    if self.path == '/seen':
                        body, ctype = json.dumps(seen).encode(), 'application/json'
                    else:
                        seen.append([[k.lower(), v] for k, v in self.headers.items()])
                        body, ctype = PAGE.replace('CONSOLE', json.dumps(os.environ['CONSOLE'])).encode(), 'text/html'
                    self.send_response(200)
                    self.send_header('Content-Type', ctype)
                    self.send_header('Content-Length', str(len(body)))
                    self.send_header('Cache-Control', 'no-store')
                    if self.path != '/seen':
                        self.send_header('Set-Cookie', 'theirs=1; Path=/')
                        self.send_header('Set-Cookie', '__Host-palisade-session=set-by-the-service; Path=/; Secure')
                        self.send_header('Set-Cookie', 'console=set-by-the-service; Domain=localhost; Path=/')
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *a):
                    pass
            http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
            """;

    @TempDir
    static Path dataDir;

    private static BrowserApp platform;
    private static PalisadeProcess app;
    private static Browser browser;
    private static int ingressPort;
    private static String workloadId;
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final JsonMapper json = new JsonMapper();

    @BeforeAll
    static void start() throws Exception {
        ingressPort = freePort();
        platform = BrowserApp.start(dataDir, Map.of("PALISADE_ADMIN_PASSWORD", ADMIN_PASSWORD,
                "PALISADE_SERVICES_INGRESS_PORT", String.valueOf(ingressPort)));
        app = platform.app;
        browser = platform.browser;

        String admin = app.token("admin", ADMIN_PASSWORD);
        app.api("POST", "/api/v1/tenants", admin, "{\"slug\":\"" + TENANT + "\",\"displayName\":\"Spy Co\"}");
        HttpResponse<String> deployed = app.api("POST", "/api/v1/tenants/" + TENANT + "/services", admin,
                "{\"name\":\"spy\",\"port\":8000,\"healthPath\":\"/seen\",\"env\":{\"CONSOLE\":"
                        + json.writeValueAsString(app.baseUrl()) + "},\"command\":[\"python3\",\"-c\","
                        + json.writeValueAsString(SPY) + ",\"8000\"]}");
        assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
        workloadId = json.readTree(deployed.body()).get("workloadId").asString();
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!app.api("GET", "/api/v1/tenants/" + TENANT + "/services/spy", admin, null).body().contains("\"HEALTHY\"")) {
            assertThat(System.nanoTime()).as("the spy service never became healthy").isLessThan(end);
            Thread.sleep(200);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void aServiceOpenedByTheAdminGetsNothingOfTheConsoleOnThePlatformPort() throws Exception {
        browser.login("admin", ADMIN_PASSWORD);
        String session = browser.driver.manage().getCookieNamed(SESSION).getValue();
        browser.get("/admin/workloads/" + workloadId);
        String address = browser.driver.findElement(By.id("service-address")).getAttribute("href");
        assertThat(address).isEqualTo("http://spy." + TENANT + ".apps.localhost:" + app.port + "/");

        // the admin follows the console's link to the service, then comes back to it once more
        browser.driver.findElement(By.id("service-address")).click();
        spied();
        browser.driver.navigate().refresh();
        assertAttackFailed(spied());
        browser.screenshot("apps-01-service-on-its-own-site");
        assertSessionIntact(session);
        assertProgramSawNothingOfThePlatform(app.port, session);
    }

    @Test
    void theSameThroughTheDedicatedIngressPort() throws Exception {
        browser.login("admin", ADMIN_PASSWORD);
        String session = browser.driver.manage().getCookieNamed(SESSION).getValue();
        browser.driver.get("http://spy." + TENANT + ".apps.localhost:" + ingressPort + "/");
        spied();
        browser.driver.navigate().refresh();
        assertAttackFailed(spied());
        assertSessionIntact(session);
        assertProgramSawNothingOfThePlatform(ingressPort, session);

        // the ingress port serves the apps domain only: the console is not there under any name
        browser.driver.get("http://localhost:" + ingressPort + "/admin/users");
        assertThat(browser.driver.getPageSource()).contains("hosted services only").doesNotContain("admin</");
    }

    /** What the service's script found, once it ran to its end. */
    private static String spied() {
        browser.wait.until(d -> "true".equals(d.findElement(By.id("out")).getAttribute("data-done")));
        return browser.text(By.id("out"));
    }

    private static void assertAttackFailed(String out) throws Exception {
        JsonNode found = json.readTree(out);
        // a cross-origin read of the console is refused by the browser; the opaque answer has no body
        assertThat(found.get("admin").asString()).startsWith("refused: TypeError");
        assertThat(found.get("opaque").asString()).isEqualTo("opaque 0 0");
        // the page sees its own cookies only: never the console's, nor the one the service tried to set for it
        assertThat(found.get("cookiesBefore").asString()).contains("theirs=1").doesNotContain("set-by-the-service");
        assertThat(out).doesNotContain("admin</").doesNotContain("Users");
    }

    /** The console still knows the admin, with the same session, after the visit. */
    private static void assertSessionIntact(String session) {
        browser.get("/admin/users");
        assertThat(browser.path()).isEqualTo("/admin/users");
        assertThat(browser.text(By.cssSelector("main h1"))).isNotBlank();
        assertThat(browser.driver.manage().getCookieNamed(SESSION).getValue()).isEqualTo(session);
        browser.logout();
    }

    /**
     * No request that reached the program carried the platform's session cookie (the browser's nor
     * the forged ones) or credentials, even when a client sends them along on purpose.
     */
    private static void assertProgramSawNothingOfThePlatform(int port, String session) throws Exception {
        String host = "spy." + TENANT + ".apps.localhost:" + port;
        HttpResponse<String> sent = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/on-purpose"))
                .header("Host", host).header("Cookie", SESSION + "=" + session + "; JSESSIONID=" + session + "; theirs=2")
                .header("Authorization", "Bearer " + session).header("Proxy-Authorization", "Basic " + session).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(sent.statusCode()).isEqualTo(200);
        String seen = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/seen"))
                .header("Host", host).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(seen).as("the program saw requests with cookies of its own").contains("theirs=1").contains("theirs=2")
                .doesNotContain(session).doesNotContainIgnoringCase("palisade-session").doesNotContain("JSESSIONID")
                .doesNotContain("\"authorization\"").doesNotContain("\"proxy-authorization\"")
                .doesNotContain("forged-by-script");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
