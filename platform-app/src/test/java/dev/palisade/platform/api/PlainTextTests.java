package dev.palisade.platform.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.patch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.model;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockMultipartFile;

/**
 * Names and free text a tenant or user types hold no control characters (a CR/LF in a token name
 * once forged audit entries), and audit details are JSON objects whatever the names in them hold.
 */
class PlainTextTests extends ApiTestSupport {

    static final List<String> HOSTILE = List.of("line\\r\\nforged=entry", "nul\\u0000", "bell\\u0007", "c1\\u0085",
            "sep\\u2028", "bidi\\u202Eevil");

    @Test
    void aTokenNameWithControlCharactersIsRefused() throws Exception {
        String admin = adminToken();
        for (String name : HOSTILE) {
            mvc.perform(as(admin, post("/api/v1/tokens"), "{\"name\":\"" + name + "\"}"))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                    .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString("name")));
        }
        assertThat(jdbc.queryForObject("select count(*) from api_token where name ~ '[[:cntrl:]]'", Long.class)).isZero();
        // a console user's form is refused on the field, too
        String tenant = createTenant(admin);
        String member = unique("typist");
        userToken(admin, tenant, member, "TENANT_MEMBER");
        mvc.perform(post("/portal/tokens").with(user(member + "@" + tenant).roles("TENANT_MEMBER")).with(csrf())
                        .param("name", "a\r\nb").param("expiresInDays", "1"))
                .andExpect(status().isOk())
                .andExpect(model().attributeHasFieldErrors("tokenForm", "name"));
    }

    @Test
    void aTenantsDisplayNameWithControlCharactersIsRefused() throws Exception {
        String admin = adminToken();
        mvc.perform(as(admin, post("/api/v1/tenants"), "{\"slug\":\"" + unique("t") + "\",\"displayName\":\"a\\nb\"}"))
                .andExpect(status().isBadRequest());
        String tenant = createTenant(admin);
        mvc.perform(as(admin, patch("/api/v1/tenants/" + tenant), "{\"displayName\":\"x\\r\\ny\"}"))
                .andExpect(status().isBadRequest());
        mvc.perform(post("/admin/tenants/" + tenant + "/edit").with(user("admin").roles("PLATFORM_ADMIN")).with(csrf())
                        .param("slug", tenant).param("displayName", "x\ny"))
                .andExpect(status().isOk())
                .andExpect(model().attributeHasFieldErrors("tenantForm", "displayName"));
        assertThat(jdbc.queryForObject("select display_name from tenant where slug = ?", String.class, tenant))
                .isEqualTo("Test");
    }

    @Test
    void anImagesDescriptionWithALineBreakIsRefused() throws Exception {
        mvc.perform(multipart("/api/v1/images").file(new MockMultipartFile("archive", "i.tar", "application/x-tar",
                                new byte[] {1}))
                        .param("name", unique("img")).param("description", "one\r\ntwo")
                        .header("Authorization", "Bearer " + adminToken()))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("description"));
    }

    @Test
    void auditDetailsAreJsonObjectsWhatTheNamesInThemHold() throws Exception {
        String admin = adminToken();
        String tenant = createTenant(admin);
        String odd = "Quote \" backslash \\ tab-free, {braces}";
        mvc.perform(as(admin, patch("/api/v1/tenants/" + tenant),
                        "{\"displayName\":\"Quote \\\" backslash \\\\ tab-free, {braces}\"}"))
                .andExpect(status().isOk());
        Map<String, Object> row = jdbc.queryForMap("""
                select jsonb_typeof(details) as type, details->>'displayName' as name from audit_event
                where action = 'tenant.update' and tenant_slug = ? order by id desc limit 1""", tenant);
        assertThat(row.get("type")).isEqualTo("object");
        assertThat(row.get("name")).isEqualTo(odd);
        String member = unique("dev");
        String token = userToken(admin, tenant, member, "TENANT_MEMBER");
        mvc.perform(as(token, post("/api/v1/tenants/" + tenant + "/workloads"),
                        "{\"name\":\"j\",\"image\":\"host\",\"command\":[\"/bin/true\"]}"))
                .andExpect(status().isCreated());
        // every action of this tenant so far: tenant, quota, user, token, workload
        List<Map<String, Object>> events = jdbc.queryForList(
                "select action, jsonb_typeof(details) as type from audit_event where tenant_slug = ? and details is not null",
                tenant);
        assertThat(events).extracting(e -> e.get("action")).contains("tenant.create", "tenant.update", "user.create",
                "token.mint", "workload.submit");
        assertThat(events).allSatisfy(e -> assertThat(e.get("type")).as(e.toString()).isEqualTo("object"));
        // and the API gives them as objects
        mvc.perform(as(admin, get("/api/v1/audit?tenant=" + tenant + "&action=token.mint")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.content[0].details.name").value("test"))
                .andExpect(jsonPath("$.content[0].details.prefix").isString());
    }
}
