package dev.palisade.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Single sign-on through a real OpenID Connect provider (Spring Authorization Server, started
 * here) in a real browser: a platform admin configures the provider and its mappings in the
 * console; a person clicks "Sign in with Corp ID", logs in at the provider and lands in the
 * tenant their email domain (or group) maps to, with the mapped role; someone no mapping fits is
 * refused with a page saying so and nothing is created; a tenant with local passwords off refuses
 * password logins, in the console and over HTTP Basic. Every outcome is in the audit log.
 */
class SsoBrowserIT {

    private static final String ADMIN_PASSWORD = "sso-admin-password-1";
    private static final String LOCAL_PASSWORD = "local-user-password-1";
    private static final JsonMapper JSON = new JsonMapper();

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aPersonSignsInThroughTheProviderIntoTheMappedTenantWithTheMappedRole(@TempDir Path dataDir) throws Exception {
        Browser.assumeAvailable();
        try (PalisadeProcess app = PalisadeProcess.start(dataDir, Map.of("PALISADE_ADMIN_PASSWORD", ADMIN_PASSWORD));
                Browser browser = Browser.open(app.baseUrl());
                TestOidcProvider idp = TestOidcProvider.start(app.baseUrl() + "/login/oauth2/code/corp", List.of(
                        new TestOidcProvider.Person("ann", "Ann@Acme.example", true, List.of("staff")),
                        new TestOidcProvider.Person("carol", "carol@elsewhere.example", true, List.of("palisade-ops")),
                        new TestOidcProvider.Person("bob", "bob@unknown.example", true, List.of("staff")),
                        new TestOidcProvider.Person("eve", "eve@acme.example", false, List.of())))) {
            String admin = app.token("admin", ADMIN_PASSWORD);
            app.api("POST", "/api/v1/tenants", admin, "{\"slug\":\"acme\",\"displayName\":\"Acme\"}");
            app.api("POST", "/api/v1/tenants", admin, "{\"slug\":\"ops\",\"displayName\":\"Ops\"}");
            app.api("POST", "/api/v1/tenants/acme/users", admin,
                    "{\"username\":\"local\",\"password\":\"" + LOCAL_PASSWORD + "\",\"role\":\"TENANT_MEMBER\"}");
            assertThat(mint(app, "local@acme", LOCAL_PASSWORD).statusCode()).isEqualTo(201);

            // the platform admin configures the provider, two mappings, and turns acme's local passwords off
            browser.login("admin", ADMIN_PASSWORD);
            browser.get("/admin/sso");
            browser.type(By.id("registrationId"), "corp");
            browser.type(By.id("displayName"), "Corp ID");
            browser.type(By.id("issuerUri"), idp.issuer());
            browser.type(By.id("clientId"), TestOidcProvider.CLIENT_ID);
            browser.type(By.id("clientSecret"), TestOidcProvider.CLIENT_SECRET);
            browser.submit(By.cssSelector("#sso-provider-form button[type=submit]"));
            assertThat(browser.flash()).contains("Provider corp saved");
            assertThat(browser.text(By.id("sso-providers"))).contains("Corp ID", idp.issuer());
            assertThat(browser.driver.getPageSource()).doesNotContain(TestOidcProvider.CLIENT_SECRET);
            addMapping(browser, "domain", "acme.example", "acme", "TENANT_ADMIN");
            addMapping(browser, "group", "palisade-ops", "ops", "TENANT_MEMBER");
            assertThat(browser.text(By.id("sso-mappings"))).contains("acme.example", "palisade-ops");
            new Select(browser.driver.findElement(By.id("passwords-tenant"))).selectByValue("acme");
            new Select(browser.driver.findElement(By.id("allowed"))).selectByValue("false");
            browser.submit(By.cssSelector("#sso-passwords-form button[type=submit]"));
            assertThat(browser.text(By.id("sso-passwordless"))).isEqualTo("acme");
            browser.logout();

            // a domain mapping: ann lands in acme's portal as its admin
            signInThroughProvider(browser, idp, "ann");
            assertThat(browser.path()).isEqualTo("/portal");
            assertThat(browser.text(By.cssSelector(".brand-area"))).isEqualTo("acme");
            assertThat(browser.text(By.cssSelector(".whoami strong"))).isEqualTo("ann@acme.example");
            assertThat(browser.text(By.cssSelector(".whoami .role"))).isEqualTo("Tenant admin");
            browser.screenshot("sso-signed-in");
            browser.get("/admin/tenants");
            assertThat(browser.text(By.tagName("h1"))).isEqualTo("Not allowed");
            // a second sign-in finds the same user rather than making another
            signInThroughProvider(browser, idp, "ann");
            assertThat(browser.path()).isEqualTo("/portal");

            // a group mapping: carol (a domain nobody maps) lands in ops as a member
            signInThroughProvider(browser, idp, "carol");
            assertThat(browser.path()).isEqualTo("/portal");
            assertThat(browser.text(By.cssSelector(".brand-area"))).isEqualTo("ops");
            assertThat(browser.text(By.cssSelector(".whoami .role"))).isEqualTo("Member");

            // no mapping fits bob; eve's email is not verified: both refused, saying why, nothing created
            signInThroughProvider(browser, idp, "bob");
            assertThat(browser.path()).isEqualTo("/login/sso-refused");
            assertThat(browser.text(By.id("sso-refusal"))).contains("No tenant takes Corp ID users with an email at "
                    + "unknown.example").contains("no account was created");
            browser.screenshot("sso-refused");
            browser.get("/portal");
            assertThat(browser.path()).isEqualTo("/login");
            signInThroughProvider(browser, idp, "eve");
            assertThat(browser.path()).isEqualTo("/login/sso-refused");
            assertThat(browser.text(By.id("sso-refusal"))).contains("without a verified email");

            // a provider that cannot be reached: its button leads to the refusal page, not to an error
            browser.login("admin", ADMIN_PASSWORD);
            browser.get("/admin/sso");
            browser.type(By.id("registrationId"), "gone");
            browser.type(By.id("displayName"), "Gone ID");
            browser.type(By.id("issuerUri"), "http://127.0.0.1:9");
            browser.type(By.id("clientId"), "gone");
            browser.type(By.id("clientSecret"), "gone-secret");
            browser.submit(By.cssSelector("#sso-provider-form button[type=submit]"));
            browser.driver.manage().deleteAllCookies();
            browser.get("/login");
            browser.submit(By.id("sso-gone"));
            assertThat(browser.path()).isEqualTo("/login/sso-refused");
            assertThat(browser.text(By.id("sso-refusal"))).contains("The provider gone cannot be reached");

            JsonNode acme = JSON.readTree(app.api("GET", "/api/v1/tenants/acme/users", admin, null).body());
            JsonNode ops = JSON.readTree(app.api("GET", "/api/v1/tenants/ops/users", admin, null).body());
            assertThat(acme.toString()).contains("\"ann@acme.example\"").doesNotContain("bob", "eve");
            assertThat(roleOf(acme, "ann@acme.example")).isEqualTo("TENANT_ADMIN");
            assertThat(users(acme)).hasSize(2);
            assertThat(roleOf(ops, "carol@elsewhere.example")).isEqualTo("TENANT_MEMBER");
            assertThat(ops.toString()).doesNotContain("bob", "eve");

            // acme's local passwords are off: the console says so, HTTP Basic too; the platform admin still logs in
            browser.driver.manage().deleteAllCookies();
            browser.get("/login");
            browser.type(By.id("username"), "local@acme");
            browser.type(By.id("password"), LOCAL_PASSWORD);
            browser.submit(By.cssSelector("main form button[type=submit]"));
            assertThat(browser.path()).isEqualTo("/login?ssoOnly");
            assertThat(browser.text(By.id("sso-only"))).contains("single sign-on only");
            assertThat(browser.driver.findElement(By.id("sso-corp")).getText()).isEqualTo("Sign in with Corp ID");
            HttpResponse<String> basic = mint(app, "local@acme", LOCAL_PASSWORD);
            assertThat(basic.statusCode()).isEqualTo(401);
            assertThat(basic.body()).contains("Local passwords are turned off");
            assertThat(mint(app, "admin", ADMIN_PASSWORD).statusCode()).isEqualTo(201);

            String audit = app.api("GET", "/api/v1/audit?size=100", admin, null).body();
            assertThat(audit).contains("sso.login", "sso.refused", "sso.provider.create", "sso.mapping.create",
                    "tenant.local-passwords", "unknown.example", "local passwords are off", "sso-provider:gone");
        }
    }

