package dev.palisade.platform.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.MediaType;

/**
 * A page number far past the end (any member may send one) is a 400 problem on every list of the
 * API, never a 500 with a stack trace in the log; the console's lists show their last page.
 */
@ExtendWith(OutputCaptureExtension.class)
class PagingOverflowTests extends ApiTestSupport {

    @Test
    void everyListRefusesAPageThatOverflows(CapturedOutput output) throws Exception {
        String admin = adminToken();
        String tenant = createTenant(admin);
        String member = userToken(admin, tenant, unique("pager"), "TENANT_MEMBER");
        List<String> lists = List.of("/api/v1/tenants", "/api/v1/tenants/" + tenant + "/users", "/api/v1/tokens",
                "/api/v1/tenants/" + tenant + "/workloads", "/api/v1/audit", "/api/v1/security-events");
        int before = output.length();
        for (String list : lists) {
            for (String query : List.of("?page=999999999", "?page=107374183&size=20", "?page=2147483647&size=100",
                    "?page=99999999999", "?page=-1")) {
                mvc.perform(as(admin, get(list + query)))
                        .andExpect(status().isBadRequest())
                        .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                        .andExpect(jsonPath("$.status").value(400));
            }
            // the last page that may be asked for still answers
            mvc.perform(as(admin, get(list + "?page=" + Paging.MAX_OFFSET / 20 + "&size=20"))).andExpect(status().isOk());
        }
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads?page=999999999")))
                .andExpect(status().isBadRequest());
        mvc.perform(as(member, get("/api/v1/tokens?page=999999999"))).andExpect(status().isBadRequest());
        String logged = output.toString().substring(before);
        assertThat(logged).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void consoleListsShowAPageFarPastTheEndWithoutAnError(CapturedOutput output) throws Exception {
        int before = output.length();
        for (String page : List.of("/admin/tenants", "/admin/users", "/admin/workloads", "/admin/audit",
                "/admin/security")) {
            mvc.perform(get(page + "?page=999999999").with(user("admin").roles("PLATFORM_ADMIN")))
                    .andExpect(status().isOk());
        }
        assertThat(output.toString().substring(before)).doesNotContain("Exception").doesNotContain("\tat ");
    }
}
