package dev.palisade.platform.api;

import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.patch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What each role may do inside its own tenant, and fields smuggled into bodies. */
class RoleBoundaryTests extends ApiTestSupport {

    String admin;
    String tenant;
    String tenantAdmin;
    String member;
    String memberName;

    @BeforeEach
    void tenantWithAdminAndMember() throws Exception {
        admin = adminToken();
        tenant = createTenant(admin);
        tenantAdmin = userToken(admin, tenant, unique("boss"), "TENANT_ADMIN");
        memberName = unique("member");
        member = userToken(tenantAdmin, tenant, memberName, "TENANT_MEMBER");
    }

    @Test
    void aMemberReadsTheQuotaButCannotChangeIt() throws Exception {
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/quota")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.tenant").value(tenant));
        call(member, "PUT", "/api/v1/tenants/" + tenant + "/quota").andExpect(status().isForbidden());
        call(tenantAdmin, "PUT", "/api/v1/tenants/" + tenant + "/quota").andExpect(status().isForbidden());
        call(admin, "PUT", "/api/v1/tenants/" + tenant + "/quota")
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.maxConcurrentWorkloads").value(9));
    }

    @Test
    void aMemberCannotManageUsersNorItsTenant() throws Exception {
        call(member, "POST", "/api/v1/tenants/" + tenant + "/users").andExpect(status().isForbidden());
        call(member, "GET", "/api/v1/tenants/" + tenant + "/users").andExpect(status().isForbidden());
        call(member, "PATCH", "/api/v1/tenants/" + tenant).andExpect(status().isForbidden());
        call(tenantAdmin, "DELETE", "/api/v1/tenants/" + tenant).andExpect(status().isForbidden());
    }

    @Test
    void aTokenIsAlwaysMintedForTheCallerWhateverTheBodySays() throws Exception {
        mvc.perform(as(member, post("/api/v1/tokens"),
                        "{\"name\":\"sneaky\",\"username\":\"admin\",\"userId\":1,\"role\":\"PLATFORM_ADMIN\",\"tenantId\":null}"))
                .andExpect(status().isCreated())
                .andExpect(jsonPath("$.owner").value(memberName));
        String sneaky = mintTokenAs(member, "{\"name\":\"sneaky2\",\"owner\":\"admin\",\"role\":\"PLATFORM_ADMIN\"}");

        mvc.perform(as(sneaky, get("/api/v1/tenants"))).andExpect(status().isForbidden());
        mvc.perform(as(admin, get("/api/v1/tokens")))
                .andExpect(jsonPath("$.content[*].name", not(hasItem("sneaky"))));
    }

    @Test
    void smuggledTenantAndRoleFieldsAreIgnored() throws Exception {
        String other = createTenant(admin);
        String name = unique("smuggled");
        mvc.perform(as(tenantAdmin, post("/api/v1/tenants/" + tenant + "/users"),
                        "{\"username\":\"" + name + "\",\"password\":\"" + PASSWORD + "\",\"role\":\"TENANT_MEMBER\","
                                + "\"tenantId\":1,\"tenant\":\"" + other + "\",\"tenantSlug\":\"" + other + "\"}"))
                .andExpect(status().isCreated())
                .andExpect(jsonPath("$.tenant").value(tenant))
                .andExpect(jsonPath("$.role").value("TENANT_MEMBER"));

        mvc.perform(as(admin, patch("/api/v1/tenants/" + tenant),
                        "{\"displayName\":\"Renamed\",\"slug\":\"" + other + "\",\"id\":1}"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.slug").value(tenant));
    }

    @Test
    void aTenantAdminCannotCreateAPlatformAdmin() throws Exception {
        String name = unique("root");
        mvc.perform(as(tenantAdmin, post("/api/v1/tenants/" + tenant + "/users"),
                        "{\"username\":\"" + name + "\",\"password\":\"" + PASSWORD + "\",\"role\":\"PLATFORM_ADMIN\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("role"));
        mvc.perform(post("/api/v1/tokens").with(basic(name, PASSWORD))
                        .contentType("application/json").content("{\"name\":\"x\"}"))
                .andExpect(status().isUnauthorized());
    }

    private String mintTokenAs(String token, String json) throws Exception {
        String body = mvc.perform(as(token, post("/api/v1/tokens"), json))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        return JsonPath.read(body, "$.token");
    }
}
