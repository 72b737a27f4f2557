package dev.palisade.platform.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.palisade.platform.api.ApiTestSupport;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/** Health probes, the Prometheus endpoint and who may read it, and the login-failure metric. */
class OperationsEndpointsTests extends ApiTestSupport {

    @Test
    void livenessAndReadinessAreOpenAndSayOnlyUpOrDown() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                new dev.palisade.sandbox.platform.ptrace.PtracePlatform().unavailableReason().isEmpty()
                        || new dev.palisade.sandbox.platform.kvm.KvmPlatform().unavailableReason().isEmpty(),
                "readiness of a node that runs workloads needs a usable sandbox platform");
        mvc.perform(get("/actuator/health/liveness")).andExpect(status().isOk())
                .andExpect(jsonPath("$.status").value("UP")).andExpect(jsonPath("$.components").doesNotExist());
        mvc.perform(get("/actuator/health/readiness")).andExpect(status().isOk())
                .andExpect(jsonPath("$.status").value("UP")).andExpect(jsonPath("$.components").doesNotExist());
    }

    @Test
    void prometheusOnThePublicPortNeedsAPlatformAdminToken() throws Exception {
        mvc.perform(get("/actuator/prometheus")).andExpect(status().isUnauthorized());
        String tenant = createTenant(adminToken());
        String member = userToken(adminToken(), tenant, unique("m"), "TENANT_MEMBER");
        mvc.perform(as(member, get("/actuator/prometheus"))).andExpect(status().isForbidden());
        mvc.perform(as(adminToken(), get("/actuator/prometheus"))).andExpect(status().isOk())
                .andExpect(content().string(org.hamcrest.Matchers.containsString("jvm_memory_used_bytes")));
        String scrape = scrape(adminToken());
        assertThat(scrape).contains("palisade_queue_depth", "palisade_nodes_alive", "palisade_leases_expired",
                "palisade_worker_leases_held", "palisade_worker_leases_lost_total", "palisade_login_failures_total");
    }

    @Test
    void otherActuatorEndpointsAreRefused() throws Exception {
        mvc.perform(as(adminToken(), get("/actuator/env"))).andExpect(status().is4xxClientError());
        mvc.perform(as(adminToken(), get("/actuator/beans"))).andExpect(status().is4xxClientError());
    }

    @Test
    void failedPasswordLoginsAreCountedByReasonWithoutUserNames() throws Exception {
        String admin = adminToken();
        double before = failures(admin, "bad_credentials");
        String username = unique("nobody");
        mvc.perform(post("/api/v1/tokens").with(basic(username, "wrong-password"))
                .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"x\"}")).andExpect(status().isUnauthorized());
        mvc.perform(post("/login").with(org.springframework.security.test.web.servlet.request
                .SecurityMockMvcRequestPostProcessors.csrf()).param("username", username).param("password", "nope"))
                .andExpect(status().is3xxRedirection());
        assertThat(failures(admin, "bad_credentials")).isEqualTo(before + 2);
        assertThat(scrape(admin)).doesNotContain(username);
    }

    private String scrape(String token) throws Exception {
        return mvc.perform(as(token, get("/actuator/prometheus"))).andExpect(status().isOk())
                .andReturn().getResponse().getContentAsString();
    }

    private double failures(String token, String reason) throws Exception {
        return scrape(token).lines().filter(l -> l.startsWith("palisade_login_failures_total{")
                        && l.contains("reason=\"" + reason + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(-1);
    }
}
