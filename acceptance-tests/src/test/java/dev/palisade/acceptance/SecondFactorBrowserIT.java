package dev.palisade.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * A platform admin's second factor in a real browser, with platform admins required to have one:
 * the admin is held on the enrolment page until a TOTP is set up from the secret the page shows;
 * afterwards the password alone logs nobody in, the code does, a code already used does not, and
 * a recovery code does once. HTTP Basic wants the code too.
 */
class SecondFactorBrowserIT {

    private static final String ADMIN_PASSWORD = "second-factor-admin-pw-1";

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aPlatformAdminWithTotpCannotLogInWithoutTheCode(@TempDir Path dataDir) throws Exception {
        Browser.assumeAvailable();
        try (PalisadeProcess app = PalisadeProcess.start(dataDir, Map.of("PALISADE_ADMIN_PASSWORD", ADMIN_PASSWORD,
                        "PALISADE_SECURITY_SECOND_FACTOR_REQUIRED_FOR_PLATFORM_ADMINS", "true"));
                Browser browser = Browser.open(app.baseUrl())) {
            // required and not set up: no token over HTTP Basic, and the console shows only the enrolment page
            assertThat(mint(app.baseUrl(), null).statusCode()).isEqualTo(403);
            browser.login("admin", ADMIN_PASSWORD);
            assertThat(browser.path()).isEqualTo("/account/second-factor");
            browser.get("/admin/tenants");
            assertThat(browser.path()).isEqualTo("/account/second-factor");

            browser.submit(By.id("second-factor-setup"));
            String secret = browser.text(By.id("totp-secret"));
            assertThat(browser.text(By.id("totp-uri"))).startsWith("otpauth://totp/Palisade:admin?secret=" + secret);
            byte[] key = base32(secret);
            long enrolledAt = step();
            browser.type(By.id("code"), code(key, enrolledAt));
            browser.submit(By.cssSelector("main form button[type=submit]"));
            List<String> recovery = browser.all(By.cssSelector("#recovery-codes code")).stream()
                    .map(WebElement::getText).toList();
            assertThat(recovery).hasSize(10);
            browser.get("/admin/tenants");
            assertThat(browser.path()).isEqualTo("/admin/tenants");
            browser.logout();

            // the password alone: the code page, and nothing of the console behind it
            passwordStep(browser);
            browser.get("/admin/tenants");
            assertThat(browser.path()).isEqualTo("/login");
            // a wrong code, then the next step's code (the one of enrolment is used up)
            passwordStep(browser);
            enterCode(browser, code(key, enrolledAt).equals("123456") ? "654321" : "123456");
            assertThat(browser.path()).isEqualTo("/login/code");
            assertThat(browser.text(By.cssSelector("main .flash-error"))).contains("Wrong code");
            String next = code(key, enrolledAt + 1);
            enterCode(browser, next);
            assertThat(browser.path()).isEqualTo("/admin");
            browser.get("/admin/tenants");
            assertThat(browser.path()).isEqualTo("/admin/tenants");
            browser.logout();

            // the same code again: refused, whoever saw it
            passwordStep(browser);
            enterCode(browser, next);
            assertThat(browser.path()).isEqualTo("/login/code");
            // a recovery code: in, once
            enterCode(browser, recovery.get(0));
            assertThat(browser.path()).isEqualTo("/admin");
            browser.screenshot("admin-after-second-factor");
            browser.logout();
            passwordStep(browser);
            enterCode(browser, recovery.get(0));
            assertThat(browser.path()).isEqualTo("/login/code");

            // HTTP Basic: the password alone is not enough, and says so only after the right password
            HttpResponse<String> noCode = mint(app.baseUrl(), null);
            assertThat(noCode.statusCode()).isEqualTo(401);
            assertThat(noCode.body()).contains("X-Palisade-OTP");
            assertThat(mint(app.baseUrl(), recovery.get(1)).statusCode()).isEqualTo(201);
        }
    }

    private static void passwordStep(Browser browser) {
        browser.driver.manage().deleteAllCookies();
        browser.get("/login");
        browser.type(By.id("username"), "admin");
        browser.type(By.id("password"), ADMIN_PASSWORD);
        browser.submit(By.cssSelector("main button[type=submit]"));
        assertThat(browser.path()).isEqualTo("/login/code");
    }

    private static void enterCode(Browser browser, String code) {
        browser.type(By.id("code"), code);
        browser.submit(By.cssSelector("main button[type=submit]"));
    }

    private HttpResponse<String> mint(String base, String code) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/api/v1/tokens"))
                .header("Authorization", "Basic " + Base64.getEncoder()
                        .encodeToString(("admin:" + ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"it\"}"));
        if (code != null) {
            request.header("X-Palisade-OTP", code);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long step() {
        return System.currentTimeMillis() / 1000 / 30;
    }

    /** What an authenticator app computes (RFC 6238: HMAC-SHA1, 30 s, 6 digits), done here as the app would. */
    private static String code(byte[] key, long step) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(key, "HmacSHA1"));
        byte[] h = mac.doFinal(ByteBuffer.allocate(8).putLong(step).array());
        int o = h[h.length - 1] & 0x0f;
        int bin = ((h[o] & 0x7f) << 24) | ((h[o + 1] & 0xff) << 16) | ((h[o + 2] & 0xff) << 8) | (h[o + 3] & 0xff);
        return String.format("%06d", bin % 1_000_000);
    }

    private static byte[] base32(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int buffer = 0, bits = 0;
        for (char c : s.toCharArray()) {
            buffer = (buffer << 5) | "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".indexOf(c);
            bits += 5;
            if (bits >= 8) {
                out.write((buffer >> (bits - 8)) & 0xff);
                bits -= 8;
            }
        }
        return out.toByteArray();
    }
}
