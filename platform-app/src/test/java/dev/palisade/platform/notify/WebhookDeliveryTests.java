package dev.palisade.platform.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import com.sun.net.httpserver.HttpServer;
import dev.palisade.platform.api.ApiTestSupport;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Webhooks against a real HTTP receiver started here: a failed job and a crash-looping service
 * (both run in the real sandbox) each arrive as a signed event, checked as the README tells a
 * receiver to; the first attempt answered 500 is retried; the delivery log shows both answers.
 */
@DirtiesContext
class WebhookDeliveryTests extends ApiTestSupport {

    @DynamicPropertySource
    static void settings(DynamicPropertyRegistry registry) throws Exception {
        registry.add("palisade.cron-jobs.enabled", () -> "true");   // this class's scheduler, closed with it
        Path dir = Files.createTempDirectory("palisade-webhook-tests");
        registry.add("palisade.data-dir", dir::toString);
        registry.add("palisade.dispatcher.heartbeat", () -> "300ms");
        registry.add("palisade.services.crash-loop-after", () -> "3");
        registry.add("palisade.notifications.poll-interval", () -> "200ms");
        registry.add("palisade.notifications.first-retry", () -> "1s");
        // the receiver listens on loopback, which webhooks may not reach unless allowed
        registry.add("palisade.notifications.allow-private-addresses", () -> "true");
    }

    /** One request the receiver got. */
    record Received(String event, String delivery, String signature, String body, int answered) {
    }

    private final JsonMapper json = new JsonMapper();
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final AtomicInteger failuresLeft = new AtomicInteger(1);
    private HttpServer receiver;
    private String admin;
    private String tenant;

