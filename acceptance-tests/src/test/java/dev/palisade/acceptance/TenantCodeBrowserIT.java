package dev.palisade.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.Select;
import tools.jackson.databind.json.JsonMapper;

/**
 * A tenant ships its own code, in a real headless Chromium against the packaged jar: it uploads
 * an image it built (a docker save archive made with tar, whose config sets Entrypoint, Env and
 * ExposedPorts), deploys it from the portal, opens it through the ingress, deploys a second
 * version from a code archive while a client polls it throughout (no request fails), rolls back
 * and reads the history. Another tenant sees neither the image nor the service.
 */
class TenantCodeBrowserIT {

    private static final String ADMIN_PASSWORD = "tenant-code-admin-password";
    private static final String PASSWORD = "tenant-code-user-password";
    /** The service this test deploys, on the apps domain of the one-command start. */
    private static final String SITE = "site.bachman.apps.localhost";

    @TempDir
    static Path dataDir;

    @TempDir
    static Path work;

    private static BrowserApp platform;
    private static PalisadeProcess app;
    private static Browser browser;
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final JsonMapper json = new JsonMapper();

    @BeforeAll
    static void start() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Host.runsAsRoot(), "services run in the ptrace sandbox, which needs root");
        platform = BrowserApp.start(dataDir, Map.of("PALISADE_ADMIN_PASSWORD", ADMIN_PASSWORD));
        app = platform.app;
        browser = platform.browser;
    }

    @AfterAll
    static void stop() throws Exception {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void aTenantUploadsItsImageDeploysItRollsOverToItsCodeAndBack() throws Exception {
        String admin = token("admin", ADMIN_PASSWORD);
        tenantWithAdmin(admin, "bachman", "erlich");
        tenantWithAdmin(admin, "hooli", "gavin");
        Path image = dockerSaveArchive(work.resolve("image"));
        Path code = codeArchive(work.resolve("code"));

        browser.login("erlich@bachman", PASSWORD);
        browser.get("/portal/images");
        browser.type(By.id("image-name"), "aviato");
        browser.driver.findElement(By.id("image-archive")).sendKeys(image.toString());
        browser.submit(By.cssSelector("#image-upload button[type=submit]"));
        assertThat(browser.flash()).contains("Image aviato uploaded");
        assertThat(browser.text(By.cssSelector("tr[data-image=aviato]"))).contains("8080");
        browser.screenshot("code-01-images");

        // deploy it with nothing but a name: the image says what runs, with what and on which port
        browser.get("/portal/services/new");
        browser.type(By.id("name"), "site");
        new Select(browser.driver.findElement(By.id("image"))).selectByValue("aviato");
        new Select(browser.driver.findElement(By.id("platform"))).selectByValue("ptrace");
        browser.screenshot("code-02-deploy-form");
        browser.submit(By.id("deploy-submit"));
        assertThat(browser.path()).isEqualTo("/portal/services/site");
        // the service's own site (Chromium resolves *.localhost to the loopback)
        String address = "http://" + SITE + ":" + app.port + "/";
        assertThat(awaitAnswer("v1")).isEqualTo("v1 says hello from the image\n");
        browser.driver.get(address);
        assertThat(browser.text(By.tagName("body"))).contains("v1 says hello from the image");
        browser.get("/portal/services");
        assertThat(browser.text(By.cssSelector("tr[data-service=site]"))).contains(address);
        browser.screenshot("code-03-services");

        // the second version, from a code archive on the host image, while a client polls throughout
        AtomicBoolean polling = new AtomicBoolean(true);
        AtomicInteger answered = new AtomicInteger();
        List<String> failed = Collections.synchronizedList(new ArrayList<>());
        Thread client = new Thread(() -> {
            while (polling.get()) {
                try {
                    HttpResponse<String> r = site();
                    if (r.statusCode() != 200) {
                        failed.add(r.statusCode() + " " + r.body());
                    }
                    answered.incrementAndGet();
                } catch (Exception e) {
                    failed.add(e.toString());
                }
            }
        });
        client.start();
        try {
            browser.get("/portal/services/new");
            browser.type(By.id("name"), "site");
            new Select(browser.driver.findElement(By.id("image"))).selectByValue("host");
            browser.driver.findElement(By.id("archive")).sendKeys(code.toString());
            browser.type(By.id("command"), "python3\napp.py");
            browser.type(By.id("port"), "8000");
            browser.type(By.id("healthPath"), "/");
            new Select(browser.driver.findElement(By.id("platform"))).selectByValue("ptrace");
            browser.submit(By.id("deploy-submit"));
            assertThat(awaitAnswer("v2")).isEqualTo("v2 from /app");

            // roll back to the image's deployment from the history
            browser.get("/portal/services/site");
            assertThat(browser.all(By.cssSelector("#history tbody tr"))).hasSize(2);
            browser.screenshot("code-04-service-page");
            browser.submit(By.cssSelector("#history tbody tr:nth-child(2) form.rollback button"));
            assertThat(browser.flash()).contains("rolling back");
            assertThat(awaitAnswer("v1")).isEqualTo("v1 says hello from the image\n");
        } finally {
            polling.set(false);
            client.join();
        }
        assertThat(failed).as("answers other than 200 while rolling over and back").isEmpty();
        assertThat(answered.get()).isGreaterThan(20);

        browser.get("/portal/services/site");
        assertThat(browser.all(By.cssSelector("#history tbody tr"))).hasSize(3);
        assertThat(browser.all(By.cssSelector("#history tbody tr[data-archive]")).stream()
                .filter(r -> !r.getAttribute("data-archive").isEmpty()).count()).isEqualTo(1);
        assertThat(browser.text(By.id("history"))).contains("erlich").contains("aviato").contains("host");
        browser.screenshot("code-05-history");
        browser.logout();

        // another tenant sees neither
        browser.login("gavin@hooli", PASSWORD);
        browser.get("/portal/images");
        assertThat(browser.all(By.cssSelector("tr[data-image=aviato]"))).isEmpty();
        browser.get("/portal/services");
        assertThat(browser.all(By.cssSelector("tr[data-service=site]"))).isEmpty();
        browser.get("/portal/services/new");
        assertThat(browser.all(By.cssSelector("#image option[value=aviato]"))).isEmpty();
        browser.logout();
    }

    /** The service's site, through the platform port's ingress (named by its Host header). */
    private static HttpResponse<String> site() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/")).header("Host", SITE + ":" + app.port)
                        .timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String awaitAnswer(String prefix) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        String last = null;
        while (System.nanoTime() < end) {
            HttpResponse<String> r = site();
            last = r.statusCode() + " " + r.body();
            if (r.statusCode() == 200 && r.body().startsWith(prefix)) {
                return r.body();
            }
            Thread.sleep(200);
        }
        throw new AssertionError(SITE + " never answered " + prefix + "; last: " + last);
    }

    /**
     * A docker save archive made with tar as a person would: one layer with busybox, a config
     * whose Entrypoint and Cmd start busybox httpd on its exposed port with a page from its Env.
     */
    private static Path dockerSaveArchive(Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("rootfs/bin"));
        Files.copy(Path.of("/bin/busybox"), root.resolve("busybox"));
        for (String applet : List.of("sh", "mkdir")) {
            Files.createSymbolicLink(root.resolve(applet), Path.of("busybox"));
        }
        Path image = Files.createDirectories(dir.resolve("image"));
        run(dir, "tar", "-cf", image.resolve("layer.tar").toString(), "-C", dir.resolve("rootfs").toString(), "bin");
        String diffId = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(image.resolve("layer.tar"))));
        Files.writeString(image.resolve("config.json"), """
                {"architecture":"amd64","os":"linux","config":{
                  "Entrypoint":["/bin/sh","-c"],
                  "Cmd":["mkdir -p /tmp/www && echo \\"$VERSION says $GREETING\\" > /tmp/www/index.html && exec /bin/busybox httpd -f -p 127.0.0.1:8080 -h /tmp/www"],
                  "Env":["PATH=/bin","GREETING=hello from the image","VERSION=v1"],
                  "ExposedPorts":{"8080/tcp":{}}},
                 "rootfs":{"type":"layers","diff_ids":["%s"]}}""".formatted(diffId));
        Files.writeString(image.resolve("manifest.json"), "[{\"Config\":\"config.json\",\"RepoTags\":[\"aviato:1\"],"
                + "\"Layers\":[\"layer.tar\"]}]");
        Path archive = dir.resolve("aviato.tar");
        run(dir, "tar", "-cf", archive.toString(), "-C", image.toString(), "manifest.json", "config.json", "layer.tar");
        return archive;
    }

    /** The second version: a Python app in a .tar.gz, saying where it runs from. */
    private static Path codeArchive(Path dir) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("app.py"), """
                import http.server, os
                class H(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        out = ('v2 from ' + os.getcwd()).encode()
                        self.send_response(200)
                        self.send_header('Content-Length', str(len(out)))
                        self.end_headers()
                        self.wfile.write(out)
                    def log_message(self, *a):
                        pass
                http.server.ThreadingHTTPServer(('127.0.0.1', 8000), H).serve_forever()
                """);
        Path archive = dir.resolve("app.tar.gz");
        run(dir, "tar", "-czf", archive.toString(), "-C", src.toString(), "app.py");
        return archive;
    }

    private static void run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
    }

    private static void tenantWithAdmin(String adminToken, String slug, String username) throws Exception {
        api("POST", "/api/v1/tenants", adminToken, "{\"slug\":\"" + slug + "\",\"displayName\":\"" + slug + "\"}");
        api("POST", "/api/v1/tenants/" + slug + "/users", adminToken,
                "{\"username\":\"" + username + "\",\"password\":\"" + PASSWORD + "\",\"role\":\"TENANT_ADMIN\"}");
    }

    private static String token(String username, String password) throws Exception {
        HttpResponse<String> minted = http.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/api/v1/tokens"))
                .header("Authorization", "Basic " + Base64.getEncoder()
                        .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"browser-test\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(minted.statusCode()).isEqualTo(201);
        return json.readTree(minted.body()).get("token").asString();
    }

    private static void api(String method, String path, String token, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + path))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isLessThan(300);
    }
}
