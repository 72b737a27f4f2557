package dev.palisade.platform.api;

import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.httpBasic;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.patch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.platform.TestDatabase;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.ResultActions;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;
import org.springframework.test.web.servlet.request.RequestPostProcessor;

/**
 * The whole application (security chains, controllers, domain) on a real PostgreSQL, driven
 * through MockMvc with real tokens minted over HTTP Basic. All API tests share one context.
 */
@SpringBootTest
@AutoConfigureMockMvc
@ActiveProfiles("test")
public abstract class ApiTestSupport {

    protected static final String ADMIN_PASSWORD = "test-admin-password";
    protected static final String PASSWORD = "a-long-test-password";

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", TestDatabase::url);
    }

    @Autowired
    protected MockMvc mvc;

    @Autowired
    protected JdbcTemplate jdbc;

    protected static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    protected String mintToken(String username, String password) throws Exception {
        String body = mvc.perform(post("/api/v1/tokens").with(basic(username, password))
                        .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"test\"}"))
                .andExpect(status().isCreated())
                .andReturn().getResponse().getContentAsString();
        return JsonPath.read(body, "$.token");
    }

    protected String adminToken() throws Exception {
        return mintToken("admin", ADMIN_PASSWORD);
    }

    protected String createTenant(String adminToken) throws Exception {
        String slug = unique("t");
        mvc.perform(as(adminToken, post("/api/v1/tenants"), "{\"slug\":\"" + slug + "\",\"displayName\":\"Test\"}"))
                .andExpect(status().isCreated());
        return slug;
    }

    /** Creates a user of the tenant and returns a fresh token of theirs. */
    protected String userToken(String adminToken, String slug, String username, String role) throws Exception {
        mvc.perform(as(adminToken, post("/api/v1/tenants/" + slug + "/users"),
                        "{\"username\":\"" + username + "\",\"password\":\"" + PASSWORD + "\",\"role\":\"" + role + "\"}"))
                .andExpect(status().isCreated());
        return mintToken(username + "@" + slug, PASSWORD);
    }

    protected static MockHttpServletRequestBuilder as(String token, MockHttpServletRequestBuilder request) {
        return request.header(HttpHeaders.AUTHORIZATION, "Bearer " + token);
    }

    protected static MockHttpServletRequestBuilder as(String token, MockHttpServletRequestBuilder request, String json) {
        return as(token, request).contentType(MediaType.APPLICATION_JSON).content(json);
    }

    protected static RequestPostProcessor basic(String user, String password) {
        return httpBasic(user, password);
    }

    protected ResultActions call(String token, String method, String path) throws Exception {
        MockHttpServletRequestBuilder request = switch (method) {
            case "GET" -> get(path);
            case "DELETE" -> delete(path);
            case "PATCH" -> patch(path).contentType(MediaType.APPLICATION_JSON).content("{\"displayName\":\"x\"}");
            case "PUT" -> put(path).contentType(MediaType.APPLICATION_JSON).content(QUOTA_JSON);
            case "POST" -> post(path).contentType(MediaType.APPLICATION_JSON)
                    .content("{\"username\":\"" + unique("u") + "\",\"password\":\"" + PASSWORD + "\",\"role\":\"TENANT_MEMBER\"}");
            default -> throw new IllegalArgumentException(method);
        };
        return mvc.perform(as(token, request));
    }

    protected static final String QUOTA_JSON = """
            {"maxConcurrentWorkloads":9,"maxCpuMillis":1000,"maxWallMillis":2000,"maxMemoryBytes":1048576,
             "maxProcesses":8,"maxOutputBytes":4096,"cpuSecondsPerMonth":100,"storageBytes":1000}""";
}
