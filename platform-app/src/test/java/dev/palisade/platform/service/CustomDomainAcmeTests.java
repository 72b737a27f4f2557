package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.patch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/**
 * Custom domains end to end against a real ACME server: Debian's {@code pebble}, started here on
 * loopback with its DNS pointed at {@code pebble-challtestsrv} (every name resolves to 127.0.0.1)
 * and its HTTP-01 validation at the ingress's plain port. A tenant claims a name for its service;
 * the platform orders the certificate, answers the challenge, and the ingress serves the name
 * over TLS (real curl, HTTP/2, verified against pebble's root); a renewal that comes due issues a
 * new certificate, which the ingress then serves without a restart. The plain port redirects the
 * name to HTTPS; HSTS only where the tenant opted in; a name one tenant holds is refused to another.
 */
class CustomDomainAcmeTests extends CustomDomainTestSupport {

    @Test
    void aCertificateFromPebbleServesTheDomainOverHttp2AndARenewalReplacesIt() throws Exception {
        newTenantWithAdmin();
        deploy(owner, tenant, """
                {"name":"echo","port":9000,"command":["python3","-c",%s,"9000"]}""".formatted(json(ECHO)));
        awaitService(owner, tenant, "echo", statusIs("HEALTHY"));
        String strict = "www." + tenant + ".example.com";
        String lax = "shop." + tenant + ".example.net";
        long claimed = System.nanoTime();
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/domains"),
                        "{\"host\":\"" + strict.toUpperCase() + "\",\"service\":\"echo\",\"hsts\":true}"))
                .andExpect(status().isCreated()).andExpect(jsonPath("$.host").value(strict))
                .andExpect(jsonPath("$.hsts").value(true));
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/domains"), "{\"host\":\"" + lax + "\",\"service\":\"echo\"}"))
                .andExpect(status().isCreated()).andExpect(jsonPath("$.hsts").value(false));

        String issued = awaitDomain(strict, "ISSUED");
        System.out.printf("custom domain: claim to certificate issued by pebble in %d ms%n",
                (System.nanoTime() - claimed) / 1_000_000);
        awaitDomain(lax, "ISSUED");
        int tls = ingress.tlsPort();
        Path root = pebble.root();

        // HTTP/2 over TLS to the custom domain, the certificate verified against pebble's root; HSTS as opted in
        String url = "https://" + strict + ":" + tls + "/hello?q=1";
        String h2 = curl("--http2", "--cacert", root.toString(), "--resolve", strict + ":" + tls + ":127.0.0.1", "-i",
                "-w", "\nversion=%{http_version}", url);
        assertThat(h2).contains("version=2", "path=/hello?q=1\n", "x-forwarded-proto=https\n", "host=" + strict + ":" + tls)
                .containsIgnoringCase("strict-transport-security: max-age=31536000");
        String laxAnswer = curl("--http2", "--cacert", root.toString(), "--resolve", lax + ":" + tls + ":127.0.0.1", "-i",
                "-w", "\nversion=%{http_version}", "https://" + lax + ":" + tls + "/");
        assertThat(laxAnswer).contains("version=2", "path=/\n").doesNotContainIgnoringCase("strict-transport-security");

        // the plain port sends the name to HTTPS, path and query kept
        String redirect = curl("-i", "-H", "Host: " + strict, "http://127.0.0.1:" + ingress.port() + "/hello?q=1");
        assertThat(redirect).startsWith("HTTP/1.1 308 ").contains("Location: " + url);

        // a challenge under way (a renewal's) is answered over plain HTTP, not redirected, on both ports
        jdbc.update("update custom_domain set challenge_token = 'tok-1', challenge_response = 'tok-1.thumb' where host = ?",
                strict);
        for (int plainPort : new int[] {ingress.port(), port}) {
            assertThat(curl("-i", "-H", "Host: " + strict, "http://127.0.0.1:" + plainPort
                    + "/.well-known/acme-challenge/tok-1")).startsWith("HTTP/1.1 200").endsWith("\r\n\r\ntok-1.thumb");
            assertThat(curl("-i", "-H", "Host: " + strict, "http://127.0.0.1:" + plainPort
                    + "/.well-known/acme-challenge/tok-2")).doesNotContain("tok-1.thumb");
        }
        jdbc.update("update custom_domain set challenge_token = null, challenge_response = null where host = ?", strict);

        // HSTS switched on for the other: the ingress picks it up without a restart
        mvc.perform(as(owner, patch("/api/v1/tenants/" + tenant + "/domains/" + lax), "{\"hsts\":true}"))
                .andExpect(status().isOk()).andExpect(jsonPath("$.hsts").value(true));
        assertThat(curl("--cacert", root.toString(), "--resolve", lax + ":" + tls + ":127.0.0.1", "-i",
                "https://" + lax + ":" + tls + "/")).containsIgnoringCase("strict-transport-security: max-age=31536000");

        // the renewal comes due (the certificate near its end): a new one is ordered and served
        BigInteger first = Pebble.servedSerial(strict, tls, root);
        jdbc.update("update custom_domain set not_after = now() + interval '1 hour', renew_at = now(),"
                + " next_attempt_at = now() where host = ?", strict);
        long due = System.nanoTime();
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        BigInteger now = first;
        while (now.equals(first) && System.nanoTime() < end) {
            Thread.sleep(250);
            now = Pebble.servedSerial(strict, tls, root);
        }
        assertThat(now).as("the ingress serves the renewed certificate").isNotEqualTo(first);
        System.out.printf("custom domain: renewal due to the new certificate served in %d ms%n",
                (System.nanoTime() - due) / 1_000_000);
        String renewed = awaitDomain(strict, "ISSUED");
        assertThat(JsonPath.<String>read(renewed, "$.notAfter")).isNotEqualTo(JsonPath.<String>read(issued, "$.notAfter"));
        assertThat(curl("--http2", "--cacert", root.toString(), "--resolve", strict + ":" + tls + ":127.0.0.1",
                "-w", "\nversion=%{http_version}", url)).contains("version=2", "path=/hello?q=1\n");

        // the key is stored sealed, not as PEM
        byte[] sealed = jdbc.queryForObject("select sealed_key from custom_domain where host = ?", byte[].class, strict);
        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("PRIVATE KEY");
    }

    @Test
    void aDomainClaimedByOneTenantIsRefusedToAnotherAndHostileNamesAreRefused() throws Exception {
        newTenantWithAdmin();
        String other = createTenant(admin);
        String otherOwner = userToken(admin, other, unique("owner"), "TENANT_ADMIN");
        for (String[] t : new String[][] {{tenant, owner}, {other, otherOwner}}) {
            deploy(t[1], t[0], pythonHttpServer("web", "hi"));
        }
        String host = "claimed." + tenant + ".example.org";
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/domains"), "{\"host\":\"" + host + "\",\"service\":\"web\"}"))
                .andExpect(status().isCreated());
        for (String attempt : new String[] {host, host.toUpperCase(), " " + host + " "}) {
            mvc.perform(as(otherOwner, post("/api/v1/tenants/" + other + "/domains"),
                            "{\"host\":\"" + attempt + "\",\"service\":\"web\"}"))
                    .andExpect(status().isConflict())
                    .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                    .andExpect(jsonPath("$.detail").value("domain " + host + " is claimed by another tenant"));
        }
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/domains"), "{\"host\":\"" + host + "\",\"service\":\"web\"}"))
                .andExpect(status().isConflict()).andExpect(jsonPath("$.detail").value("domain " + host
                        + " is already claimed by this tenant"));
        mvc.perform(as(otherOwner, get("/api/v1/tenants/" + other + "/domains"))).andExpect(status().isOk())
                .andExpect(content().json("[]"));
        mvc.perform(as(otherOwner, get("/api/v1/tenants/" + tenant + "/domains"))).andExpect(status().isNotFound());

        for (String hostile : new String[] {"*.example.com", "www.example.com.", "bücher.example.com",
                "xn--bcher-kva.example.com", "apps.localhost", "web." + tenant + ".apps.localhost", "localhost",
                "127.0.0.1", "a..example.com", "-a.example.com", "example.com:443", "http://example.com/",
                "x.localhost", "printer.local", "com", "a b.example.com", "x".repeat(64) + ".example.com"}) {
            mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/domains"),
                            "{\"host\":" + json(hostile) + ",\"service\":\"web\"}"))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                    .andExpect(jsonPath("$.errors[0].field").value("host"));
        }
        // a service the tenant does not have, and a member who is not a tenant admin
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/domains"),
                        "{\"host\":\"nosuch." + tenant + ".example.org\",\"service\":\"nosuch\"}"))
                .andExpect(status().isBadRequest()).andExpect(jsonPath("$.errors[0].field").value("service"));
        String member = userToken(admin, tenant, unique("member"), "TENANT_MEMBER");
        mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/domains"),
                        "{\"host\":\"m." + tenant + ".example.org\",\"service\":\"web\"}"))
                .andExpect(status().isForbidden());
        // the portal's Domains page: the tenant's own domain listed, a claim through its form, a refusal said why
        org.springframework.mock.web.MockHttpSession portal = login(ownerName + "@" + tenant, PASSWORD);
        assertThat(page(portal, "/portal/domains")).contains(host, "web");
        String viaPortal = "portal." + tenant + ".example.org";
        mvc.perform(post("/portal/domains").param("host", viaPortal).param("service", "web").param("hsts", "true")
                        .session(portal).with(csrf()))
                .andExpect(status().is3xxRedirection())
                .andExpect(org.springframework.test.web.servlet.result.MockMvcResultMatchers.flash().attributeExists("flash"));
        assertThat(page(portal, "/portal/domains")).contains(viaPortal);
        mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/domains/" + viaPortal))).andExpect(status().isOk())
                .andExpect(jsonPath("$.hsts").value(true));
        mvc.perform(post("/portal/domains").param("host", "*.example.org").param("service", "web").session(portal).with(csrf()))
                .andExpect(status().is3xxRedirection());
        mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/domains"))).andExpect(jsonPath("$.length()").value(2));

        // released, the name is free for the other tenant
        mvc.perform(as(owner, org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete(
                "/api/v1/tenants/" + tenant + "/domains/" + host))).andExpect(status().isNoContent());
        mvc.perform(as(otherOwner, post("/api/v1/tenants/" + other + "/domains"), "{\"host\":\"" + host + "\",\"service\":\"web\"}"))
                .andExpect(status().isCreated());
    }

    // ---- helpers

    private String awaitDomain(String host, String state) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        String body = null;
        while (System.nanoTime() < end) {
            body = mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/domains/" + host)))
                    .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
            if (state.equals(JsonPath.read(body, "$.state")) && JsonPath.read(body, "$.lastError") == null) {
                return body;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("domain " + host + " never became " + state + ": " + body + "\npebble: " + pebble.log());
    }
}
