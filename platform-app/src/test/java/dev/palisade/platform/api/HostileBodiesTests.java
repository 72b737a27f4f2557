package dev.palisade.platform.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.request;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.mock.web.MockHttpServletResponse;

/** Every writing endpoint, fed hostile bodies: each answer is a 4xx problem, never a 500. */
class HostileBodiesTests extends ApiTestSupport {

    String admin;
    String tenant;

    @BeforeEach
    void fixture() throws Exception {
        admin = adminToken();
        tenant = createTenant(admin);
    }

    @Test
    void noHostileBodyCausesAServerError() throws Exception {
        List<String> bodies = new ArrayList<>(List.of(
                "null", "{}", "[]", "\"text\"", "123", "true", "{\"slug\":null,\"displayName\":null}",
                "{\"slug\":\"nul\\u0000byte\",\"displayName\":\"nul\\u0000byte\"}",
                "{\"username\":\"nul\\u0000\",\"password\":\"pw\\u0000pw-long-enough\",\"role\":\"TENANT_MEMBER\"}",
                "{\"name\":\"tok\\u0000en\"}",
                "{\"displayName\":\"\\ud800\"}",
                "{\"maxConcurrentWorkloads\":1e400,\"maxCpuMillis\":99999999999999999999999999}",
                "{\"maxConcurrentWorkloads\":1.5,\"maxCpuMillis\":-0}",
                "{\"status\":\"DELETED\"}", "{\"status\":[\"ACTIVE\"]}",
                "{\"expiresInDays\":99999999999}", "{\"name\":{\"$gt\":\"\"}}",
                "{\"slug\":\"x\",\"slug\":\"y\",\"displayName\":\"dup\"}",
                "{'slug':'single-quotes'}", "{\"a\":1,}", "\u00ff\u00fe garbage"));
        bodies.add("[".repeat(5_000) + "]".repeat(5_000));
        bodies.add("{\"displayName\":\"" + "\\u00e9".repeat(1_000) + "\"}");

        List<String[]> endpoints = List.of(
                new String[] {"POST", "/api/v1/tenants"},
                new String[] {"PATCH", "/api/v1/tenants/" + tenant},
                new String[] {"PUT", "/api/v1/tenants/" + tenant + "/quota"},
                new String[] {"POST", "/api/v1/tenants/" + tenant + "/users"},
                new String[] {"POST", "/api/v1/tokens"});

        List<String> serverErrors = new ArrayList<>();
        for (String[] endpoint : endpoints) {
            for (String body : bodies) {
                MockHttpServletResponse response = mvc.perform(as(admin,
                        request(HttpMethod.valueOf(endpoint[0]), endpoint[1]), body)).andReturn().getResponse();
                if (response.getStatus() >= 500) {
                    serverErrors.add(endpoint[0] + " " + endpoint[1] + " " + abbreviate(body) + " -> " + response.getStatus());
                }
                if (response.getStatus() >= 400) {
                    assertThat(response.getContentType()).as(endpoint[1] + " " + abbreviate(body))
                            .startsWith("application/problem+json");
                }
            }
        }
        assertThat(serverErrors).isEmpty();
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "…" : s;
    }
}
