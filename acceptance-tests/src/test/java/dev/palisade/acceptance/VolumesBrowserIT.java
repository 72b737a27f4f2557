package dev.palisade.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import tools.jackson.databind.json.JsonMapper;

/**
 * A tenant keeps its service's files on a volume and its rows in its database, against the
 * packaged jar: it creates the volume and the database in the portal (a real headless Chromium),
 * deploys a small python3 web app (psycopg, Debian's) through the API that writes each note to
 * both, given the database's {@code DATABASE_URL} secret and the egress network, and its notes
 * survive a stop and start, a redeploy and a restart of the whole platform on the same data
 * directory; the portal shows what mounts the volume, the database, and how to wire both.
 */
class VolumesBrowserIT {

    private static final String ADMIN_PASSWORD = "volumes-admin-password";
    private static final String PASSWORD = "volumes-user-password";
    private static final Map<String, String> ENV = Map.of("PALISADE_ADMIN_PASSWORD", ADMIN_PASSWORD);
    private static final String SITE = "notes.hendricks.apps.localhost";
    /**
     * Stores the body of POST /NAME as the file NAME on the volume and as a row of its database; GET /
     * lists the files as NAME=CONTENT, then the rows as row NAME=CONTENT.
     */
    private static final String NOTES = """
            import http.server, os, sys, psycopg
            D = '/srv/notes'
            URL = os.environ['DATABASE_URL']
            with psycopg.connect(URL) as c:
                c.execute('create table if not exists note (name text primary key, body text)')
            class H(http.server.BaseHTTPRequestHandler):
                def answer(self, code, text):
                    out = text.encode()
                    self.send_response(code)
                    self.send_header('Content-Length', str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                def do_GET(self):
                    names = sorted(n for n in os.listdir(D) if n != 'lost+found')
                    with psycopg.connect(URL) as c:
                        rows = c.execute('select name, body from note order by name').fetchall()
                    self.answer(200, ''.join('%s=%s\\n' % (n, open(os.path.join(D, n)).read()) for n in names)
                                + ''.join('row %s=%s\\n' % r for r in rows))
                def do_POST(self):
                    name = os.path.basename(self.path)
                    body = self.rfile.read(int(self.headers['Content-Length']))
                    with open(os.path.join(D, name), 'wb') as f:
                        f.write(body)
                    with psycopg.connect(URL) as c:
                        c.execute('insert into note values (%s, %s)', (name, body.decode()))
                    self.answer(201, 'stored\\n')
                def log_message(self, *a):
                    pass
            http.server.HTTPServer(('127.0.0.1', 8000), H).serve_forever()
            """;

    @TempDir
    static Path dataDir;

    private static PalisadeProcess app;
    private static Browser browser;
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final JsonMapper json = new JsonMapper();

