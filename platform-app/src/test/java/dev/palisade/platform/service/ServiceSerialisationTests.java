package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * One service, one deployment on its way at a time: twenty deploys or starts of one service sent
 * at once over real HTTP leave exactly one deployment queued or running; the others answer 409
 * with a problem that says why.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServiceSerialisationTests extends ServiceTestSupport {

    static final int AT_ONCE = 20;
    static final String SLEEPER = "{\"name\":\"%s\",\"port\":8000,\"command\":[\"/bin/sleep\",\"600\"]}";

    String tenant;
    String member;

    @BeforeEach
    void tenantWithAMember() throws Exception {
        assumeTrue(new PtracePlatform().unavailableReason().isEmpty(), "the ptrace platform needs root on Linux x86-64");
        String admin = adminToken();
        tenant = createTenant(admin);
        member = userToken(admin, tenant, unique("dev"), "TENANT_MEMBER");
    }

    @Test
    void twentyDeploysOfOneNewServiceAtOnceMakeOneDeployment() throws Exception {
        List<HttpResponse<String>> answers = atOnce("/services", SLEEPER.formatted("busy"));

        assertOneCreatedTheRestConflict(answers);
        assertThat(active("busy")).as("deployments queued or running").isEqualTo(1);

        // claimed and starting (it never answers, so it never turns healthy): still no second one
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!"RUNNING".equals(JsonPath.read(service(member, tenant, "busy"), "$.state")) && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        List<HttpResponse<String>> again = atOnce("/services", SLEEPER.formatted("busy"));
        assertThat(again).allSatisfy(r -> assertThat(r.statusCode()).as(r.body()).isEqualTo(409));
        assertThat(active("busy")).isEqualTo(1);
    }

    @Test
    void twentyStartsOfOneStoppedServiceAtOnceStartItOnce() throws Exception {
        deploy(member, tenant, SLEEPER.formatted("again"));
        mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/services/again/stop"))).andExpect(status().isOk());
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (active("again") > 0 && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        assertThat(active("again")).as("stopped").isZero();

        List<HttpResponse<String>> answers = atOnce("/services/again/start", "");

        assertOneCreatedTheRestConflict(answers);
        assertThat(active("again")).as("deployments queued or running").isEqualTo(1);
        Thread.sleep(1000); // it is claimed and runs: still the only one
        assertThat(active("again")).isEqualTo(1);
    }

    private static void assertOneCreatedTheRestConflict(List<HttpResponse<String>> answers) {
        assertThat(answers.stream().filter(r -> r.statusCode() == 201).count()).as("created").isEqualTo(1);
        List<HttpResponse<String>> refused = answers.stream().filter(r -> r.statusCode() != 201).toList();
        assertThat(refused).hasSize(AT_ONCE - 1).allSatisfy(r -> {
            assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                    t -> assertThat(t).startsWith("application/problem+json"));
            assertThat(r.body()).contains("already");
        });
    }

    private long active(String name) {
        return jdbc.queryForObject("""
                select count(*) from service_deployment d join workload w on w.id = d.workload_id join tenant t on t.id = d.tenant_id
                where t.slug = ? and d.service_name = ? and w.state in ('QUEUED', 'RUNNING')""", Long.class, tenant, name);
    }

    private List<HttpResponse<String>> atOnce(String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/tenants/" + tenant + path))
                .header("Authorization", "Bearer " + member).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(AT_ONCE);
        try {
            List<Future<HttpResponse<String>>> sent = new ArrayList<>();
            for (int i = 0; i < AT_ONCE; i++) {
                sent.add(pool.submit(() -> {
                    go.await();
                    return http.send(request, HttpResponse.BodyHandlers.ofString());
                }));
            }
            go.countDown();
            List<HttpResponse<String>> answers = new ArrayList<>();
            for (Future<HttpResponse<String>> f : sent) {
                answers.add(f.get());
            }
            return answers;
        } finally {
            pool.shutdownNow();
        }
    }
}
