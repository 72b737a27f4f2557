package dev.palisade.platform.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestBuilders.formLogin;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

import dev.palisade.platform.api.ApiTestSupport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.mock.web.MockHttpSession;

/**
 * What the console's pages and cookie tell a browser: a session cookie only ever this host's, a
 * Content-Security-Policy under which no inline script runs (and pages that need none), HSTS
 * over TLS only, and no scheme taken from a peer that is not a trusted proxy.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ConsoleEdgeTests extends ApiTestSupport {

    private static final Pattern INLINE_SCRIPT = Pattern.compile("(?i)<script(?![^>]*\\bsrc=)[^>]*>|\\son[a-z]+\\s*=|"
            + "\\sstyle\\s*=|javascript:");

    @LocalServerPort
    int port;

    @Test
    void theSessionCookieIsHostPrefixedSecureHttpOnlyAndLax() throws Exception {
        HttpResponse<String> login = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + "/login")).build(), HttpResponse.BodyHandlers.ofString());
        List<String> cookies = login.headers().allValues("Set-Cookie");
        assertThat(cookies).hasSize(1);
        String session = cookies.get(0);
        assertThat(session).startsWith("__Host-palisade-session=").contains("; Path=/").contains("; Secure")
                .contains("; HttpOnly").contains("; SameSite=Lax").doesNotContainIgnoringCase("domain=");
    }

    @Test
    void consolePagesCarryAPolicyWithoutInlineScriptAndHaveNone() throws Exception {
        MockHttpSession session = (MockHttpSession) mvc.perform(formLogin("/login").user("admin").password(ADMIN_PASSWORD))
                .andReturn().getRequest().getSession();
        for (String page : new String[] {"/login", "/admin", "/admin/tenants", "/admin/users", "/admin/workloads",
                "/admin/audit", "/admin/images", "/admin/nodes", "/admin/security"}) {
            MockHttpServletResponse r = mvc.perform(get(page).session(session)).andReturn().getResponse();
            assertThat(r.getStatus()).as(page).isEqualTo(200);
            String csp = r.getHeader("Content-Security-Policy");
            assertThat(csp).as(page).contains("script-src 'self'", "style-src 'self'", "object-src 'none'",
                    "frame-ancestors 'none'").doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
            assertThat(INLINE_SCRIPT.matcher(r.getContentAsString()).find()).as(page + " has inline script or style")
                    .isFalse();
        }
    }

    @Test
    void hstsOnlyOverTlsAndNeverOnASpoofedScheme() throws Exception {
        assertThat(mvc.perform(get("/login").secure(true)).andReturn().getResponse()
                .getHeader("Strict-Transport-Security")).contains("max-age=");
        MockHttpServletResponse spoofed = mvc.perform(get("/login").header("X-Forwarded-Proto", "https")
                .header("Forwarded", "proto=https")).andReturn().getResponse();
        assertThat(spoofed.getHeader("Strict-Transport-Security")).as("from a peer that is no trusted proxy").isNull();
    }
}
