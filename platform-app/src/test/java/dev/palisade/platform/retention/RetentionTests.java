package dev.palisade.platform.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.platform.api.ApiTestSupport;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * Retention: a tenant's finished workloads older than its days are purged with their logs and
 * artifacts; the newest deployment of a service stays; a month's usage is not given back.
 */
@SpringBootTest
class RetentionTests extends ApiTestSupport {

    @Autowired
    java.util.List<com.github.kagkarlsson.scheduler.task.helper.RecurringTask<?>> recurringTasks;

    @Autowired
    RetentionPurge purge;

    String admin;
    String tenant;
    String owner;

    @BeforeEach
    void tenant() throws Exception {
        assumeTrue(new PtracePlatform().unavailableReason().isEmpty(), "the ptrace platform needs root on Linux x86-64");
        admin = adminToken();
        tenant = createTenant(admin);
        owner = userToken(admin, tenant, unique("owner"), "TENANT_ADMIN");
    }

    private String finished(String json, String path) throws Exception {
        String id = JsonPath.read(mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + path), json))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString(), "$.workloadId" );
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (jdbc.queryForObject("select finished_at is null from workload where id = ?::uuid", Boolean.class, id)) {
            assertThat(System.nanoTime()).as("workload " + id + " never finished").isLessThan(end);
            Thread.sleep(50);
        }
        return id;
    }

    private void age(String id, int days) {
        jdbc.update("update workload set finished_at = now() - make_interval(days => ?) where id = ?::uuid", days, id);
    }

    private boolean exists(String id) {
        return jdbc.queryForObject("select count(*) from workload where id = ?::uuid", Integer.class, id) == 1;
    }

    private long monthCpu() {
        return jdbc.queryForObject("""
                select coalesce(sum(m.cpu_millis), 0) from tenant_usage_month m join tenant t on t.id = m.tenant_id
                where t.slug = ?""", Long.class, tenant);
    }

    @Test
    void oldFinishedWorkloadsArePurgedWithTheirLogsButNotTheNewestDeploymentNorTheMonthsUsage() throws Exception {
        mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/retention")))
                .andExpect(status().isOk()).andExpect(jsonPath("$.days").value(30)).andExpect(jsonPath("$.chosen").value(false));
        mvc.perform(as(owner, put("/api/v1/tenants/" + tenant + "/retention"), "{\"days\":0}"))
                .andExpect(status().isBadRequest()).andExpect(jsonPath("$.errors[0].field").value("days"));
        mvc.perform(as(owner, put("/api/v1/tenants/" + tenant + "/retention"), "{\"days\":7}"))
                .andExpect(status().isOk()).andExpect(jsonPath("$.days").value(7)).andExpect(jsonPath("$.chosen").value(true));
        assertThat(jdbc.queryForObject("select count(*) from audit_event where action = 'retention.update' and tenant_slug = ?",
                Integer.class, tenant)).isEqualTo(1);

        String job = "{\"name\":\"old\",\"command\":[\"/bin/sh\",\"-c\",\"echo kept-until-purged\"]}";
        String old = (String) JsonPath.read(mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/workloads"), job))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString(), "$.id");
        String recent = (String) JsonPath.read(mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/workloads"), job))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString(), "$.id");
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (jdbc.queryForObject("select count(*) from workload where id in (?::uuid, ?::uuid) and finished_at is not null",
                Integer.class, old, recent) < 2) {
            assertThat(System.nanoTime()).isLessThan(end);
            Thread.sleep(50);
        }
        assertThat(jdbc.queryForObject("select count(*) from workload_log where workload_id = ?::uuid", Integer.class, old))
                .isPositive();
        String service = "{\"name\":\"gone\",\"port\":8000,\"restartPolicy\":\"NEVER\",\"command\":[\"/bin/true\"]}";
        String firstDeployment = finished(service, "/services");
        String newestDeployment = finished(service, "/services");
        age(old, 8);
        age(recent, 6);
        age(firstDeployment, 9);
        age(newestDeployment, 8);
        long cpuBefore = monthCpu();

        assertThat(purge.purge()).isGreaterThanOrEqualTo(2);

        assertThat(exists(old)).isFalse();
        assertThat(jdbc.queryForObject("select count(*) from workload_log where workload_id = ?::uuid", Integer.class, old))
                .isZero();
        assertThat(exists(recent)).isTrue();
        assertThat(exists(firstDeployment)).isFalse();
        assertThat(exists(newestDeployment)).as("the newest deployment of a service is kept").isTrue();
        assertThat(monthCpu()).as("the month's usage stays").isEqualTo(cpuBefore);
        mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/workloads/" + old))).andExpect(status().isNotFound());
        // the purge is a db-scheduler recurring task (tests run with the scheduler off, so its row is
        // not looked for: whether one exists depends on which test class started a scheduler before)
        assertThat(recurringTasks.stream().map(t -> t.getName())).contains(RetentionPurge.TASK);
    }
}
