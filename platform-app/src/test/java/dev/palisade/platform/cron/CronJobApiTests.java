package dev.palisade.platform.cron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.patch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.palisade.platform.api.ApiTestSupport;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Cron jobs through the REST API on one instance: what is refused, a job that fires every
 * second and starts real workloads, suspension and resumption, deletion, another tenant's view.
 * (Exactly-once across two instances and the concurrency policies: CronJobsIT.)
 */
@DirtiesContext
class CronJobApiTests extends ApiTestSupport {

    @DynamicPropertySource
    static void settings(DynamicPropertyRegistry registry) throws Exception {
        registry.add("palisade.cron-jobs.enabled", () -> "true");   // this class's scheduler, closed with it
        Path dir = Files.createTempDirectory("palisade-cron-tests");
        registry.add("palisade.data-dir", dir::toString);
        registry.add("palisade.cron-jobs.polling-interval", () -> "200ms");
    }

    private final JsonMapper json = new JsonMapper();
    private String admin;
    private String tenant;
    private String member;

    @BeforeEach
    void tenantWithAMember() throws Exception {
        assumeTrue(new PtracePlatform().unavailableReason().isEmpty(), "the ptrace platform needs root on Linux x86-64");
        admin = adminToken();
        tenant = createTenant(admin);
        member = userToken(admin, tenant, unique("dev"), "TENANT_MEMBER");
    }

    @Test
    void aJobFiresStartsWorkloadsAndIsSuspendedResumedAndDeleted() throws Exception {
        String jobs = "/api/v1/tenants/" + tenant + "/cron-jobs";
        mvc.perform(as(member, post(jobs), "{\"name\":\"x\",\"cron\":\"* * *\",\"workload\":{\"command\":[\"/bin/true\"]}}"))
                .andExpect(status().isBadRequest()).andExpect(jsonPath("$.errors[0].field").value("cron"));
        mvc.perform(as(member, post(jobs), "{\"name\":\"x\",\"cron\":\"* * * * *\",\"workload\":{\"command\":[]}}"))
                .andExpect(status().isBadRequest()).andExpect(jsonPath("$.errors[0].field").value("command"));
        mvc.perform(as(member, post(jobs), "{\"name\":\"x\",\"cron\":\"* * * * *\",\"workload\":{\"command\":[\"/bin/true\"]},"
                + "\"startingDeadlineSeconds\":0}")).andExpect(status().isBadRequest());

        JsonNode created = read(mvc.perform(as(member, post(jobs), """
                {"name":"every-second","cron":"* * * * * *","timeZone":"Asia/Tokyo","concurrencyPolicy":"FORBID",
                 "workload":{"name":"tick","command":["/bin/true"]}}""")).andExpect(status().isCreated())
                .andReturn().getResponse().getContentAsString());
        assertThat(created.get("nextFiringAt").isNull()).isFalse();
        assertThat(created.get("timeZone").asString()).isEqualTo("Asia/Tokyo");
        mvc.perform(as(member, post(jobs), "{\"name\":\"every-second\",\"cron\":\"* * * * *\",\"workload\":{\"command\":[\"/bin/true\"]}}"))
                .andExpect(status().isConflict());

        JsonNode runs = awaitRuns(jobs + "/every-second/runs", 2);
        assertThat(runs.findValuesAsString("outcome")).contains("STARTED");
        String workload = null;
        for (JsonNode run : runs) {
            if (run.get("outcome").asString().equals("STARTED")) { // a FORBID skip has no workload
                workload = run.get("workloadId").asString();
            }
        }
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + workload)))
                .andExpect(status().isOk()).andExpect(jsonPath("$.name").value("tick"));

        JsonNode suspended = read(mvc.perform(as(member, patch(jobs + "/every-second"), "{\"suspended\":true}"))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString());
        assertThat(suspended.get("suspended").asBoolean()).isTrue();
        assertThat(suspended.get("nextFiringAt").isNull()).isTrue();
        int before = runs(jobs + "/every-second/runs").size();
        Thread.sleep(2500);
        assertThat(runs(jobs + "/every-second/runs").size()).as("no firing while suspended").isEqualTo(before);

        JsonNode resumed = read(mvc.perform(as(member, patch(jobs + "/every-second"), "{\"suspended\":false,\"cron\":\"0 0 3 * * *\"}"))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString());
        assertThat(resumed.get("nextFiringAt").isNull()).isFalse();
        assertThat(resumed.get("cron").asString()).isEqualTo("0 0 3 * * *");

        // another tenant's user sees nothing of it
        String other = createTenant(admin);
        String stranger = userToken(admin, other, unique("eve"), "TENANT_ADMIN");
        mvc.perform(as(stranger, get(jobs + "/every-second"))).andExpect(status().isNotFound());

        mvc.perform(as(member, delete(jobs + "/every-second"))).andExpect(status().isNoContent());
        mvc.perform(as(member, get(jobs + "/every-second"))).andExpect(status().isNotFound());
        // its next firing went with it: no instance of the task is left without its job
        assertThat(jdbc.queryForObject("select count(*) from scheduled_tasks where task_name = 'cron-job' "
                + "and task_instance not in (select id::text from cron_job)", Integer.class)).isZero();
    }

    private JsonNode awaitRuns(String path, int atLeast) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode runs = runs(path);
        while (runs.size() < atLeast && System.nanoTime() < deadline) {
            Thread.sleep(250);
            runs = runs(path);
        }
        assertThat(runs.size()).as("%s", runs).isGreaterThanOrEqualTo(atLeast);
        return runs;
    }

    private JsonNode runs(String path) throws Exception {
        return read(mvc.perform(as(member, get(path))).andExpect(status().isOk()).andReturn().getResponse().getContentAsString());
    }

    private JsonNode read(String body) {
        return json.readTree(body);
    }
}
