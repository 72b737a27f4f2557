package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * A service is limited by a rate, not by a lifetime total: the per-run CPU-time ceiling that
 * ends a job does not end a service, which runs at its cores (a cgroup CPU quota on ptrace) and
 * is charged its CPU as it goes.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServiceRateTests extends ServiceTestSupport {


    @BeforeEach
    void tenant() throws Exception {
        newTenantWithAdmin();
    }

    private long charged(String id) {
        Long c = jdbc.queryForObject("select cpu_millis from workload where id = ?::uuid", Long.class, id);
        return c == null ? 0 : c;
    }

    @Test
    void aServiceThatBurnsCpuLongerThanTheJobCeilingKeepsRunningAtItsRateAndIsCharged() throws Exception {
        // a job of this tenant may use 2 CPU seconds per run
        String quota = mvc.perform(as(admin, get("/api/v1/tenants/" + tenant + "/quota")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        var limits = (tools.jackson.databind.node.ObjectNode) tools.jackson.databind.json.JsonMapper.builder().build()
                .readTree(quota);
        limits.put("maxCpuMillis", 2000);
        mvc.perform(as(admin, put("/api/v1/tenants/" + tenant + "/quota"), limits.toString())).andExpect(status().isOk());

        String id = JsonPath.read(deploy(owner, tenant, """
                {"name":"busy","port":8000,"cpuCores":0.5,"command":["python3","-c",%s,"8000"]}"""
                .formatted(json(ServiceIngressTests.BUSY))), "$.workloadId");
        String shown = awaitService(owner, tenant, "busy", statusIs("HEALTHY"));
        assertThat(((Number) JsonPath.read(shown, "$.cpuCores")).doubleValue()).isEqualTo(0.5);

        // past twice the job ceiling it still runs, never restarted, charged as it goes
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        long firstCharge = -1, firstAt = 0;
        while (charged(id) < 4500) {
            assertThat(System.nanoTime()).as("charged " + charged(id) + " ms so far").isLessThan(end);
            if (firstCharge < 0 && charged(id) > 0) {
                firstCharge = charged(id);
                firstAt = System.nanoTime();
            }
            Thread.sleep(100);
        }
        long lastCharge = charged(id);
        double wallSeconds = (System.nanoTime() - firstAt) / 1e9;
        double cores = (lastCharge - firstCharge) / 1000.0 / wallSeconds;
        System.out.printf("busy service at cpuCores 0.5: charged %d ms of CPU over %.1f s: %.2f cores%n",
                lastCharge - firstCharge, wallSeconds, cores);
        shown = service(owner, tenant, "busy");
        assertThat((String) JsonPath.read(shown, "$.state")).isEqualTo("RUNNING");
        assertThat((String) JsonPath.read(shown, "$.status")).isEqualTo("HEALTHY");
        assertThat((Integer) JsonPath.read(shown, "$.restarts")).isZero();
        assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/"))
                .header("Host", host(tenant, "busy") + ":" + port).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        // the rate holds: a spinning thread would take a whole core without the quota (charges come every 2 s)
        assertThat(cores).isLessThan(0.7);
        String usage = mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/usage")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        assertThat(((Number) JsonPath.read(usage, "$.cpuSeconds")).doubleValue()).isGreaterThanOrEqualTo(4.0);
    }

    @Test
    void aServiceIsRefusedTheJobsCpuTimeCeilingAndAnUnboundedRate() throws Exception {
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/services"), """
                {"name":"x","port":8000,"command":["true"],"limits":{"cpuMillis":1000}}"""))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("limits.cpuMillis"));
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/services"), """
                {"name":"x","port":8000,"command":["true"],"cpuCores":64}"""))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("cpuCores"));
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/services"), """
                {"name":"x","port":8000,"command":["true"],"idleTimeoutSeconds":30}"""))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("idleTimeoutSeconds"));
    }
}
