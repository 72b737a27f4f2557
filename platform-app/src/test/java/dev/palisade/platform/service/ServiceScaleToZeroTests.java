package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import dev.palisade.platform.ingress.NettyIngress;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A service with {@code minInstances: 0} is stopped after its idle timeout without a request
 * (status IDLE: no sandbox, no CPU charged), and the next request starts it and waits for its
 * health check; past the bounded queue of waiting requests, 503 with Retry-After.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServiceScaleToZeroTests extends ServiceTestSupport {

    @DynamicPropertySource
    static void smallWakeQueue(DynamicPropertyRegistry registry) {
        registry.add("palisade.services.wake-queue", () -> "2");
        // one event loop on the ingress port: a request waiting for a wake must not hold it
        registry.add("palisade.services.ingress.threads", () -> "1");
    }

    @Autowired
    NettyIngress ingress;

    @BeforeEach
    void tenant() throws Exception {
        newTenantWithAdmin();
    }

    private HttpResponse<String> request(String service, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Host", host(tenant, service) + ":" + port).build(), HttpResponse.BodyHandlers.ofString());
    }

    private long charged(String id) {
        Long c = jdbc.queryForObject("select cpu_millis from workload where id = ?::uuid", Long.class, id);
        return c == null ? 0 : c;
    }

    private String log(String id) throws Exception {
        return mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/workloads/" + id + "/logs")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
    }

    @Test
    void anIdleServiceIsStoppedAndTheNextRequestWakesItAndSucceeds() throws Exception {
        String json = pythonHttpServer("sleepy", "awake").replace("{\"name\"", "{\"minInstances\":0,\"idleTimeoutSeconds\":1,\"name\"");
        String id = JsonPath.read(deploy(owner, tenant, json), "$.workloadId");
        String shown = awaitService(owner, tenant, "sleepy", statusIs("HEALTHY"));
        assertThat((Integer) JsonPath.read(shown, "$.minInstances")).isZero();
        assertThat((Integer) JsonPath.read(shown, "$.idleTimeoutSeconds")).isEqualTo(1);
        assertThat(request("sleepy", "/hello.txt").body()).isEqualTo("awake\n");

        // a second without a request: stopped, still a RUNNING deployment, and charged nothing more
        shown = awaitService(owner, tenant, "sleepy", statusIs("IDLE"));
        assertThat((String) JsonPath.read(shown, "$.state")).isEqualTo("RUNNING");
        long before = charged(id);
        Thread.sleep(2500);
        assertThat(charged(id)).isEqualTo(before);
        assertThat((String) JsonPath.read(service(owner, tenant, "sleepy"), "$.status")).isEqualTo("IDLE");

        // the next request starts it and is answered once it is healthy
        long t0 = System.nanoTime();
        HttpResponse<String> woken = request("sleepy", "/hello.txt");
        double millis = (System.nanoTime() - t0) / 1e6;
        assertThat(woken.statusCode()).isEqualTo(200);
        assertThat(woken.body()).isEqualTo("awake\n");
        // the runner writes how the wake went once the instance is routed, beside the answer to this request
        long end = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        while (!log(id).contains("woken by a request") && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        String wake = log(id).lines().filter(l -> l.contains("woken by a request")).reduce((a, b) -> b).orElseThrow();
        System.out.printf("scale to zero, python3 -m http.server (ptrace): first response after idle in %.1f ms; %s%n",
                millis, wake);
        assertThat(log(id)).contains("scaled to zero; the next request starts it");
        shown = service(owner, tenant, "sleepy");
        assertThat((String) JsonPath.read(shown, "$.status")).isEqualTo("HEALTHY");
        assertThat((Integer) JsonPath.read(shown, "$.restarts")).isZero();
        // and it goes back to sleep; asleep, it is redeployed as a running one is: the new one replaces it once healthy
        awaitService(owner, tenant, "sleepy", statusIs("IDLE"));
        mvc.perform(as(owner, org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post(
                "/api/v1/tenants/" + tenant + "/services/sleepy/redeploy"))).andExpect(status().isCreated());
        end = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        while (!"CANCELLED".equals(jdbc.queryForObject("select state from workload where id = ?::uuid", String.class, id))) {
            assertThat(System.nanoTime()).as("the idle deployment was never replaced").isLessThan(end);
            Thread.sleep(100);
        }
        assertThat(request("sleepy", "/hello.txt").body()).isEqualTo("awake\n");
    }

    @Test
    void requestsBeyondTheWakeQueueAreToldToComeBack() throws Exception {
        // a service that takes two seconds to start listening: requests pile up while it wakes
        String id = JsonPath.read(deploy(owner, tenant, """
                {"name":"slow","port":8000,"minInstances":0,"idleTimeoutSeconds":1,"command":["/bin/sh","-c",
                 "sleep 2; exec python3 -m http.server 8000 --bind 127.0.0.1"]}"""), "$.workloadId");
        awaitService(owner, tenant, "slow", statusIs("HEALTHY"));
        awaitService(owner, tenant, "slow", statusIs("IDLE"));

        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            all.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                    .header("Host", host(tenant, "slow") + ":" + port).build(), HttpResponse.BodyHandlers.ofString()));
            Thread.sleep(50);
        }
        int ok = 0, refused = 0;
        for (CompletableFuture<HttpResponse<String>> f : all) {
            HttpResponse<String> r = f.get();
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
                assertThat(r.body()).contains("enough requests are waiting");
                refused++;
            }
        }
        // two wait (the queue's bound) and are answered; the rest are told to come back
        assertThat(ok).isEqualTo(2);
        assertThat(refused).isEqualTo(3);
        assertThat(log(id)).contains("woken by a request");
    }

    @Test
    void theIngressPortWakesAServiceWithoutHoldingItsEventLoop() throws Exception {
        deploy(owner, tenant, pythonHttpServer("awake", "here"));
        deploy(owner, tenant, """
                {"name":"slow","port":8000,"minInstances":0,"idleTimeoutSeconds":1,"command":["/bin/sh","-c",
                 "sleep 2; echo woke > w.txt; exec python3 -m http.server 8000 --bind 127.0.0.1"]}""");
        awaitService(owner, tenant, "awake", statusIs("HEALTHY"));
        awaitService(owner, tenant, "slow", statusIs("HEALTHY"));
        awaitService(owner, tenant, "slow", statusIs("IDLE"));

        List<CompletableFuture<HttpResponse<String>>> waking = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            waking.add(http.sendAsync(onIngress("slow", "/w.txt"), HttpResponse.BodyHandlers.ofString()));
            Thread.sleep(50);
        }
        // meanwhile the same (only) event loop answers another service at once
        long t0 = System.nanoTime();
        HttpResponse<String> other = http.send(onIngress("awake", "/hello.txt"), HttpResponse.BodyHandlers.ofString());
        double otherMillis = (System.nanoTime() - t0) / 1e6;
        assertThat(other.body()).isEqualTo("here\n");
        assertThat(waking.stream().filter(f -> f.isDone() && f.join().statusCode() == 200).count())
                .as("answered before the woken service could listen").isZero();
        assertThat(otherMillis).isLessThan(1500);

        int ok = 0, refused = 0;
        for (CompletableFuture<HttpResponse<String>> f : waking) {
            HttpResponse<String> r = f.get();
            if (r.statusCode() == 200) {
                assertThat(r.body()).isEqualTo("woke\n");
                ok++;
            } else {
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
                assertThat(r.body()).contains("enough requests are waiting");
                refused++;
            }
        }
        // two wait (the queue's bound) and are answered once it is healthy; the rest are told to come back
        assertThat(ok).isEqualTo(2);
        assertThat(refused).isEqualTo(2);
    }

    private HttpRequest onIngress(String service, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ingress.port() + path))
                .header("Host", host(tenant, service) + ":" + ingress.port())
                .timeout(java.time.Duration.ofSeconds(40)).build();
    }
}