    @BeforeEach
    void receiver() throws Exception {
        assumeTrue(new PtracePlatform().unavailableReason().isEmpty(), "the ptrace platform needs root on Linux x86-64");
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            int code = failuresLeft.getAndDecrement() > 0 ? 500 : 204;
            received.add(new Received(exchange.getRequestHeaders().getFirst("Palisade-Event"),
                    exchange.getRequestHeaders().getFirst("Palisade-Delivery"),
                    exchange.getRequestHeaders().getFirst("Palisade-Signature"), new String(body, StandardCharsets.UTF_8),
                    code));
            exchange.sendResponseHeaders(code, -1);
            exchange.close();
        });
        receiver.start();
        admin = adminToken();
        tenant = createTenant(admin);
    }

    @AfterEach
    void stop() {
        if (receiver != null) {
            receiver.stop(0);
        }
        jdbc.update("update workload set cancel_requested = true where kind = 'SERVICE' and state = 'RUNNING'");
    }

    @Test
    void aFailedJobAndACrashLoopingServiceArriveSignedAndA500IsRetried() throws Exception {
        String created = mvc.perform(as(admin, post("/api/v1/tenants/" + tenant + "/webhooks"), """
                {"url":"http://127.0.0.1:%d/hook","events":["workload.failed","service.crash_loop"]}"""
                .formatted(receiver.getAddress().getPort()))).andExpect(status().isCreated())
                .andReturn().getResponse().getContentAsString();
        String secret = JsonPath.read(created, "$.secret");
        String webhook = JsonPath.read(created, "$.id");
        assertThat(secret).startsWith("whsec_");
        assertThat(mvc.perform(as(admin, get("/api/v1/tenants/" + tenant + "/webhooks/" + webhook)))
                .andReturn().getResponse().getContentAsString()).doesNotContain(secret);

        // a job that fails: answered 500 the first time, delivered on the retry, the same event both times
        String job = JsonPath.read(mvc.perform(as(admin, post("/api/v1/tenants/" + tenant + "/workloads"),
                "{\"name\":\"broken\",\"command\":[\"/bin/sh\",\"-c\",\"exit 3\"]}"))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString(), "$.id");
        Received first = next();
        Received retry = next();
        assertThat(first.answered()).isEqualTo(500);
        assertThat(retry.answered()).isEqualTo(204);
        assertThat(retry.delivery()).isEqualTo(first.delivery());
        for (Received r : List.of(first, retry)) {
            assertThat(r.event()).isEqualTo("workload.failed");
            JsonNode event = verified(r, secret);
            assertThat(event.get("type").asString()).isEqualTo("workload.failed");
            assertThat(event.get("tenant").asString()).isEqualTo(tenant);
            assertThat(event.at("/data/workloadId").asString()).isEqualTo(job);
            assertThat(event.at("/data/exitCode").asInt()).isEqualTo(3);
        }

        // a service that keeps crashing
        mvc.perform(as(admin, post("/api/v1/tenants/" + tenant + "/services"),
                "{\"name\":\"crashy\",\"command\":[\"/bin/false\"],\"port\":8000}")).andExpect(status().isCreated());
        Received crash = next();
        assertThat(crash.event()).isEqualTo("service.crash_loop");
        JsonNode event = verified(crash, secret);
        assertThat(event.at("/data/service").asString()).isEqualTo("crashy");
        assertThat(event.at("/data/status").asString()).isEqualTo("CRASH_LOOP");

        // the test event, and the log with every attempt's answer
        mvc.perform(as(admin, post("/api/v1/tenants/" + tenant + "/webhooks/" + webhook + "/test")))
                .andExpect(status().isAccepted());
        Received ping = next();
        assertThat(ping.event()).isEqualTo("ping");
        verified(ping, secret);
        JsonNode log = json.readTree(mvc.perform(as(admin, get("/api/v1/tenants/" + tenant + "/webhooks/" + webhook
                + "/deliveries"))).andExpect(status().isOk()).andReturn().getResponse().getContentAsString());
        JsonNode failed = null;
        for (JsonNode d : log) {
            if (d.get("type").asString().equals("workload.failed")) {
                failed = d;
            }
        }
        assertThat(failed).isNotNull();
        assertThat(failed.get("status").asString()).isEqualTo("DELIVERED");
        assertThat(failed.get("attempts").findValues("statusCode")).extracting(JsonNode::asInt).containsExactly(500, 204);

        // a member of the tenant may not see or add webhooks
        String member = userToken(admin, tenant, unique("dev"), "TENANT_MEMBER");
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/webhooks"))).andExpect(status().isForbidden());
    }

    @Test
    void aUrlThatIsNotHttpOrAnUnknownEventIsRefused() throws Exception {
        mvc.perform(as(admin, post("/api/v1/tenants/" + tenant + "/webhooks"),
                "{\"url\":\"file:///etc/passwd\",\"events\":[\"workload.failed\"]}")).andExpect(status().isBadRequest());
        mvc.perform(as(admin, post("/api/v1/tenants/" + tenant + "/webhooks"),
                "{\"url\":\"https://example.com/x\",\"events\":[\"everything\"]}")).andExpect(status().isBadRequest());
    }

    /** The receiver's check, as the README documents it; returns the event. */
    private JsonNode verified(Received r, String secret) throws Exception {
        Map<String, String> parts = new java.util.HashMap<>();
        for (String part : r.signature().split(",")) {
            String[] kv = part.split("=", 2);
            parts.put(kv[0], kv[1]);
        }
        long t = Long.parseLong(parts.get("t"));
        assertThat(Math.abs(Instant.now().getEpochSecond() - t)).isLessThan(300);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        byte[] expected = mac.doFinal((t + "." + r.body()).getBytes(StandardCharsets.UTF_8));
        assertThat(MessageDigest.isEqual(java.util.HexFormat.of().parseHex(parts.get("v1")), expected))
                .as("signature of %s", r).isTrue();
        return json.readTree(r.body());
    }

    private Received next() throws InterruptedException {
        Received r = received.poll(Duration.ofSeconds(60).toMillis(), TimeUnit.MILLISECONDS);
        assertThat(r).as("a request within 60 s").isNotNull();
        return r;
    }
}
