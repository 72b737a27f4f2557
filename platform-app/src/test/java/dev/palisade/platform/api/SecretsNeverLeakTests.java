package dev.palisade.platform.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** After creation, passwords and tokens appear in no response and no log line. */
@ExtendWith(OutputCaptureExtension.class)
class SecretsNeverLeakTests extends ApiTestSupport {

    @Test
    void passwordsAndTokensAreNeitherLoggedNorReturnedAgain(CapturedOutput output) throws Exception {
        String admin = adminToken();
        String tenant = createTenant(admin);
        String username = unique("secretive");
        String password = "pw-" + java.util.UUID.randomUUID();
        String created = mvc.perform(as(admin, post("/api/v1/tenants/" + tenant + "/users"),
                        "{\"username\":\"" + username + "\",\"password\":\"" + password + "\",\"role\":\"TENANT_ADMIN\"}"))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        String token = mintToken(username + "@" + tenant, password);
        // a wrong password and a forged token go through the failure paths too
        mvc.perform(post("/api/v1/tokens").with(basic(username + "@" + tenant, password + "x"))
                .contentType("application/json").content("{\"name\":\"x\"}")).andExpect(status().isUnauthorized());
        mvc.perform(as(token + "x", get("/api/v1/tokens"))).andExpect(status().isUnauthorized());

        String users = mvc.perform(as(token, get("/api/v1/tenants/" + tenant + "/users")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        String tokens = mvc.perform(as(token, get("/api/v1/tokens")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        String audit = mvc.perform(as(admin, get("/api/v1/audit").param("tenant", tenant).param("size", "100")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();

        assertThat(created + users + audit).doesNotContain(password).doesNotContain("{bcrypt}")
                .doesNotContain("password");
        assertThat(tokens + audit).doesNotContain(token).doesNotContain(token.substring(13));
        assertThat(output.getAll()).doesNotContain(password).doesNotContain(token).doesNotContain(token.substring(13));
        assertThat(jdbc.queryForObject("select password_hash from app_user where username = ?", String.class, username))
                .startsWith("{bcrypt}").doesNotContain(password);
    }
}
