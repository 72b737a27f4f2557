package dev.palisade.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import tools.jackson.databind.json.JsonMapper;

/**
 * The portal's automation page in a real browser: a tenant admin sees the tenant's cron job with
 * its firings and suspends it, and sends a webhook's test event, which a receiver started here
 * gets, and which then shows in the delivery log with the receiver's answer.
 */
class AutomationBrowserIT {

    private static final String ADMIN_PASSWORD = "automation-admin-pw";
    private static final String PASSWORD = "automation-user-password";

    private final HttpClient http = HttpClient.newHttpClient();
    private final JsonMapper json = new JsonMapper();

    @Test
    void aTenantAdminSuspendsACronJobAndTestsAWebhook(@TempDir Path dataDir) throws Exception {
        Browser.assumeAvailable();
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/hook", exchange -> {
            received.add(exchange.getRequestHeaders().getFirst("Palisade-Event"));
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        try (PalisadeProcess app = PalisadeProcess.start(dataDir, Map.of("PALISADE_ADMIN_PASSWORD", ADMIN_PASSWORD,
                "PALISADE_NOTIFICATIONS_ALLOW_PRIVATE_ADDRESSES", "true", "PALISADE_CRON_JOBS_POLLING_INTERVAL", "1s"));
                Browser browser = Browser.open(app.baseUrl())) {
            String base = app.baseUrl();
            String admin = json.readTree(send(base, "POST", "/api/v1/tokens", basic("admin", ADMIN_PASSWORD),
                    "{\"name\":\"it\"}")).get("token").asString();
            send(base, "POST", "/api/v1/tenants", "Bearer " + admin, "{\"slug\":\"auto\",\"displayName\":\"Auto\"}");
            send(base, "POST", "/api/v1/tenants/auto/users", "Bearer " + admin,
                    "{\"username\":\"ada\",\"password\":\"" + PASSWORD + "\",\"role\":\"TENANT_ADMIN\"}");
            send(base, "POST", "/api/v1/tenants/auto/cron-jobs", "Bearer " + admin, """
                    {"name":"tick","cron":"*/5 * * * * *","concurrencyPolicy":"FORBID","workload":{"command":["/bin/true"]}}""");
            String webhook = json.readTree(send(base, "POST", "/api/v1/tenants/auto/webhooks", "Bearer " + admin, """
                    {"url":"http://127.0.0.1:%d/hook","events":["workload.failed"]}"""
                    .formatted(receiver.getAddress().getPort()))).get("id").asString();

            browser.login("ada@auto", PASSWORD);
            browser.get("/portal/automation");
            assertThat(browser.text(By.cssSelector(".mainnav a.active"))).isEqualTo("Automation");
            By job = By.cssSelector("tr[data-cron-job=tick]");
            assertThat(browser.text(job)).contains("*/5 * * * * *").contains("FORBID");
            // it fires while we watch: the firings show with the workloads they started
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!browser.text(job).contains("STARTED") && System.nanoTime() < deadline) {
                Thread.sleep(1000);
                browser.get("/portal/automation");
            }
            assertThat(browser.text(job)).contains("STARTED");
            browser.screenshot("portal-automation");

            browser.submit(By.cssSelector("tr[data-cron-job=tick] form button"));
            assertThat(browser.flash()).contains("Cron job tick suspended");
            assertThat(browser.text(job)).contains("suspended").contains("Resume");

            browser.submit(By.cssSelector("[data-webhook='" + webhook + "'] form button"));
            assertThat(browser.flash()).contains("Test event queued");
            assertThat(received.poll(30, TimeUnit.SECONDS)).isEqualTo("ping");
            By log = By.cssSelector("[data-webhook='" + webhook + "'] table.deliveries");
            deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (browser.all(log).isEmpty() || !browser.text(log).contains("DELIVERED")) {
                assertThat(System.nanoTime()).as("the delivery shows as delivered").isLessThan(deadline);
                Thread.sleep(500);
                browser.get("/portal/automation");
            }
            assertThat(browser.text(log)).contains("ping").contains("DELIVERED").contains("204");
        } finally {
            receiver.stop(0);
        }
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private String send(String base, String method, String path, String authorization, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", authorization).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isBetween(200, 299);
        return r.body();
    }
}
