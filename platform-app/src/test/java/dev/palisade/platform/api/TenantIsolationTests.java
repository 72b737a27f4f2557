package dev.palisade.platform.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A tenant's token can neither read, change nor delete another tenant's anything, nor learn that it exists. */
class TenantIsolationTests extends ApiTestSupport {

    String admin;
    String mine;
    String theirs;
    String myAdmin;

    @BeforeEach
    void twoTenants() throws Exception {
        admin = adminToken();
        mine = createTenant(admin);
        theirs = createTenant(admin);
        myAdmin = userToken(admin, mine, unique("boss"), "TENANT_ADMIN");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "GET, /api/v1/tenants/%s",
            "PATCH, /api/v1/tenants/%s",
            "DELETE, /api/v1/tenants/%s",
            "GET, /api/v1/tenants/%s/quota",
            "PUT, /api/v1/tenants/%s/quota",
            "GET, /api/v1/tenants/%s/users",
            "POST, /api/v1/tenants/%s/users"})
    void anotherTenantAnswersExactlyLikeOneThatDoesNotExist(String method, String path) throws Exception {
        String existing = call(myAdmin, method, path.formatted(theirs))
                .andExpect(status().isNotFound())
                .andReturn().getResponse().getContentAsString();
        String missing = call(myAdmin, method, path.formatted("no-such-tenant"))
                .andExpect(status().isNotFound())
                .andReturn().getResponse().getContentAsString();

        assertThat(normalize(existing, theirs)).isEqualTo(normalize(missing, "no-such-tenant"));
    }

    @Test
    void nothingOfTheOtherTenantChanged() throws Exception {
        call(myAdmin, "PATCH", "/api/v1/tenants/" + theirs);
        call(myAdmin, "PUT", "/api/v1/tenants/" + theirs + "/quota");
        call(myAdmin, "DELETE", "/api/v1/tenants/" + theirs);
        call(myAdmin, "POST", "/api/v1/tenants/" + theirs + "/users");

        mvc.perform(as(admin, get("/api/v1/tenants/" + theirs)))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.displayName").value("Test"));
        mvc.perform(as(admin, get("/api/v1/tenants/" + theirs + "/quota")))
                .andExpect(jsonPath("$.maxConcurrentWorkloads").value(4));
        mvc.perform(as(admin, get("/api/v1/tenants/" + theirs + "/users")))
                .andExpect(jsonPath("$.totalElements").value(0));
    }

    @Test
    void aTenantUserCannotListTenantsNorReadTheAuditLog() throws Exception {
        mvc.perform(as(myAdmin, get("/api/v1/tenants"))).andExpect(status().isForbidden());
        mvc.perform(as(myAdmin, get("/api/v1/audit"))).andExpect(status().isForbidden());
    }

    @Test
    void aTenantUsersTokensAreTheirOwn() throws Exception {
        String other = userToken(admin, theirs, unique("other"), "TENANT_ADMIN");
        String body = mvc.perform(as(other, get("/api/v1/tokens"))).andReturn().getResponse().getContentAsString();
        String otherTokenId = JsonPath.read(body, "$.content[0].id");

        mvc.perform(as(myAdmin, get("/api/v1/tokens/" + otherTokenId))).andExpect(status().isNotFound());
        call(myAdmin, "DELETE", "/api/v1/tokens/" + otherTokenId).andExpect(status().isNotFound());
        mvc.perform(as(other, get("/api/v1/tenants/" + theirs + "/quota"))).andExpect(status().isOk());
    }

    private static String normalize(String problem, String slug) {
        return problem.replace(slug, "SLUG");
    }
}
