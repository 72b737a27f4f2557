package dev.palisade.platform.api;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestBuilders.formLogin;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.patch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.redirectedUrl;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpSession;

/** The console chain: form login with CSRF and sessions, role landing pages, public health and API docs. */
class ConsoleSecurityTests extends ApiTestSupport {

    @Test
    void pagesNeedALoginAndTheLoginPageIsPublic() throws Exception {
        mvc.perform(get("/admin")).andExpect(status().is3xxRedirection()).andExpect(redirectedUrl("/login"));
        mvc.perform(get("/login")).andExpect(status().isOk()).andExpect(content().string(containsString("_csrf")));
    }

    @Test
    void anAdminLandsOnTheConsoleAndATenantUserOnThePortal() throws Exception {
        mvc.perform(formLogin("/login").user("admin").password(ADMIN_PASSWORD)).andExpect(redirectedUrl("/admin"));

        String admin = adminToken();
        String tenant = createTenant(admin);
        String user = unique("portal");
        userToken(admin, tenant, user, "TENANT_MEMBER");
        MockHttpSession session = (MockHttpSession) mvc.perform(formLogin("/login").user(user + "@" + tenant).password(PASSWORD))
                .andExpect(redirectedUrl("/portal")).andReturn().getRequest().getSession();
        mvc.perform(get("/portal").session(session)).andExpect(status().isOk())
                .andExpect(content().string(containsString(tenant)));
        mvc.perform(get("/admin").session(session)).andExpect(status().isForbidden());

        // suspending the tenant ends the session at its next request
        mvc.perform(as(admin, patch("/api/v1/tenants/" + tenant), "{\"status\":\"SUSPENDED\"}")).andExpect(status().isOk());
        mvc.perform(get("/portal").session(session)).andExpect(status().is3xxRedirection());
    }

    @Test
    void aLoginWithoutCsrfTokenIsRefused() throws Exception {
        mvc.perform(post("/login").param("username", "admin").param("password", ADMIN_PASSWORD))
                .andExpect(status().isForbidden());
        mvc.perform(post("/login").with(csrf()).param("username", "admin").param("password", "wrong"))
                .andExpect(redirectedUrl("/login?error"));
    }

    @Test
    void wrongPasswordsOnTheLoginFormNeverLockTheAccountAndAreAudited() throws Exception {
        String admin = adminToken();
        String tenant = createTenant(admin);
        String user = unique("guessed");
        userToken(admin, tenant, user, "TENANT_ADMIN");
        for (int i = 0; i < 6; i++) {
            mvc.perform(formLogin("/login").user(user + "@" + tenant).password("guess-" + i)).andExpect(redirectedUrl("/login?error"));
        }
        // the owner still gets in (the guesses slow down the address they came from: LoginDrillTests)
        mvc.perform(formLogin("/login").user(user + "@" + tenant).password(PASSWORD)).andExpect(redirectedUrl("/portal"));
        mvc.perform(as(admin, get("/api/v1/audit").param("action", "login.refused")))
                .andExpect(jsonPath("$.content[*].target", hasItem("user:" + user + "@" + tenant)));
    }

    @Test
    void healthAndOpenApiArePublic() throws Exception {
        mvc.perform(get("/actuator/health")).andExpect(status().isOk()).andExpect(jsonPath("$.status").value("UP"));
        mvc.perform(get("/v3/api-docs"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.paths['/api/v1/tenants']").exists())
                .andExpect(jsonPath("$.paths['/api/v1/tenants/{tenant}/quota']").exists())
                .andExpect(jsonPath("$.paths['/api/v1/tokens/{id}']").exists())
                .andExpect(jsonPath("$.paths['/api/v1/audit']").exists());
    }
}
