package dev.palisade.platform.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Users and tokens are named in the API by random ids, which say nothing of how many there are. */
class PublicIdsTests extends ApiTestSupport {

    @Test
    void tokensAndUsersHaveRandomIdsAndTheInternalOnesAreNotAccepted() throws Exception {
        String admin = adminToken();
        String tenant = createTenant(admin);
        String name = unique("ids");
        String member = userToken(admin, tenant, name, "TENANT_MEMBER");
        String first = JsonPath.read(mint(member), "$.id");
        String second = JsonPath.read(mint(member), "$.id");
        UUID.fromString(first);
        UUID.fromString(second);
        Long internal = jdbc.queryForObject("select id from api_token where public_id = ?::uuid", Long.class, second);

        mvc.perform(as(member, get("/api/v1/tokens/" + second))).andExpect(status().isOk())
                .andExpect(jsonPath("$.id").value(second));
        mvc.perform(as(member, get("/api/v1/tokens/" + internal))).andExpect(status().isBadRequest());
        mvc.perform(as(member, delete("/api/v1/tokens/" + internal))).andExpect(status().isBadRequest());
        mvc.perform(as(member, delete("/api/v1/tokens/" + first))).andExpect(status().isNoContent());
        String listed = mvc.perform(as(member, get("/api/v1/tokens"))).andReturn().getResponse().getContentAsString();
        List<String> ids = JsonPath.read(listed, "$.content[*].id");
        assertThat(ids).contains(first, second).allSatisfy(UUID::fromString);
        // the portal revokes by the same id
        mvc.perform(post("/portal/tokens/" + second + "/revoke").with(user(name + "@" + tenant).roles("TENANT_MEMBER")).with(csrf()))
                .andExpect(status().is3xxRedirection());
        assertThat(jdbc.queryForObject("select revoked_at is not null from api_token where id = ?", Boolean.class, internal))
                .isTrue();

        String created = mvc.perform(as(admin, post("/api/v1/tenants/" + tenant + "/users"),
                        "{\"username\":\"" + unique("u") + "\",\"password\":\"" + PASSWORD + "\",\"role\":\"TENANT_MEMBER\"}"))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        UUID.fromString(JsonPath.read(created, "$.id"));
        String users = mvc.perform(as(admin, get("/api/v1/tenants/" + tenant + "/users")))
                .andReturn().getResponse().getContentAsString();
        assertThat((List<String>) JsonPath.read(users, "$.content[*].id")).hasSize(2).allSatisfy(UUID::fromString);
    }

    private String mint(String token) throws Exception {
        return mvc.perform(as(token, post("/api/v1/tokens"), "{\"name\":\"n\"}")).andExpect(status().isCreated())
                .andReturn().getResponse().getContentAsString();
    }
}
