package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.flash;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockHttpSession;

/**
 * Custom domains proved by DNS-01 against the real {@code pebble}, whose DNS (and the platform's,
 * through {@code palisade.domains.dns-resolver}) is {@code pebble-challtestsrv}: the TXT record a
 * tenant would publish is set there through its management API. A claim shows the record to
 * publish and waits, saying what it finds, while the record is missing or wrong; once it holds
 * the value the certificate is issued and served over TLS. A renewal awaits its new value while
 * the old certificate keeps serving; a record that never comes fails the order by its deadline.
 */
class CustomDomainDns01Tests extends CustomDomainTestSupport {

    @Test
    void aDns01DomainAwaitsItsTxtRecordThenServesItsCertificateAndARenewalAwaitsTheNewValue() throws Exception {
        newTenantWithAdmin();
        deploy(owner, tenant, """
                {"name":"echo","port":9000,"command":["python3","-c",%s,"9000"]}""".formatted(json(ECHO)));
        awaitService(owner, tenant, "echo", statusIs("HEALTHY"));
        String host = "www." + tenant + ".example.com";
        String record = "_acme-challenge." + host;
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/domains"),
                        "{\"host\":\"" + host + "\",\"service\":\"echo\",\"challenge\":\"DNS-01\"}"))
                .andExpect(status().isCreated()).andExpect(jsonPath("$.challenge").value("dns-01"));

        // the order is made: the record to publish is shown, and nothing is issued while it is missing
        String awaiting = awaitDomain(host, d -> "AWAITING_DNS".equals(at(d, "$.state"))
                && at(d, "$.dnsRecord.lastCheck") != null);
        assertThat(JsonPath.<String>read(awaiting, "$.dnsRecord.name")).isEqualTo(record);
        assertThat(JsonPath.<String>read(awaiting, "$.dnsRecord.type")).isEqualTo("TXT");
        String value = JsonPath.read(awaiting, "$.dnsRecord.value");
        assertThat(value).matches("[A-Za-z0-9_-]{43}");   // base64url of a SHA-256 digest (RFC 8555 §8.4)
        assertThat(JsonPath.<String>read(awaiting, "$.dnsRecord.lastCheck"))
                .isEqualTo("no TXT record " + record + " found (the name has no TXT record); expected \"" + value + "\"");
        Instant until = Instant.parse(JsonPath.read(awaiting, "$.dnsRecord.awaitedUntil"));
        assertThat(until).isAfter(Instant.now().plus(Duration.ofMinutes(30)))
                .isBefore(Instant.now().plus(Duration.ofDays(7)).plusSeconds(60));
        assertThat((Object) JsonPath.read(awaiting, "$.notAfter")).isNull();

        // the portal's Domains page shows the record to publish
        MockHttpSession portal = login(ownerName + "@" + tenant, PASSWORD);
        assertThat(page(portal, "/portal/domains")).contains(record, value, "AWAITING_DNS");

        // a wrong value, then a hostile one: found and said (bounded, printable, escaped on the page), nothing issued
        pebble.setTxt(record, "not-the-value");
        String wrong = awaitDomain(host, d -> String.valueOf(at(d, "$.dnsRecord.lastCheck"))
                .startsWith("found TXT"));
        assertThat(JsonPath.<String>read(wrong, "$.dnsRecord.lastCheck"))
                .isEqualTo("found TXT \"not-the-value\" at " + record + ", expected \"" + value + "\"");
        assertThat(JsonPath.<String>read(wrong, "$.state")).isEqualTo("AWAITING_DNS");
        pebble.clearTxt(record);
        pebble.setTxt(record, "<b>bold</b>é" + "y".repeat(200));
        String hostile = awaitDomain(host, d -> String.valueOf(at(d, "$.dnsRecord.lastCheck"))
                .contains("<b>bold</b>"));
        assertThat(JsonPath.<String>read(hostile, "$.dnsRecord.lastCheck"))
                .isEqualTo("found TXT \"<b>bold</b>??" + "y".repeat(87) + "…\" at " + record + ", expected \"" + value + "\"");
        assertThat(page(portal, "/portal/domains")).contains("&lt;b&gt;bold&lt;/b&gt;").doesNotContain("<b>bold</b>");
        assertThat(JsonPath.<String>read(hostile, "$.state")).isEqualTo("AWAITING_DNS");
        assertThat(JsonPath.<String>read(hostile, "$.dnsRecord.value")).isEqualTo(value);

        // the right value: the challenge is triggered, the certificate issued and served over TLS
        pebble.clearTxt(record);
        pebble.setTxt(record, value);
        long published = System.nanoTime();
        String issued = awaitDomain(host, d -> "ISSUED".equals(at(d, "$.state")));
        System.out.printf("custom domain: DNS-01 record published to certificate issued in %d ms (check-interval 1s)%n",
                (System.nanoTime() - published) / 1_000_000);
        assertThat((Object) JsonPath.read(issued, "$.dnsRecord")).isNull();
        assertThat((Object) JsonPath.read(issued, "$.lastError")).isNull();
        int tls = ingress.tlsPort();
        Path root = pebble.root();
        String url = "https://" + host + ":" + tls + "/hello";
        assertThat(curl("--http2", "--cacert", root.toString(), "--resolve", host + ":" + tls + ":127.0.0.1",
                "-w", "\nversion=%{http_version}", url)).contains("version=2", "path=/hello\n");
        BigInteger first = Pebble.servedSerial(host, tls, root);

        // a forced renewal: a new order whose new value the tenant must publish; the old certificate serves meanwhile
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/domains/" + host + "/renew")))
                .andExpect(status().isAccepted());
        String renewing = awaitDomain(host, d -> at(d, "$.dnsRecord") != null
                && at(d, "$.dnsRecord.lastCheck") != null);
        String renewal = JsonPath.read(renewing, "$.dnsRecord.value");
        assertThat(renewal).isNotEqualTo(value).matches("[A-Za-z0-9_-]{43}");
        assertThat(JsonPath.<String>read(renewing, "$.state")).isEqualTo("ISSUED");
        assertThat(JsonPath.<String>read(renewing, "$.dnsRecord.lastCheck"))
                .isEqualTo("found TXT \"" + value + "\" at " + record + ", expected \"" + renewal + "\"");
        assertThat(JsonPath.<String>read(renewing, "$.notAfter")).isEqualTo(JsonPath.read(issued, "$.notAfter"));
        assertThat(Pebble.servedSerial(host, tls, root)).isEqualTo(first);
        assertThat(page(portal, "/portal/domains")).contains(renewal);

        pebble.clearTxt(record);
        pebble.setTxt(record, renewal);
        long republished = System.nanoTime();
        awaitDomain(host, d -> at(d, "$.dnsRecord") == null && "ISSUED".equals(at(d, "$.state")));
        System.out.printf("custom domain: renewal's DNS-01 record published to certificate issued in %d ms%n",
                (System.nanoTime() - republished) / 1_000_000);
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        BigInteger now = first;
        while (now.equals(first) && System.nanoTime() < end) {
            Thread.sleep(250);
            now = Pebble.servedSerial(host, tls, root);
        }
        assertThat(now).as("the ingress serves the renewed certificate").isNotEqualTo(first);
        pebble.clearTxt(record);
    }

    @Test
    void aRecordThatNeverComesFailsTheOrderByItsDeadlineAndANewOrderFollows() throws Exception {
        newTenantWithAdmin();
        deploy(owner, tenant, pythonHttpServer("web", "hi"));
        String host = "late." + tenant + ".example.org";
        String record = "_acme-challenge." + host;
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/domains"),
                        "{\"host\":\"" + host + "\",\"service\":\"web\",\"challenge\":\"dns-01\"}"))
                .andExpect(status().isCreated());
        String awaiting = awaitDomain(host, d -> "AWAITING_DNS".equals(at(d, "$.state")));
        String value = JsonPath.read(awaiting, "$.dnsRecord.value");
        // a record challtestsrv cannot even answer (one string over 255 bytes): the look-up fails, bounded, and
        // the task goes on looking (it is not stalled)
        pebble.setTxt(record, "z".repeat(300));
        String unanswered = awaitDomain(host, d -> String.valueOf(at(d, "$.dnsRecord.lastCheck"))
                .startsWith("no TXT record " + record + " found (the D"));
        System.out.println("custom domain: unanswered TXT look-up said: " + at(unanswered, "$.dnsRecord.lastCheck"));
        Instant checked = Instant.parse(JsonPath.read(unanswered, "$.dnsRecord.checkedAt"));
        awaitDomain(host, d -> at(d, "$.dnsRecord.checkedAt") != null
                && Instant.parse((String) at(d, "$.dnsRecord.checkedAt")).isAfter(checked));
        pebble.clearTxt(record);
        pebble.setTxt(record, "stale");
        // the deadline (dns-wait, 7 days by default) passes
        jdbc.update("update custom_domain set dns_deadline = now() - interval '1 second', next_attempt_at = now()"
                + " where host = ?", host);
        String failed = awaitDomain(host, d -> "FAILED".equals(at(d, "$.state")));
        assertThat(JsonPath.<String>read(failed, "$.lastError")).startsWith("the TXT record " + record
                        + " did not show the expected value by ")
                .contains("(found TXT \"stale\" at " + record + ", expected \"" + value + "\")")
                .endsWith("a new order, with a new value, follows");
        assertThat((Object) JsonPath.read(failed, "$.dnsRecord")).isNull();
        // retry-after later: a new order, with its own value to publish
        String again = awaitDomain(host, d -> "AWAITING_DNS".equals(at(d, "$.state")));
        assertThat(JsonPath.<String>read(again, "$.dnsRecord.value")).isNotEqualTo(value);
        pebble.clearTxt(record);
    }

    @Test
    void aChallengeOtherThanHttp01OrDns01IsRefused() throws Exception {
        newTenantWithAdmin();
        deploy(owner, tenant, pythonHttpServer("web", "hi"));
        String host = "bad." + tenant + ".example.org";
        for (String bad : new String[] {"tls-alpn-01", "dns-02", "", "dns-01; drop table", "x".repeat(10_000)}) {
            mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/domains"),
                            "{\"host\":\"" + host + "\",\"service\":\"web\",\"challenge\":" + json(bad) + "}"))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                    .andExpect(jsonPath("$.errors[0].field").value("challenge"))
                    .andExpect(jsonPath("$.errors[0].message").value("must be http-01 or dns-01"));
        }
        mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/domains"))).andExpect(content().json("[]"));
        // the portal's form: refused, said why, nothing claimed
        MockHttpSession portal = login(ownerName + "@" + tenant, PASSWORD);
        mvc.perform(post("/portal/domains").param("host", host).param("service", "web").param("challenge", "bogus")
                        .session(portal).with(csrf()))
                .andExpect(status().is3xxRedirection()).andExpect(flash().attributeExists("flash"));
        mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/domains"))).andExpect(content().json("[]"));
        // no challenge named: HTTP-01, as before
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/domains"),
                        "{\"host\":\"" + host + "\",\"service\":\"web\"}"))
                .andExpect(status().isCreated()).andExpect(jsonPath("$.challenge").value("http-01"))
                .andExpect(jsonPath("$.dnsRecord").isEmpty());
    }

    /** The value at {@code path} in a JSON answer; null also where a parent is null. */
    private static Object at(String json, String path) {
        try {
            return JsonPath.read(json, path);
        } catch (com.jayway.jsonpath.PathNotFoundException e) {
            return null;
        }
    }

    private String awaitDomain(String host, Predicate<String> done) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        String body = null;
        while (System.nanoTime() < end) {
            body = mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/domains/" + host)))
                    .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
            if (done.test(body)) {
                return body;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("domain " + host + " never got there: " + body + "\npebble: " + pebble.log());
    }
}
