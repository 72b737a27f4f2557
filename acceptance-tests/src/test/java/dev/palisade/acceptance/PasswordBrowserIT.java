package dev.palisade.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import tools.jackson.databind.json.JsonMapper;

/**
 * Passwords in a real browser: a user changes theirs and the old one stops working; a tenant
 * admin resets a member's, and the one-time password leads to nothing but choosing a new one.
 */
class PasswordBrowserIT {

    private static final String ADMIN_PASSWORD = "password-admin-pw-1";
    private static final String ADA = "ada-first-password-1";
    private static final String BOB = "bob-first-password-1";

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aUserChangesAPasswordAndAnAdminResetsOne(@TempDir Path dataDir) throws Exception {
        Browser.assumeAvailable();
        try (PalisadeProcess app = PalisadeProcess.start(dataDir, Map.of("PALISADE_ADMIN_PASSWORD", ADMIN_PASSWORD));
                Browser browser = Browser.open(app.baseUrl())) {
            String base = app.baseUrl();
            String admin = new JsonMapper().readTree(send(base, "/api/v1/tokens", "Basic " + Base64.getEncoder()
                    .encodeToString(("admin:" + ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8)), "{\"name\":\"it\"}"))
                    .get("token").asString();
            send(base, "/api/v1/tenants", "Bearer " + admin, "{\"slug\":\"pw\",\"displayName\":\"Pw\"}");
            send(base, "/api/v1/tenants/pw/users", "Bearer " + admin,
                    "{\"username\":\"ada\",\"password\":\"" + ADA + "\",\"role\":\"TENANT_ADMIN\"}");
            send(base, "/api/v1/tenants/pw/users", "Bearer " + admin,
                    "{\"username\":\"bob\",\"password\":\"" + BOB + "\",\"role\":\"TENANT_MEMBER\"}");

            // bob changes his password: a common one is refused, then the new one works and the old does not
            browser.login("bob@pw", BOB);
            browser.get("/account/password");
            fill(browser, BOB, "password123456", "password123456");
            assertThat(browser.text(By.cssSelector("main .flash-error"))).contains("most common passwords");
            fill(browser, BOB, "a-better-secret-22", "a-better-secret-22");
            assertThat(browser.path()).startsWith("/login");
            assertThat(browser.text(By.cssSelector("main"))).contains("Password changed");
            browser.login("bob@pw", "a-better-secret-22");
            assertThat(browser.path()).startsWith("/portal");
            browser.logout();
            loginFails(browser, "bob@pw", BOB);

            // ada, the tenant's admin, resets bob's password from the members page
            browser.login("ada@pw", ADA);
            browser.get("/portal/members");
            browser.confirm(By.cssSelector("tr[data-member=bob] form[action$='/password-reset'] button"));
            Matcher once = Pattern.compile("One-time password.*: (\\S+)").matcher(browser.flash());
            assertThat(once.find()).as(browser.flash()).isTrue();
            browser.logout();

            // the one-time password leads to the password page, whatever page is asked for
            browser.login("bob@pw", once.group(1));
            assertThat(browser.path()).isEqualTo("/account/password");
            browser.get("/portal/workloads");
            assertThat(browser.path()).isEqualTo("/account/password");
            fill(browser, once.group(1), "my-own-choice-333", "my-own-choice-333");
            browser.login("bob@pw", "my-own-choice-333");
            assertThat(browser.path()).startsWith("/portal");
            browser.get("/portal/workloads");
            assertThat(browser.path()).isEqualTo("/portal/workloads");
            browser.screenshot("portal-after-password-reset");
        }
    }

    private static void fill(Browser browser, String current, String next, String again) {
        browser.type(By.id("currentPassword"), current);
        browser.type(By.id("newPassword"), next);
        browser.type(By.id("confirmPassword"), again);
        browser.submit(By.cssSelector("main button[type=submit]"));
    }

    private static void loginFails(Browser browser, String user, String password) {
        browser.driver.manage().deleteAllCookies();
        browser.get("/login");
        browser.type(By.id("username"), user);
        browser.type(By.id("password"), password);
        browser.submit(By.cssSelector("main button[type=submit]"));
        assertThat(browser.path()).startsWith("/login?error");
    }

    private String send(String base, String path, String authorization, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", authorization).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s: %s", path, r.body()).isBetween(200, 299);
        return r.body();
    }
}
