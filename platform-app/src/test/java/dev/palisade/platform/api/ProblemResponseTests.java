package dev.palisade.platform.api;

import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.patch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.MediaType;

/** Bad input gets a 4xx application/problem+json that says what is wrong; never a 500 or a stack trace. */
class ProblemResponseTests extends ApiTestSupport {

    String admin;

    @BeforeEach
    void admin() throws Exception {
        admin = adminToken();
    }

    @Test
    void validationErrorsNameEachBadField() throws Exception {
        mvc.perform(as(admin, post("/api/v1/tenants"), "{\"slug\":\"Not A Slug!\",\"displayName\":\"\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.status").value(400))
                .andExpect(jsonPath("$.errors[*].field", containsInAnyOrder("slug", "displayName")));

        String tenant = createTenant(admin);
        mvc.perform(as(admin, put("/api/v1/tenants/" + tenant + "/quota"), "{\"maxConcurrentWorkloads\":-1}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[?(@.field == 'maxConcurrentWorkloads')]").exists())
                .andExpect(jsonPath("$.errors[?(@.field == 'storageBytes')]").exists());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{", "not json", "[1,2,3]", "{\"slug\": {\"nested\": true}, \"displayName\": \"x\"}", ""})
    void malformedBodiesAre400Problems(String body) throws Exception {
        mvc.perform(as(admin, post("/api/v1/tenants"), body))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(content().string(not(containsString("at dev.palisade"))));
    }

    @Test
    void aWrongTypeNamesTheField() throws Exception {
        String tenant = createTenant(admin);
        mvc.perform(as(admin, put("/api/v1/tenants/" + tenant + "/quota"),
                        QUOTA_JSON.replace("\"maxProcesses\":8", "\"maxProcesses\":\"many\"")))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("maxProcesses"));
    }

    @Test
    void aNulCharacterIsBadInputNotAConflict() throws Exception {
        String tenant = createTenant(admin);
        mvc.perform(as(admin, patch("/api/v1/tenants/" + tenant), "{\"displayName\":\"nul\\u0000byte\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON));
        mvc.perform(as(admin, post("/api/v1/tokens"), "{\"name\":\"tok\\u0000en\"}"))
                .andExpect(status().isBadRequest());
    }

    @Test
    void oversizedBodiesAre413Problems() throws Exception {
        String huge = "{\"slug\":\"big\",\"displayName\":\"" + "x".repeat(20_000) + "\"}";
        mvc.perform(as(admin, post("/api/v1/tenants"), huge))
                .andExpect(status().isPayloadTooLarge())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON));
    }

    @Test
    void aTooLongFieldWithinTheBodyLimitIsAValidationError() throws Exception {
        mvc.perform(as(admin, post("/api/v1/tenants"), "{\"slug\":\"" + "a".repeat(300) + "\",\"displayName\":\"x\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("slug"));
    }

    @Test
    void pagingIsValidatedAndSortIsWhitelisted() throws Exception {
        mvc.perform(as(admin, get("/api/v1/tenants").param("sort", "id")))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("sort"));
        mvc.perform(as(admin, get("/api/v1/tenants").param("size", "100000")))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("size"));
        mvc.perform(as(admin, get("/api/v1/tenants").param("page", "abc"))).andExpect(status().isBadRequest());
        mvc.perform(as(admin, get("/api/v1/audit").param("from", "yesterday"))).andExpect(status().isBadRequest());

        createTenant(admin);
        createTenant(admin);
        mvc.perform(as(admin, get("/api/v1/tenants").param("size", "1").param("sort", "createdAt,desc")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.content.length()").value(1))
                .andExpect(jsonPath("$.size").value(1))
                .andExpect(jsonPath("$.totalPages").value(greaterThanOrEqualTo(2)));
    }

    @Test
    void duplicatesAreConflictsAndUnknownThingsAreNotFound() throws Exception {
        String tenant = createTenant(admin);
        mvc.perform(as(admin, post("/api/v1/tenants"), "{\"slug\":\"" + tenant + "\",\"displayName\":\"Again\"}"))
                .andExpect(status().isConflict())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON));
        mvc.perform(as(admin, get("/api/v1/nothing-here"))).andExpect(status().isNotFound());
        mvc.perform(as(admin, get("/api/v1/tokens/" + java.util.UUID.randomUUID()))).andExpect(status().isNotFound());
        mvc.perform(as(admin, get("/api/v1/tokens/abc"))).andExpect(status().isBadRequest());
    }

    @Test
    void missingCredentialsAre401Problems() throws Exception {
        mvc.perform(get("/api/v1/tenants"))
                .andExpect(status().isUnauthorized())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.status").value(401));
    }
}
