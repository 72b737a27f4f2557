package dev.palisade.platform.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import com.jayway.jsonpath.JsonPath;
import dev.palisade.platform.api.ApiTestSupport;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import jakarta.mail.internet.MimeMessage;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Email notifications ({@code mailto:} webhooks) against a real SMTP server started here
 * (GreenMail): a failed job (run in the real sandbox) arrives as an email; with the SMTP server
 * down the test event is retried until it is back; an address with anything more is refused.
 */
@DirtiesContext
class EmailNotificationTests extends ApiTestSupport {

    private static final int SMTP_PORT = freePort();
    private static GreenMail smtp = started();

    @DynamicPropertySource
    static void settings(DynamicPropertyRegistry registry) throws Exception {
        registry.add("palisade.cron-jobs.enabled", () -> "true");   // this class's scheduler, closed with it
        Path dir = Files.createTempDirectory("palisade-email-tests");
        registry.add("palisade.data-dir", dir::toString);
        registry.add("palisade.notifications.poll-interval", () -> "200ms");
        registry.add("palisade.notifications.first-retry", () -> "1s");
        registry.add("palisade.notifications.max-retry", () -> "2s");
        registry.add("palisade.notifications.mail-from", () -> "palisade@platform.test");
        registry.add("spring.mail.host", () -> "127.0.0.1");
        registry.add("spring.mail.port", () -> SMTP_PORT);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static GreenMail started() {
        GreenMail mail = new GreenMail(new ServerSetup(SMTP_PORT, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        mail.start();
        return mail;
    }

    @AfterAll
    static void stopSmtp() {
        smtp.stop();
    }

    @Test
    void aFailedJobIsEmailedAndAnUnreachableServerIsRetried() throws Exception {
        assumeTrue(new PtracePlatform().unavailableReason().isEmpty(), "the ptrace platform needs root on Linux x86-64");
        String admin = adminToken();
        String tenant = createTenant(admin);
        String base = "/api/v1/tenants/" + tenant + "/webhooks";
        for (String bad : List.of("mailto:ops@acme.test?cc=eve@evil.test", "mailto:ops@acme.test,eve@evil.test",
                "mailto:", "mailto:ops@acme.test%0ABcc:eve@evil.test")) {
            mvc.perform(as(admin, post(base), "{\"url\":\"" + bad + "\",\"events\":[\"workload.failed\"]}"))
                    .andExpect(status().isBadRequest());
        }
        String webhook = JsonPath.read(mvc.perform(as(admin, post(base),
                        "{\"url\":\"mailto:ops@acme.test\",\"events\":[\"workload.failed\"]}"))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString(), "$.id");

        String job = JsonPath.read(mvc.perform(as(admin, post("/api/v1/tenants/" + tenant + "/workloads"),
                "{\"name\":\"broken\",\"command\":[\"/bin/sh\",\"-c\",\"exit 3\"]}"))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString(), "$.id");
        assertThat(smtp.waitForIncomingEmail(60_000, 1)).as("an email within 60 s").isTrue();
        MimeMessage failed = smtp.getReceivedMessages()[0];
        assertThat(failed.getSubject()).isEqualTo("[Palisade] workload.failed");
        assertThat(failed.getAllRecipients()[0].toString()).isEqualTo("ops@acme.test");
        assertThat(failed.getFrom()[0].toString()).isEqualTo("palisade@platform.test");
        String body = GreenMailUtil.getBody(failed).replace("\r\n", "\n");
        JsonNode event = new JsonMapper().readTree(body.substring(body.indexOf('{')));
        assertThat(event.get("type").asString()).isEqualTo("workload.failed");
        assertThat(event.get("tenant").asString()).isEqualTo(tenant);
        assertThat(event.at("/data/workloadId").asString()).isEqualTo(job);
        assertThat(event.at("/data/exitCode").asInt()).isEqualTo(3);

        // the SMTP server down: the test event fails, is retried, and arrives once the server is back
        smtp.stop();
        mvc.perform(as(admin, post(base + "/" + webhook + "/test"))).andExpect(status().isAccepted());
        String log = "";
        for (int i = 0; i < 100 && !log.contains("MailSendException"); i++) {
            Thread.sleep(200);
            log = mvc.perform(as(admin, get(base + "/" + webhook + "/deliveries"))).andReturn().getResponse()
                    .getContentAsString();
        }
        assertThat(log).contains("MailSendException");
        smtp = started();
        assertThat(smtp.waitForIncomingEmail(60_000, 1)).as("the retried test event within 60 s").isTrue();
        assertThat(smtp.getReceivedMessages()[0].getSubject()).isEqualTo("[Palisade] ping");
        // the server has the message before the sender records the delivery: wait for the record
        List<String> statuses = List.of();
        for (int i = 0; i < 100 && !(statuses.size() == 2 && statuses.stream().allMatch("DELIVERED"::equals)); i++) {
            Thread.sleep(100);
            statuses = JsonPath.read(mvc.perform(as(admin, get(base + "/" + webhook + "/deliveries")))
                    .andReturn().getResponse().getContentAsString(), "$[*].status");
        }
        assertThat(statuses).hasSize(2).containsOnly("DELIVERED");
    }
}
