package dev.palisade.platform.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.patch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/** Revoked, expired and suspended credentials stop at once; password guessing locks the account. */
class TokenLifecycleTests extends ApiTestSupport {

    String admin;
    String tenant;
    String user;
    String token;

    @BeforeEach
    void tenantUserWithToken() throws Exception {
        admin = adminToken();
        tenant = createTenant(admin);
        user = unique("dev");
        token = userToken(admin, tenant, user, "TENANT_ADMIN");
    }

    @Test
    void aRevokedTokenIsRefusedOnTheNextRequest() throws Exception {
        mvc.perform(as(token, get("/api/v1/tenants/" + tenant + "/quota"))).andExpect(status().isOk());
        String id = ownTokenId(token);

        mvc.perform(as(token, delete("/api/v1/tokens/" + id))).andExpect(status().isNoContent());

        mvc.perform(as(token, get("/api/v1/tenants/" + tenant + "/quota")))
                .andExpect(status().isUnauthorized())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(header().string("WWW-Authenticate", startsWith("Bearer")));
        mvc.perform(as(admin, get("/api/v1/audit").param("tenant", tenant).param("action", "token.revoke")))
                .andExpect(jsonPath("$.content[0].actor").value(user));
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        String id = ownTokenId(token);
        jdbc.update("update api_token set expires_at = now() - interval '1 second' where public_id = ?::uuid", id);

        mvc.perform(as(token, get("/api/v1/tenants/" + tenant + "/quota"))).andExpect(status().isUnauthorized());
    }

    @Test
    void aSuspendedTenantIsLockedOutAtOnceAndComesBackWhenReactivated() throws Exception {
        mvc.perform(as(admin, patch("/api/v1/tenants/" + tenant), "{\"status\":\"SUSPENDED\"}"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.status").value("SUSPENDED"));

        mvc.perform(as(token, get("/api/v1/tenants/" + tenant + "/quota"))).andExpect(status().isUnauthorized());
        mvc.perform(post("/api/v1/tokens").with(basic(user + "@" + tenant, PASSWORD))
                        .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"again\"}"))
                .andExpect(status().isUnauthorized());

        mvc.perform(as(admin, patch("/api/v1/tenants/" + tenant), "{\"status\":\"ACTIVE\"}")).andExpect(status().isOk());
        mvc.perform(as(token, get("/api/v1/tenants/" + tenant + "/quota"))).andExpect(status().isOk());
    }

    @Test
    void aDeletedTenantsTokensStopWorking() throws Exception {
        mvc.perform(as(admin, delete("/api/v1/tenants/" + tenant))).andExpect(status().isNoContent());
        mvc.perform(as(token, get("/api/v1/tokens"))).andExpect(status().isUnauthorized());
        mvc.perform(as(admin, get("/api/v1/tenants/" + tenant))).andExpect(status().isNotFound());
    }

    @Test
    void wrongPasswordsNeverLockTheAccountAndEveryFailureReadsTheSame() throws Exception {
        String unknown = null;
        for (int i = 0; i < 6; i++) {
            String wrong = mvc.perform(post("/api/v1/tokens").with(basic(user + "@" + tenant, "wrong-password-" + i))
                            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"x\"}"))
                    .andExpect(status().isUnauthorized()).andReturn().getResponse().getContentAsString();
            unknown = mvc.perform(post("/api/v1/tokens").with(basic(unique("nobody"), "wrong-password-" + i))
                            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"x\"}"))
                    .andExpect(status().isUnauthorized()).andReturn().getResponse().getContentAsString();
            // no oracle: an existing account and a missing one answer alike, and nothing says locked
            assertThat(wrong).isEqualTo(unknown).doesNotContainIgnoringCase("lock");
        }
        mvc.perform(post("/api/v1/tokens").with(basic(user + "@" + tenant, PASSWORD))
                        .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"x\"}"))
                .andExpect(status().isCreated());
        mvc.perform(as(admin, get("/api/v1/audit").param("action", "login.refused")))
                .andExpect(jsonPath("$.content[*].target", hasItem("user:" + user + "@" + tenant)));
        // a suspended tenant's user with the right password reads the same as a wrong password
        mvc.perform(as(admin, patch("/api/v1/tenants/" + tenant), "{\"status\":\"SUSPENDED\"}")).andExpect(status().isOk());
        String suspended = mvc.perform(post("/api/v1/tokens").with(basic(user + "@" + tenant, PASSWORD))
                        .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"x\"}"))
                .andExpect(status().isUnauthorized()).andReturn().getResponse().getContentAsString();
        assertThat(suspended).isEqualTo(unknown);
    }

    @Test
    void basicAuthIsAcceptedOnlyToMintATokenAndForgedTokensAreRefused() throws Exception {
        mvc.perform(get("/api/v1/tokens").with(basic(user + "@" + tenant, PASSWORD))).andExpect(status().isUnauthorized());
        mvc.perform(get("/api/v1/tenants/" + tenant + "/quota").with(basic("admin", ADMIN_PASSWORD)))
                .andExpect(status().isUnauthorized());
        mvc.perform(as(token.substring(0, token.length() - 2) + "xx", get("/api/v1/tokens")))
                .andExpect(status().isUnauthorized());
        mvc.perform(as("pal_garbage", get("/api/v1/tokens"))).andExpect(status().isUnauthorized());
    }

    @Test
    void anExistingTokenCanMintAnotherAndTheListShowsPrefixesNotSecrets() throws Exception {
        String body = mvc.perform(as(token, post("/api/v1/tokens"), "{\"name\":\"second\",\"expiresInDays\":7}"))
                .andExpect(status().isCreated())
                .andReturn().getResponse().getContentAsString();
        String second = JsonPath.read(body, "$.token");

        String list = mvc.perform(as(second, get("/api/v1/tokens").param("sort", "name,asc")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.totalElements").value(2))
                .andExpect(jsonPath("$.content[*].name", hasItem("second")))
                .andReturn().getResponse().getContentAsString();
        assertThat(list).doesNotContain(second).doesNotContain(token)
                .doesNotContain("\"token\"");
    }

    private String ownTokenId(String bearer) throws Exception {
        String body = mvc.perform(as(bearer, get("/api/v1/tokens"))).andReturn().getResponse().getContentAsString();
        return JsonPath.read(body, "$.content[0].id");
    }
}
