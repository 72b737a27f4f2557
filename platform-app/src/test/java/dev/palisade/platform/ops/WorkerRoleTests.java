package dev.palisade.platform.ops;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.palisade.platform.TestDatabase;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.MockMvc;

/** A worker node answers health and metrics and nothing else: no API, no console, no login form. */
// the dispatcher off: this context must not claim workloads that other test classes submit; roles split need the node secret
@SpringBootTest(properties = {"palisade.node.role=worker", "palisade.dispatcher.enabled=false",
        "palisade.node.internal-secret=worker-role-tests-node-secret"})
@AutoConfigureMockMvc
@ActiveProfiles("test")
class WorkerRoleTests {

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", TestDatabase::url);
    }

    @Autowired
    MockMvc mvc;

    @Test
    void aWorkerServesOnlyHealthAndMetrics() throws Exception {
        mvc.perform(get("/actuator/health/readiness")).andExpect(status().isOk());
        mvc.perform(get("/actuator/health/liveness")).andExpect(status().isOk());
        mvc.perform(get("/api/v1/tenants")).andExpect(status().isNotFound());
        mvc.perform(post("/api/v1/tokens").with(org.springframework.security.test.web.servlet.request
                .SecurityMockMvcRequestPostProcessors.httpBasic("admin", "test-admin-password")))
                .andExpect(status().isNotFound());
        mvc.perform(get("/login")).andExpect(status().isNotFound());
        mvc.perform(get("/admin")).andExpect(status().isNotFound());
        mvc.perform(get("/v3/api-docs")).andExpect(status().isNotFound());
    }
}
