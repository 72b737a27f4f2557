package dev.palisade.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import tools.jackson.databind.json.JsonMapper;

/**
 * People using Palisade through its two web front ends, in a real headless Chromium against the
 * packaged jar: a platform admin in the console; a tenant admin in the portal who runs a workload
 * with an input file, watches its log arrive and downloads its artifact; and a tenant user who
 * tries pages that are not theirs and names things in HTML; an admin importing an image archive; a
 * service's page with its stop and start. Each main page is kept as a screenshot under
 * {@code target/screenshots/}.
 */
class ConsoleBrowserIT {

    private static final String ADMIN_PASSWORD = "browser-admin-password";
    private static final String PASSWORD = "browser-user-password";

    @TempDir
    static Path dataDir;

    private static BrowserApp platform;
    private static PalisadeProcess app;
    private static Browser browser;
    private static final HttpClient http = HttpClient.newHttpClient();
    private static final JsonMapper json = new JsonMapper();

    @BeforeAll
    static void start() throws Exception {
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
    void anAdminCreatesATenantWithItsFirstAdminAndRunsIt() {
        browser.login("admin", ADMIN_PASSWORD);
        assertThat(browser.path()).isEqualTo("/admin");
        assertThat(browser.text(By.cssSelector(".mainnav a.active"))).isEqualTo("Dashboard");
        browser.screenshot("admin-01-dashboard");

        // a form with mistakes keeps what was typed and says what is wrong with each field
        browser.get("/admin/tenants/new");
        browser.type(By.id("slug"), "Not A Slug");
        browser.type(By.id("displayName"), "Initech Corp");
        browser.submit(By.cssSelector("main button[type=submit]"));
        assertThat(browser.text(By.cssSelector(".has-error .field-error"))).contains("Lower-case letters");
        assertThat(browser.driver.findElement(By.id("displayName")).getAttribute("value")).isEqualTo("Initech Corp");
        browser.screenshot("admin-02-tenant-form-errors");

        browser.type(By.id("slug"), "initech");
        browser.submit(By.cssSelector("main button[type=submit]"));
        assertThat(browser.path()).isEqualTo("/admin/tenants/initech");
        assertThat(browser.flash()).contains("Tenant initech created");

        // its first admin
        browser.get("/admin/tenants/initech/users/new");
        browser.type(By.id("username"), "peter");
        browser.type(By.id("password"), PASSWORD);
        browser.driver.findElement(By.cssSelector("input[name=role][value=TENANT_ADMIN]")).click();
        browser.submit(By.cssSelector("main button[type=submit]"));
        assertThat(browser.flash()).contains("User peter of initech created");
        assertThat(browser.text(By.cssSelector(".rows"))).contains("peter").contains("Tenant admin");

        // quota in operator units
        browser.get("/admin/tenants/initech/quota");
        browser.type(By.id("maxConcurrentWorkloads"), "3");
        browser.type(By.id("maxMemoryMib"), "256");
        browser.submit(By.cssSelector("main button[type=submit]"));
        assertThat(browser.flash()).contains("Quota of initech saved");
        assertThat(browser.text(By.cssSelector("main"))).contains("256.0 MiB");
        browser.screenshot("admin-03-tenant-detail");

        // suspending asks first, and shows as a badge with its name
        String question = browser.confirm(By.cssSelector("form[action$='/suspend'] button"));
        assertThat(question).contains("Suspend initech?");
        assertThat(browser.text(By.cssSelector("h1 .badge"))).isEqualTo("Suspended");
        browser.submit(By.cssSelector("form[action$='/resume'] button"));
        assertThat(browser.text(By.cssSelector("h1 .badge"))).isEqualTo("Active");

        // search
        browser.get("/admin/tenants?q=inite");
        assertThat(browser.all(By.cssSelector("main tbody tr"))).hasSize(1);
        browser.screenshot("admin-04-tenants");

        browser.get("/admin/users?q=initech");
        assertThat(browser.text(By.cssSelector("main tbody"))).contains("peter");
        browser.screenshot("admin-05-users");

        // the audit log, filtered by tenant, has every step
        browser.get("/admin/audit?tenant=initech");
        assertThat(browser.text(By.cssSelector("main tbody")))
                .contains("tenant.create").contains("user.create").contains("quota.update").contains("tenant.update");
        browser.screenshot("admin-06-audit");

        browser.get("/admin/workloads");
        browser.screenshot("admin-07-workloads");
        browser.get("/admin/nodes");
        assertThat(browser.all(By.cssSelector("main tbody tr"))).as("this app is a node").isNotEmpty();
        browser.screenshot("admin-09-nodes");
        browser.get("/admin/images");
        assertThat(browser.text(By.cssSelector("main tbody"))).contains("host").contains("scratch");
        browser.screenshot("admin-10-images");
        browser.get("/admin/security");
        browser.screenshot("admin-11-security-events");

        // deleting takes the slug typed again
        browser.get("/admin/tenants/new");
        browser.type(By.id("slug"), "throwaway");
        browser.type(By.id("displayName"), "Throwaway");
        browser.submit(By.cssSelector("main button[type=submit]"));
        browser.get("/admin/tenants/throwaway/delete");
        browser.type(By.id("confirm"), "wrong");
        browser.submit(By.cssSelector("main button[type=submit]"));
        assertThat(browser.text(By.cssSelector(".field-error"))).contains("nothing was deleted");
        browser.screenshot("admin-08-delete-confirmation");
        browser.type(By.id("confirm"), "throwaway");
        browser.submit(By.cssSelector("main button[type=submit]"));
        assertThat(browser.flash()).contains("Tenant throwaway deleted");
        browser.logout();
    }

    @Test
    void aTenantAdminRunsAWorkloadWatchingItsLogAndManagesTokensAndMembers() throws Exception {
        String admin = adminToken();
        tenantWithAdmin(admin, "hooli", "Hooli", "gavin");

        browser.login("gavin@hooli", PASSWORD);
        assertThat(browser.path()).isEqualTo("/portal");
        assertThat(browser.all(By.cssSelector(".usage .meter"))).hasSizeGreaterThanOrEqualTo(2);
        browser.screenshot("portal-01-dashboard");
        browser.narrow(true);
        browser.screenshot("portal-01-dashboard-narrow");
        browser.narrow(false);

        // submit a workload with an input file; its log appears while it runs
        Path words = Files.createTempFile("words-", ".txt");
        Files.writeString(words, "palisade keeps programs apart\n");
        browser.get("/portal/workloads/new");
        browser.screenshot("portal-02-submit-form");
        browser.type(By.id("name"), "shout");
        browser.type(By.id("command"), "/bin/sh\n-c\n"
                + "for i in 1 2 3 4 5 6; do echo \"tick $i $GREETING\"; sleep 1; done; "
                + "mkdir -p out; tr a-z A-Z < " + words.getFileName() + " > out/loud.txt; echo done");
        browser.type(By.id("env"), "GREETING=hello");
        browser.driver.findElement(By.id("files")).sendKeys(words.toAbsolutePath().toString());
        browser.submit(By.cssSelector("main button[type=submit]"));
        assertThat(browser.path()).startsWith("/portal/workloads/");
        assertThat(browser.flash()).contains("Workload shout queued");
        String workloadPath = browser.path();

        browser.wait.until(d -> browser.text(By.id("log")).contains("tick 1 hello"));
        assertThat(browser.text(By.id("log"))).as("the first line shows before the program ends").doesNotContain("done");
        browser.screenshot("portal-03-workload-running");
        browser.longWait().until(d -> browser.all(By.cssSelector("#artifacts")).size() == 1);
        assertThat(browser.text(By.cssSelector(".facts .badge"))).isEqualTo("Succeeded");
        // the page reloaded when the program ended; the whole log streams in again
        browser.wait.until(d -> browser.text(By.id("log")).contains("done"));
        assertThat(browser.text(By.id("log"))).contains("tick 6 hello");
        assertThat(browser.all(By.id("syscalls"))).hasSize(1);
        browser.screenshot("portal-04-workload-done");

        // the artifact link downloads what the program left in out/, in this session only
        String artifacts = browser.driver.findElement(By.id("artifacts")).getAttribute("href");
        HttpResponse<byte[]> download = http.send(HttpRequest.newBuilder(URI.create(artifacts))
                .header("Cookie", "__Host-palisade-session=" + browser.driver.manage().getCookieNamed("__Host-palisade-session").getValue())
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(download.headers().firstValue("Content-Disposition")).hasValueSatisfying(
                v -> assertThat(v).contains("shout-artifacts.tar.gz"));
        try (var tar = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(download.body()))) {
            assertThat(new String(tar.readAllBytes(), StandardCharsets.ISO_8859_1))
                    .contains("loud.txt").contains("PALISADE KEEPS PROGRAMS APART");
        }
        assertThat(http.send(HttpRequest.newBuilder(URI.create(artifacts)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode()).as("no session, no artifacts").isNotEqualTo(200);

        browser.get("/portal/workloads");
        // rows are found by their data attributes, not by their text (which shows more than the name)
        assertThat(browser.all(By.cssSelector("main tbody tr")).get(0).getAttribute("data-workload")).isEqualTo("shout");
        assertThat(browser.text(By.cssSelector("tr[data-workload=shout] [data-kind-badge]"))).isEqualTo("Job");
        assertThat(browser.text(By.cssSelector("tr[data-workload=shout] .badge:not([data-kind-badge])"))).isEqualTo("Succeeded");
        browser.screenshot("portal-05-workloads");
        browser.get(workloadPath);

        // a token is shown once, with a copy button, and works against the API until revoked
        browser.get("/portal/tokens");
        browser.type(By.id("name"), "ci");
        browser.submit(By.cssSelector("main form[action$='/portal/tokens'] button[type=submit]"));
        assertThat(browser.flash()).contains("Token ci created");
        String token = browser.driver.findElement(By.id("new-token")).getAttribute("value");
        assertThat(token).matches("pal_[a-z0-9]{8}_[A-Za-z0-9_-]{43}");
        assertThat(browser.all(By.cssSelector("button[data-copy=new-token]"))).hasSize(1);
        browser.screenshot("portal-06-token-created");
        assertThat(api("GET", "/api/v1/tenants/hooli/quota", token, null).statusCode()).isEqualTo(200);

        browser.get("/portal/tokens");
        assertThat(browser.all(By.id("new-token"))).isEmpty();
        String question = browser.confirm(By.cssSelector("tr[data-token=ci] form button"));
        assertThat(question).contains("Revoke the token ci?");
        assertThat(browser.flash()).contains("Token ci revoked");
        assertThat(browser.text(By.cssSelector("tr[data-token=ci]"))).contains("Revoked");
        assertThat(api("GET", "/api/v1/tenants/hooli/quota", token, null).statusCode()).isEqualTo(401);
        browser.screenshot("portal-07-tokens");

        // members: invite, change role, remove
        browser.get("/portal/members");
        browser.type(By.id("username"), "dinesh");
        browser.type(By.id("password"), PASSWORD);
        browser.submit(By.cssSelector("main form[action$='/portal/members'] button[type=submit]"));
        assertThat(browser.flash()).contains("dinesh can now log in as dinesh@hooli");
        browser.driver.findElement(By.cssSelector("tr[data-member=dinesh] select option[value=TENANT_ADMIN]")).click();
        browser.submit(By.cssSelector("tr[data-member=dinesh] form[action$='/role'] button"));
        assertThat(browser.text(By.cssSelector("tr[data-member=dinesh] .badge"))).isEqualTo("Tenant admin");
        browser.screenshot("portal-08-members");
        browser.confirm(By.cssSelector("tr[data-member=dinesh] form[action$='/delete'] button"));
        assertThat(browser.flash()).contains("dinesh removed");
        assertThat(browser.all(By.cssSelector("tr[data-member=dinesh]"))).isEmpty();

        browser.logout();
    }

    @Test
    void aTenantUserIsRefusedOtherPagesAndWhatPeopleWroteStaysText() throws Exception {
        String admin = adminToken();
        String evil = "<script>alert(1)</script>";
        api("POST", "/api/v1/tenants", admin,
                "{\"slug\":\"evil\",\"displayName\":" + json.writeValueAsString(evil) + "}");
        api("POST", "/api/v1/tenants", admin, "{\"slug\":\"other\",\"displayName\":\"Other\"}");
        api("POST", "/api/v1/tenants/evil/users", admin,
                "{\"username\":\"mallory\",\"password\":\"" + PASSWORD + "\",\"role\":\"TENANT_MEMBER\"}");
        api("POST", "/api/v1/tenants/other/users", admin,
                "{\"username\":\"olivia\",\"password\":\"" + PASSWORD + "\",\"role\":\"TENANT_MEMBER\"}");
        String olivia = token("olivia@other", PASSWORD);
        HttpResponse<String> theirs = api("POST", "/api/v1/tenants/other/workloads", olivia,
                "{\"name\":\"private\",\"command\":[\"/bin/sh\",\"-c\",\"mkdir out; echo secret > out/s; echo secret\"]}");
        assertThat(theirs.statusCode()).isEqualTo(201);
        String theirId = json.readTree(theirs.body()).get("id").asString();

        browser.login("mallory@evil", PASSWORD);
        assertThat(browser.path()).isEqualTo("/portal");
        assertThat(browser.text(By.cssSelector("main h1"))).isEqualTo(evil);

        // the console is not theirs
        for (String page : new String[] {"/admin", "/admin/tenants", "/admin/tenants/other", "/admin/audit"}) {
            browser.get(page);
            assertThat(browser.text(By.cssSelector("main h1"))).as(page).isEqualTo("Not allowed");
        }
        browser.screenshot("refused-01-admin-page");
        // another tenant's workload is simply not found, as one that does not exist, and so are its log and files
        for (String page : new String[] {"/portal/workloads/" + theirId, "/portal/workloads/" + theirId + "/log.txt",
                "/portal/workloads/" + theirId + "/artifacts", "/portal/workloads/" + UUID.randomUUID()}) {
            browser.get(page);
            assertThat(browser.text(By.cssSelector("main h1"))).as(page).isEqualTo("Not found");
            assertThat(browser.driver.getPageSource()).doesNotContain("secret");
        }
        browser.screenshot("refused-02-not-found");

        // a workload name that is HTML is refused by the platform and shown back as typed, as text;
        // a program that prints HTML shows it as text in its log
        browser.get("/portal/workloads/new");
        browser.type(By.id("name"), evil);
        browser.type(By.id("command"), "/bin/sh\n-c\necho '" + evil + "<img src=x onerror=alert(2)><b>bold</b>'");
        browser.submit(By.cssSelector("main button[type=submit]"));
        assertThat(browser.driver.findElement(By.id("name")).getAttribute("value")).isEqualTo(evil);
        assertThat(browser.text(By.cssSelector(".has-error .field-error"))).isNotBlank();
        browser.screenshot("escaped-01-workload-name");
        browser.type(By.id("name"), "html-printer");
        browser.submit(By.cssSelector("main button[type=submit]"));
        browser.longWait().until(d -> browser.text(By.id("log")).contains("<b>bold</b>"));
        assertThat(browser.text(By.id("log"))).contains(evil + "<img src=x onerror=alert(2)><b>bold</b>");
        // each line is an element of the page's own (for the search box), its time another; nothing else is an element
        assertThat(browser.all(By.cssSelector("#log :not(span.log-line):not(span.log-line > time.log-time)")))
                .as("no element made from the program's output").isEmpty();
        assertThat(browser.all(By.cssSelector("#log span.log-line"))).isNotEmpty();
        // the line shows when it was written (UTC, to the millisecond), the full time in its title
        String shown = browser.text(By.cssSelector("#log span.log-line.log-stdout > time.log-time"));
        assertThat(shown.trim()).matches("\\d{2}:\\d{2}:\\d{2}\\.\\d{3}");
        String full = browser.driver.findElement(By.cssSelector("#log span.log-line > time.log-time")).getAttribute("datetime");
        assertThat(java.time.Duration.between(java.time.Instant.parse(full), java.time.Instant.now()).abs())
                .isLessThan(java.time.Duration.ofMinutes(5));
        assertThat(browser.text(By.cssSelector("pre.code"))).contains(evil);
        browser.assertNoAlert();
        browser.screenshot("escaped-02-program-output");
        // a member sees the members but cannot invite
        browser.get("/portal/members");
        assertThat(browser.all(By.cssSelector("form[action$='/portal/members']"))).isEmpty();
        browser.logout();

        // the admin sees the name as text too, in the list and on the tenant's page
        browser.login("admin", ADMIN_PASSWORD);
        browser.get("/admin/tenants?q=evil");
        assertThat(browser.text(By.cssSelector("main tbody"))).contains(evil);
        browser.get("/admin/tenants/evil");
        assertThat(browser.text(By.cssSelector("main h1"))).contains(evil);
        assertThat(browser.driver.findElements(By.cssSelector("main h1 script"))).isEmpty();
        browser.assertNoAlert();
        browser.screenshot("escaped-03-tenant-name");
        browser.logout();
    }

    @Test
    void anAdminImportsAnImageArchiveAndARefusedArchiveLeavesThePageUsable(@TempDir Path dir) throws Exception {
        Path garbage = Files.write(dir.resolve("garbage.tar"), "this is not a tar archive at all".repeat(40)
                .getBytes(StandardCharsets.UTF_8));
        Path image = dockerSaveArchive(dir);

        browser.login("admin", ADMIN_PASSWORD);
        browser.get("/admin/images");
        browser.type(By.id("name"), "junk");
        browser.driver.findElement(By.id("archive")).sendKeys(garbage.toAbsolutePath().toString());
        browser.submit(By.cssSelector("#import button[type=submit]"));
        assertThat(browser.text(By.id("archive-error"))).as("the importer's reason, on the archive field").isNotBlank();
        assertThat(browser.driver.findElement(By.id("name")).getAttribute("value")).isEqualTo("junk");
        assertThat(browser.all(By.cssSelector("tr[data-image=junk]"))).as("nothing was stored").isEmpty();
        browser.screenshot("admin-12-image-import-refused");

        // the same page imports a real archive right after
        browser.type(By.id("name"), "tiny");
        browser.type(By.id("description"), "a one-file image built by the test");
        browser.driver.findElement(By.id("archive")).sendKeys(image.toAbsolutePath().toString());
        browser.submit(By.cssSelector("#import button[type=submit]"));
        assertThat(browser.flash()).contains("Image tiny imported");
        assertThat(browser.text(By.cssSelector("tr[data-image=tiny]"))).contains("oci").contains("a one-file image");
        browser.screenshot("admin-13-image-imported");

        // a name taken is refused on the name field
        browser.type(By.id("name"), "tiny");
        browser.driver.findElement(By.id("archive")).sendKeys(image.toAbsolutePath().toString());
        browser.submit(By.cssSelector("#import button[type=submit]"));
        assertThat(browser.text(By.id("name-error"))).contains("already exists");
        browser.logout();

        // and a workload runs on it
        String admin = adminToken();
        tenantWithAdmin(admin, "tinyco", "Tiny Co", "tina");
        browser.login("tina@tinyco", PASSWORD);
        browser.get("/portal/workloads/new");
        assertThat(browser.all(By.cssSelector("#image option[value=tiny]"))).hasSize(1);
        browser.logout();
    }

    @Test
    void aServiceShowsItsKindPortAndRestartPolicyAndIsStoppedAndStartedFromItsPage() throws Exception {
        String admin = adminToken();
        tenantWithAdmin(admin, "piper", "Pied Piper", "richard");
        String richard = token("richard@piper", PASSWORD);
        HttpResponse<String> deployed = api("POST", "/api/v1/tenants/piper/services", richard, """
                {"name":"site","port":8000,"restartPolicy":"ON_FAILURE","healthPath":"/hello.txt","command":["/bin/sh","-c",
                 "mkdir -p site && echo hi > site/hello.txt && cd site && exec python3 -m http.server 8000 --bind 127.0.0.1"]}""");
        assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
        String workloadId = json.readTree(deployed.body()).get("workloadId").asString();
        api("POST", "/api/v1/tenants/piper/workloads", richard, "{\"name\":\"one-off\",\"command\":[\"/bin/true\"]}");

        browser.login("richard@piper", PASSWORD);
        browser.get("/portal/workloads");
        assertThat(browser.text(By.cssSelector("tr[data-workload=site] [data-kind-badge]"))).isEqualTo("Service");
        assertThat(browser.text(By.cssSelector("tr[data-workload=one-off] [data-kind-badge]"))).isEqualTo("Job");
        assertThat(browser.all(By.cssSelector("tr[data-kind=SERVICE]"))).hasSize(1);
        browser.driver.findElement(By.cssSelector("tr[data-workload=site] a")).click();
        browser.wait.until(d -> browser.path().equals("/portal/workloads/" + workloadId));
        assertThat(browser.text(By.cssSelector("h1 [data-kind-badge]"))).isEqualTo("Service");
        assertThat(browser.text(By.id("service-port"))).isEqualTo("8000");
        assertThat(browser.text(By.id("service-restart"))).isEqualTo("On failure");
        assertThat(browser.text(By.id("service-address"))).isEqualTo("http://site.piper.apps.localhost:" + app.port + "/");
        browser.screenshot("portal-09-service-detail");

        String question = browser.confirm(By.cssSelector("#service-stop button"));
        assertThat(question).contains("site");
        assertThat(browser.flash()).contains("Service site stopped");
        browser.longWait().until(d -> {
            browser.get("/portal/workloads/" + workloadId);
            return !browser.all(By.id("service-start")).isEmpty();
        });
        assertThat(browser.text(By.cssSelector(".facts [data-state-badge]"))).isIn("Cancelled", "Succeeded", "Failed");
        browser.submit(By.cssSelector("#service-start button"));
        assertThat(browser.flash()).contains("Service site started again");
        assertThat(browser.path()).startsWith("/portal/workloads/").isNotEqualTo("/portal/workloads/" + workloadId);
        assertThat(browser.text(By.id("service-port"))).isEqualTo("8000");
        browser.confirm(By.cssSelector("#service-stop button"));
        assertThat(browser.flash()).contains("Service site stopped");
        browser.logout();

        // the console shows the same page to the platform admin
        browser.login("admin", ADMIN_PASSWORD);
        browser.get("/admin/workloads?tenant=piper");
        assertThat(browser.all(By.cssSelector("tr[data-kind=SERVICE] [data-kind-badge]"))).hasSize(2);
        browser.get("/admin/workloads/" + workloadId);
        assertThat(browser.text(By.id("service-restart"))).isEqualTo("On failure");
        browser.screenshot("admin-14-service-detail");
        browser.logout();
    }

    /** A docker save archive of one layer holding one file, made with tar as a person would. */
    private static Path dockerSaveArchive(Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("rootfs/etc"));
        Files.writeString(root.resolve("greeting"), "hello from an imported image\n");
        Path image = Files.createDirectories(dir.resolve("image"));
        run(dir, "tar", "-cf", image.resolve("layer.tar").toString(), "-C", dir.resolve("rootfs").toString(), ".");
        Files.writeString(image.resolve("manifest.json"), "[{\"Config\":\"config.json\",\"RepoTags\":[\"tiny:1\"],"
                + "\"Layers\":[\"layer.tar\"]}]");
        Files.writeString(image.resolve("config.json"), "{\"architecture\":\"amd64\",\"os\":\"linux\"}");
        Path archive = dir.resolve("tiny.tar");
        run(dir, "tar", "-cf", archive.toString(), "-C", image.toString(), "manifest.json", "config.json", "layer.tar");
        return archive;
    }

    private static void run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
    }

    /** A tenant made through the API, with its first tenant admin (password PASSWORD). */
    private static void tenantWithAdmin(String adminToken, String slug, String name, String username) throws Exception {
        api("POST", "/api/v1/tenants", adminToken, "{\"slug\":\"" + slug + "\",\"displayName\":\"" + name + "\"}");
        api("POST", "/api/v1/tenants/" + slug + "/users", adminToken,
                "{\"username\":\"" + username + "\",\"password\":\"" + PASSWORD + "\",\"role\":\"TENANT_ADMIN\"}");
    }

    private static String adminToken() throws Exception {
        return token("admin", ADMIN_PASSWORD);
    }

    private static String token(String username, String password) throws Exception {
        return app.token(username, password);
    }

    private static HttpResponse<String> api(String method, String path, String token, String body) throws Exception {
        return app.api(method, path, token, body);
    }
}
