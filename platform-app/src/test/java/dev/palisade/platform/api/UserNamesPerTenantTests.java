package dev.palisade.platform.api;

import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.redirectedUrl;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.test.web.servlet.ResultActions;

/**
 * User names are unique per tenant: a tenant creating a user learns nothing of other tenants'
 * names, the same name in two tenants is two users ({@code name@tenant} to log in), and the
 * platform's own {@code admin} stays the plain name.
 */
class UserNamesPerTenantTests extends ApiTestSupport {

    private static final String OTHER_PASSWORD = "another-long-password";

    @Test
    void aNameTakenInAnotherTenantIsFreeHereAndEachLogsInAsNameAtTenant() throws Exception {
        String admin = adminToken();
        String a = createTenant(admin);
        String b = createTenant(admin);
        String adminOfA = userToken(admin, a, unique("ada"), "TENANT_ADMIN");
        String adminOfB = userToken(admin, b, unique("bea"), "TENANT_ADMIN");
        String bob = unique("bob");
        create(adminOfB, b, bob, OTHER_PASSWORD).andExpect(status().isCreated());

        // tenant A's admin creates the same name: nothing says that B has one
        create(adminOfA, a, bob, PASSWORD).andExpect(status().isCreated());
        create(adminOfA, a, bob, PASSWORD).andExpect(status().isConflict());
        // nor the platform's: "admin" is free in a tenant too
        create(adminOfA, a, "admin", PASSWORD).andExpect(status().isCreated());

        // each bob is his own tenant's; the plain name is no tenant user's and gets the one failure for everything
        String bobOfA = mintToken(bob + "@" + a, PASSWORD);
        String bobOfB = mintToken(bob + "@" + b, OTHER_PASSWORD);
        mint(bob + "@" + a, OTHER_PASSWORD).andExpect(status().isUnauthorized());
        mint(bob, PASSWORD).andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.detail").value("Wrong user name or password"));
        mvc.perform(as(bobOfA, get("/api/v1/tenants/" + a + "/workloads"))).andExpect(status().isOk());
        mvc.perform(as(bobOfA, get("/api/v1/tenants/" + b + "/workloads"))).andExpect(status().isNotFound());
        mvc.perform(as(bobOfB, get("/api/v1/tenants/" + b + "/workloads"))).andExpect(status().isOk());

        // plain "admin" is still the platform admin; "admin@a" is tenant A's member
        mintToken("admin", ADMIN_PASSWORD);
        String adminOfAsMember = mintToken("admin@" + a, PASSWORD);
        mvc.perform(as(adminOfAsMember, get("/api/v1/tenants"))).andExpect(status().isForbidden());
        mvc.perform(as(adminOfAsMember, get("/api/v1/tenants/" + a + "/workloads"))).andExpect(status().isOk());

        // the console: bob@a lands in A's portal and the session stays his
        MockHttpSession session = (MockHttpSession) mvc.perform(post("/login").with(csrf())
                        .param("username", bob + "@" + a).param("password", PASSWORD))
                .andExpect(redirectedUrl("/portal")).andReturn().getRequest().getSession();
        mvc.perform(get("/portal/workloads").session(session)).andExpect(status().isOk());
    }

    @Test
    void aPlainNameNeverLogsInATenantsUserSoItTellsNothingOfOtherTenants() throws Exception {
        String admin = adminToken();
        String a = createTenant(admin);
        String adminOfA = userToken(admin, a, unique("ada"), "TENANT_ADMIN");
        // only tenant A has a carol: were the plain name enough while the name is unique, tenant B's
        // admin could tell whether some tenant has a carol by trying to log in as one
        String carol = unique("carol");
        create(adminOfA, a, carol, PASSWORD).andExpect(status().isCreated());
        mint(carol, PASSWORD).andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.detail").value("Wrong user name or password"));
        mvc.perform(post("/login").with(csrf()).param("username", carol).param("password", PASSWORD))
                .andExpect(redirectedUrl("/login?error"));
        mintToken(carol + "@" + a, PASSWORD);
    }

    private ResultActions create(String token, String tenant, String name, String password) throws Exception {
        return mvc.perform(as(token, post("/api/v1/tenants/" + tenant + "/users"), "{\"username\":\"" + name
                + "\",\"password\":\"" + password + "\",\"role\":\"TENANT_MEMBER\"}"));
    }

    private ResultActions mint(String user, String password) throws Exception {
        return mvc.perform(post("/api/v1/tokens").with(basic(user, password))
                .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"t\"}"));
    }
}
