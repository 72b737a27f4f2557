package dev.palisade.platform.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestBuilders.formLogin;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.flash;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.redirectedUrl;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.palisade.platform.api.ApiTestSupport;
import dev.palisade.web.support.Flash;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpSession;

/**
 * The console's egress allowlist page (platform admins) and the portal's network choice on the
 * deploy page: the same checks and audit as the API, and text saying what the policy does.
 */
class EgressConsoleTests extends ApiTestSupport {

    private MockHttpSession login(String username, String password) throws Exception {
        return (MockHttpSession) mvc.perform(formLogin("/login").user(username).password(password))
                .andReturn().getRequest().getSession();
    }

    @Test
    void aPlatformAdminEditsATenantsAllowlistOneDestinationALine() throws Exception {
        String tenant = createTenant(adminToken());
        MockHttpSession admin = login("admin", ADMIN_PASSWORD);
        mvc.perform(get("/admin/tenants/" + tenant).session(admin))
                .andExpect(content().string(containsString("/admin/tenants/" + tenant + "/egress")));
        mvc.perform(get("/admin/tenants/" + tenant + "/egress").session(admin)).andExpect(status().isOk())
                .andExpect(content().string(containsString("169.254.0.0/16 (cloud metadata)")))
                .andExpect(content().string(not(containsString("<script>"))))
                .andExpect(content().string(not(containsString("style=\""))));

        mvc.perform(post("/admin/tenants/" + tenant + "/egress").session(admin).with(csrf())
                        .param("destinations", "10.20.1.1/16\r\n\r\n10.30.1.5:5432\n"))
                .andExpect(redirectedUrl("/admin/tenants/" + tenant + "/egress"))
                .andExpect(flash().attributeExists("flash"));
        mvc.perform(get("/admin/tenants/" + tenant + "/egress").session(admin))
                .andExpect(content().string(containsString("10.20.0.0/16\n10.30.1.5:5432</textarea>")));
        assertThat(jdbc.queryForObject("select count(*) from audit_event where action = 'egress.allowlist.update'"
                + " and tenant_slug = ? and actor = 'admin'", Long.class, tenant)).isEqualTo(1);

        // a bad line is refused, named, and nothing changes
        Flash refused = (Flash) mvc.perform(post("/admin/tenants/" + tenant + "/egress").session(admin).with(csrf())
                        .param("destinations", "10.0.0.0/8\nmetadata.internal"))
                .andExpect(redirectedUrl("/admin/tenants/" + tenant + "/egress"))
                .andReturn().getFlashMap().get("flash");
        assertThat(refused.kind()).isEqualTo("error");
        assertThat(String.valueOf(refused.args()[0])).contains("destinations[1]", "host names");
        assertThat(jdbc.queryForList("select destination from tenant_egress_allow where tenant_id ="
                + " (select id from tenant where slug = ?) order by destination", String.class, tenant))
                .containsExactly("10.20.0.0/16", "10.30.1.5:5432");
    }

    @Test
    void theDeployPageOffersTheNetworkAndSaysWhatEachReaches() throws Exception {
        String admin = adminToken();
        String tenant = createTenant(admin);
        String user = unique("dev");
        userToken(admin, tenant, user, "TENANT_ADMIN");
        MockHttpSession session = login(user + "@" + tenant, PASSWORD);
        mvc.perform(get("/portal/services/new").session(session)).andExpect(status().isOk())
                .andExpect(content().string(containsString("name=\"network\"")))
                .andExpect(content().string(containsString("value=\"egress\"")))
                .andExpect(content().string(containsString("cloud metadata and private ranges stay refused")));
    }
}