    @BeforeAll
    static void start() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Host.runsAsRoot(), "volumes are loop-mounted, which needs root");
        Browser.assumeAvailable();
        app = PalisadeProcess.start(dataDir, ENV);
        browser = Browser.open(app.baseUrl());
    }

    // not BrowserApp: the test restarts the platform and reopens the browser, so these close what runs last
    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void aServiceKeepsItsNotesOnItsVolumeThroughRestartsRedeploysAndAPlatformRestart() throws Exception {
        String admin = app.token("admin", ADMIN_PASSWORD);
        app.api("POST", "/api/v1/tenants", admin, "{\"slug\":\"hendricks\",\"displayName\":\"Hendricks\"}");
        app.api("POST", "/api/v1/tenants/hendricks/users", admin,
                "{\"username\":\"richard\",\"password\":\"" + PASSWORD + "\",\"role\":\"TENANT_ADMIN\"}");

        browser.login("richard@hendricks", PASSWORD);
        browser.get("/portal/volumes");
        browser.type(By.id("volume-name"), "notes");
        browser.type(By.id("volume-size"), "32");
        browser.submit(By.cssSelector("#volume-create button[type=submit]"));
        assertThat(browser.flash()).contains("Volume notes created");
        assertThat(browser.text(By.cssSelector("tr[data-volume=notes]"))).contains("32").contains("ready");
        assertThat(browser.text(By.id("volume-wiring"))).contains("\"volumes\"").contains("/data");
        browser.screenshot("volumes-01-created");

        browser.get("/portal/databases");
        browser.type(By.id("database-name"), "notes");
        browser.type(By.id("database-size"), "64");
        browser.submit(By.cssSelector("#database-create button[type=submit]"));
        assertThat(browser.flash()).contains("Database notes created");
        assertThat(browser.text(By.cssSelector("tr[data-database=notes]"))).contains("DATABASE_URL").contains("writable");
        assertThat(browser.text(By.id("database-wiring"))).contains("\"DATABASE_URL\"").contains("\"egress\"");
        browser.screenshot("databases-01-created");

        String token = app.token("richard@hendricks", PASSWORD);
        String spec = json.writeValueAsString(Map.of("name", "notes", "port", 8000, "healthPath", "/", "platform", "ptrace",
                "command", java.util.List.of("python3", "-c", NOTES), "network", "egress",
                "secrets", java.util.List.of(Map.of("name", "DATABASE_URL", "env", "DATABASE_URL")),
                "volumes", java.util.List.of(Map.of("volume", "notes", "path", "/srv/notes"))));
        assertThat(app.api("POST", "/api/v1/tenants/hendricks/services", token, spec).statusCode()).isEqualTo(201);
        awaitNotes("");
        assertThat(post("/first", "written before anything").statusCode()).isEqualTo(201);
        assertThat(awaitNotes("first=")).isEqualTo(notes("first=written before anything"));

        // a stop and a start
        app.api("POST", "/api/v1/tenants/hendricks/services/notes/stop", token, null);
        awaitService(token, b -> !b.contains("\"state\":\"RUNNING\"") && !b.contains("\"state\":\"QUEUED\""));
        assertThat(app.api("POST", "/api/v1/tenants/hendricks/services/notes/start", token, null).statusCode()).isEqualTo(201);
        assertThat(awaitNotes("first=")).isEqualTo(notes("first=written before anything"));
        assertThat(post("/second", "after a restart").statusCode()).isEqualTo(201);

        // a redeploy
        String before = workload(app.api("GET", "/api/v1/tenants/hendricks/services/notes", token, null).body());
        assertThat(app.api("POST", "/api/v1/tenants/hendricks/services/notes/redeploy", token, null).statusCode())
                .isEqualTo(201);
        awaitService(token, b -> !workload(b).equals(before) && b.contains("\"status\":\"HEALTHY\""));
        assertThat(awaitNotes("second=")).isEqualTo(notes("first=written before anything", "second=after a restart"));
        assertThat(post("/third", "after a redeploy").statusCode()).isEqualTo(201);

        browser.get("/portal/volumes");
        assertThat(browser.text(By.cssSelector("tr[data-volume=notes]"))).contains("service notes");
        browser.screenshot("volumes-02-mounted");
        browser.close();
        browser = null;

        // the whole platform stops and starts again on the same data directory
        app.close();
        app = PalisadeProcess.start(dataDir, ENV);
        assertThat(awaitNotes("third="))
                .isEqualTo(notes("first=written before anything", "second=after a restart", "third=after a redeploy"));
        browser = Browser.open(app.baseUrl());
        browser.login("richard@hendricks", PASSWORD);
        browser.get("/portal/volumes");
        assertThat(browser.text(By.cssSelector("tr[data-volume=notes]"))).contains("ready").contains("service notes");
        browser.screenshot("volumes-03-after-platform-restart");
        browser.get("/portal/databases");
        assertThat(browser.text(By.cssSelector("tr[data-database=notes]"))).contains("writable");
    }

    /** What the app answers for these notes: each as a file on the volume, then as a row of the database. */
    private static String notes(String... notes) {
        StringBuilder b = new StringBuilder();
        for (String n : notes) {
            b.append(n).append('\n');
        }
        for (String n : notes) {
            b.append("row ").append(n).append('\n');
        }
        return b.toString();
    }

    private static String workload(String service) {
        return json.readTree(service).get("workloadId").asString();
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + path)).header("Host", SITE + ":" + app.port)
                        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until the notes answer with {@code expected} among them. */
    private static String awaitNotes(String prefix) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        String last = null;
        while (System.nanoTime() < end) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/"))
                                .header("Host", SITE + ":" + app.port).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() == 200 && r.body().contains(prefix)) {
                    return r.body();
                }
            } catch (java.io.IOException e) {
                last = e.toString();
            }
            Thread.sleep(200);
        }
        throw new AssertionError(SITE + " never answered " + prefix + "; last: " + last);
    }

    private static void awaitService(String token, Predicate<String> until) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String body = null;
        while (System.nanoTime() < end) {
            body = app.api("GET", "/api/v1/tenants/hendricks/services/notes", token, null).body();
            if (until.test(body)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the service never got there: " + body);
    }
}