    private static void addMapping(Browser browser, String kind, String value, String tenant, String role) {
        new Select(browser.driver.findElement(By.id("kind"))).selectByValue(kind);
        browser.type(By.id("value"), value);
        new Select(browser.driver.findElement(By.id("mapping-tenant"))).selectByValue(tenant);
        new Select(browser.driver.findElement(By.id("role"))).selectByValue(role);
        browser.submit(By.cssSelector("#sso-mapping-form button[type=submit]"));
        assertThat(browser.flash()).contains("Mapping " + value);
    }

    /** From the platform's login page, through the provider's own login page, back to the platform. */
    private static void signInThroughProvider(Browser browser, TestOidcProvider idp, String person) {
        // a fresh browser at both: no platform session, no provider session
        browser.driver.executeCdpCommand("Network.clearBrowserCookies", Map.of());
        browser.get("/login");
        browser.driver.findElement(By.id("sso-corp")).click();
        WebDriverWait wait = new WebDriverWait(browser.driver, Duration.ofSeconds(30));
        wait.until(d -> d.getCurrentUrl().startsWith(idp.issuer() + "/login"));
        browser.type(By.id("username"), person);
        browser.type(By.id("password"), TestOidcProvider.PASSWORD);
        browser.driver.findElement(By.cssSelector("button[type=submit]")).click();
        wait.until(d -> !d.getCurrentUrl().startsWith(idp.issuer()) && !d.getCurrentUrl().contains("/login/oauth2/"));
    }

    private HttpResponse<String> mint(PalisadeProcess app, String user, String password) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/api/v1/tokens"))
                .header("Authorization", "Basic " + Base64.getEncoder()
                        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"it\"}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<JsonNode> users(JsonNode list) {
        JsonNode items = list.has("content") ? list.get("content") : list.has("items") ? list.get("items") : list;
        return items.valueStream().toList();
    }

    private static String roleOf(JsonNode list, String username) {
        return users(list).stream().filter(u -> username.equals(u.get("username").asString())).findFirst()
                .map(u -> u.get("role").asString()).orElse(null);
    }
}
