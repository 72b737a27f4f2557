package dev.palisade.platform.account;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.httpBasic;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.platform.api.ApiTestSupport;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/**
 * Passwords through the API: the policy, your own change (the old password stops working), an
 * admin's reset to a one-time password that allows nothing but choosing a new one, audited.
 */
class PasswordApiTests extends ApiTestSupport {

    private String admin;
    private String tenant;
    private String tenantAdmin;
    private String member;
    private String memberName;

    @BeforeEach
    void tenantWithAnAdminAndAMember() throws Exception {
        admin = adminToken();
        tenant = createTenant(admin);
        tenantAdmin = userToken(admin, tenant, unique("ada"), "TENANT_ADMIN");
        memberName = unique("bob");
        member = userToken(admin, tenant, memberName, "TENANT_MEMBER");
    }

    private String change(String current, String next) {
        return "{\"currentPassword\":\"" + current + "\",\"newPassword\":\"" + next + "\"}";
    }

    @Test
    void aUserChangesTheirPasswordWithinThePolicyAndTheOldOneStopsWorking() throws Exception {
        String path = "/api/v1/account/password";
        mvc.perform(as(member, post(path), change("wrong-password-123", "a-fine-new-password-1")))
                .andExpect(status().isBadRequest()).andExpect(jsonPath("$.errors[0].field").value("currentPassword"));
        mvc.perform(as(member, post(path), change(PASSWORD, "short")))
                .andExpect(status().isBadRequest()).andExpect(jsonPath("$.errors[0].field").value("newPassword"));
        mvc.perform(as(member, post(path), change(PASSWORD, "Password123456")))
                .andExpect(status().isBadRequest()).andExpect(jsonPath("$.errors[0].message").value(
                        "is one of the most common passwords; choose another"));
        mvc.perform(as(member, post(path), change(PASSWORD, "my-" + memberName + "-password")))
                .andExpect(status().isBadRequest()).andExpect(jsonPath("$.errors[0].message").value(
                        "must not contain the user name"));

        mvc.perform(as(member, post(path), change(PASSWORD, "a-fine-new-password-1"))).andExpect(status().isNoContent());
        mint(memberName + "@" + tenant, PASSWORD).andExpect(status().isUnauthorized());
        mint(memberName + "@" + tenant, "a-fine-new-password-1").andExpect(status().isCreated());
        mvc.perform(as(member, get("/api/v1/tokens"))).andExpect(status().isOk());
        assertThat(audit()).contains("password.change");
    }

    @Test
    void anAdminResetsAPasswordToAOneTimePasswordThatMustBeChangedFirst() throws Exception {
        UUID id = jdbc.queryForObject("select public_id from app_user where username = ?", UUID.class, memberName);
        String reset = "/api/v1/tenants/" + tenant + "/users/" + id + "/password-reset";
        mvc.perform(as(member, post(reset))).andExpect(status().isForbidden());
        String other = createTenant(admin);
        String stranger = userToken(admin, other, unique("eve"), "TENANT_ADMIN");
        mvc.perform(as(stranger, post("/api/v1/tenants/" + other + "/users/" + id + "/password-reset")))
                .andExpect(status().isNotFound());

        String body = mvc.perform(as(tenantAdmin, post(reset))).andExpect(status().isOk())
                .andReturn().getResponse().getContentAsString();
        String once = JsonPath.read(body, "$.oneTimePassword");
        assertThat(once).hasSize(20);

        mvc.perform(as(member, get("/api/v1/tokens"))).andExpect(status().isUnauthorized()); // tokens revoked
        mint(memberName + "@" + tenant, PASSWORD).andExpect(status().isUnauthorized());
        mint(memberName + "@" + tenant, once).andExpect(status().isForbidden())
                .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString("change it")));
        mvc.perform(post("/api/v1/account/password").with(httpBasic(memberName + "@" + tenant, once))
                        .contentType(MediaType.APPLICATION_JSON).content(change(once, "chosen-by-bob-now-7")))
                .andExpect(status().isNoContent());
        mint(memberName + "@" + tenant, "chosen-by-bob-now-7").andExpect(status().isCreated());
        assertThat(audit()).contains("password.reset", "password.change");
    }

    private org.springframework.test.web.servlet.ResultActions mint(String user, String password) throws Exception {
        return mvc.perform(post("/api/v1/tokens").with(httpBasic(user, password))
                .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"t\"}"));
    }

    private java.util.List<String> audit() {
        return jdbc.queryForList("select action from audit_event where tenant_slug = ?", String.class, tenant);
    }
}
