package dev.palisade.platform.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.patch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/**
 * A token limited to deploying, minted by a tenant admin for CI: it deploys and reads services
 * and images, and cannot manage members, quotas, tokens, secrets or another tenant.
 */
class DeployTokenTests extends ApiTestSupport {

    String admin;
    String tenant;
    String ownerName;
    String owner;
    String deploy;

    @BeforeEach
    void aTenantAdminMintsADeployToken() throws Exception {
        admin = adminToken();
        tenant = createTenant(admin);
        ownerName = unique("owner");
        owner = userToken(admin, tenant, ownerName, "TENANT_ADMIN");
        String minted = mvc.perform(as(owner, post("/api/v1/tokens"), "{\"name\":\"ci\",\"scope\":\"deploy\"}"))
                .andExpect(status().isCreated()).andExpect(jsonPath("$.scope").value("DEPLOY"))
                .andReturn().getResponse().getContentAsString();
        deploy = JsonPath.read(minted, "$.token");
    }

    @Test
    void itDeploysAndReadsServicesAndImages() throws Exception {
        String service = "{\"name\":\"ci-web\",\"port\":8000,\"command\":[\"/bin/sleep\",\"60\"]}";
        String created = mvc.perform(as(deploy, post("/api/v1/tenants/" + tenant + "/services"), service))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        assertThat((String) JsonPath.read(created, "$.deployedBy")).isEqualTo(ownerName);
        mvc.perform(as(deploy, get("/api/v1/tenants/" + tenant + "/services"))).andExpect(status().isOk());
        mvc.perform(as(deploy, get("/api/v1/tenants/" + tenant + "/services/ci-web/deployments"))).andExpect(status().isOk());
        mvc.perform(as(deploy, get("/api/v1/tenants/" + tenant + "/workloads/" + JsonPath.read(created, "$.workloadId"))))
                .andExpect(status().isOk());
        mvc.perform(as(deploy, post("/api/v1/tenants/" + tenant + "/services/ci-web/stop"))).andExpect(status().isOk());
        mvc.perform(as(deploy, get("/api/v1/images"))).andExpect(status().isOk());
        mvc.perform(as(deploy, get("/api/v1/tenants/" + tenant + "/images"))).andExpect(status().isOk());
        // its scope shows to its owner
        String tokens = mvc.perform(as(owner, get("/api/v1/tokens"))).andReturn().getResponse().getContentAsString();
        assertThat(tokens).contains("\"name\":\"ci\"").contains("\"scope\":\"DEPLOY\"").contains("\"scope\":\"FULL\"");
    }

    @Test
    void itCannotManageMembersQuotasTokensSecretsOrAnotherTenant() throws Exception {
        String body = "{\"username\":\"" + unique("u") + "\",\"password\":\"" + PASSWORD + "\",\"role\":\"TENANT_ADMIN\"}";
        mvc.perform(as(deploy, post("/api/v1/tenants/" + tenant + "/users"), body)).andExpect(status().isForbidden());
        mvc.perform(as(deploy, get("/api/v1/tenants/" + tenant + "/users"))).andExpect(status().isForbidden());
        mvc.perform(as(deploy, get("/api/v1/tenants/" + tenant + "/quota"))).andExpect(status().isForbidden());
        mvc.perform(as(deploy, put("/api/v1/tenants/" + tenant + "/quota"), QUOTA_JSON)).andExpect(status().isForbidden());
        mvc.perform(as(deploy, patch("/api/v1/tenants/" + tenant), "{\"displayName\":\"x\"}")).andExpect(status().isForbidden());
        mvc.perform(as(deploy, put("/api/v1/tenants/" + tenant + "/secrets/x"), "{\"value\":\"v\"}"))
                .andExpect(status().isForbidden());
        mvc.perform(as(deploy, get("/api/v1/tenants/" + tenant + "/secrets"))).andExpect(status().isForbidden());
        mvc.perform(as(deploy, post("/api/v1/tenants/" + tenant + "/workloads"), "{\"command\":[\"/bin/true\"]}"))
                .andExpect(status().isForbidden());
        // no new token, full or not, and no revoking
        mvc.perform(as(deploy, post("/api/v1/tokens"), "{\"name\":\"escalate\"}")).andExpect(status().isForbidden());
        mvc.perform(as(deploy, get("/api/v1/tokens"))).andExpect(status().isForbidden());
        mvc.perform(as(deploy, delete("/api/v1/tokens/1"))).andExpect(status().isForbidden());
        // another tenant's services and images do not exist for it
        String other = createTenant(admin);
        mvc.perform(as(deploy, get("/api/v1/tenants/" + other + "/services"))).andExpect(status().isNotFound());
        mvc.perform(as(deploy, post("/api/v1/tenants/" + other + "/services"),
                "{\"name\":\"x\",\"port\":8000,\"command\":[\"/bin/true\"]}")).andExpect(status().isNotFound());
        mvc.perform(as(deploy, get("/api/v1/tenants/" + other + "/images"))).andExpect(status().isNotFound());
        // a problem, not an empty page
        mvc.perform(as(deploy, get("/api/v1/tenants/" + tenant + "/usage")))
                .andExpect(status().isForbidden())
                .andExpect(org.springframework.test.web.servlet.result.MockMvcResultMatchers.content()
                        .contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON));
        // a bad scope is refused
        mvc.perform(as(owner, post("/api/v1/tokens"), "{\"name\":\"x\",\"scope\":\"root\"}")).andExpect(status().isBadRequest());
    }
}
