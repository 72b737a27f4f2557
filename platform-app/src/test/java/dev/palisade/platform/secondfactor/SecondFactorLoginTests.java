package dev.palisade.platform.secondfactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.redirectedUrl;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.palisade.platform.api.ApiTestSupport;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.test.web.servlet.ResultActions;

/**
 * A user with a second factor: HTTP Basic needs the code in a header, the console form asks for
 * it on a page of its own, each TOTP step and each recovery code gets in once, and tokens minted
 * before keep working.
 */
class SecondFactorLoginTests extends ApiTestSupport {

    @Autowired
    SecondFactors secondFactors;

    @Test
    void aSecondFactorIsNeededAfterThePasswordAndEachCodeWorksOnce() throws Exception {
        String admin = adminToken();
        String tenant = createTenant(admin);
        String name = unique("ada");
        String before = userToken(admin, tenant, name, "TENANT_MEMBER");
        String login = name + "@" + tenant;
        long id = jdbc.queryForObject("select id from app_user where username = ?", Long.class, name);

        // set up, and confirmed with the code of the step now
        var setup = secondFactors.begin(id, name);
        assertThat(setup.uri()).startsWith("otpauth://totp/Palisade:" + name + "?secret=");
        byte[] secret = TotpSecretSealingTests.base32(setup.secret());
        long step = Totp.step(Instant.now());
        assertThat(secondFactors.enabled(id)).isFalse();
        List<String> recovery = secondFactors.confirm(id, name, null, tenant, Totp.code(secret, step, 6));
        assertThat(recovery).hasSize(10).doesNotHaveDuplicates();
        assertThat(secondFactors.enabled(id)).isTrue();
        assertThat(jdbc.queryForList("select code_hash from user_recovery_code where user_id = ?", String.class, id))
                .hasSize(10).noneMatch(h -> recovery.stream().anyMatch(h::contains));

        // HTTP Basic: the password alone, a wrong code, the code already used: refused; the next step's code: in
        mint(login, null).andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString("X-Palisade-OTP")));
        mint(login, "000000".equals(Totp.code(secret, step + 1, 6)) ? "111111" : "000000")
                .andExpect(status().isUnauthorized());
        mint(login, Totp.code(secret, step, 6)).andExpect(status().isUnauthorized());
        mint(login, Totp.code(secret, step + 1, 6)).andExpect(status().isCreated());
        mint(login, Totp.code(secret, step + 1, 6)).andExpect(status().isUnauthorized());
        // a wrong password with a right code tells nothing of the second factor
        mvc.perform(post("/api/v1/tokens").with(basic(login, "wrong-password-1234")).header("X-Palisade-OTP", recovery.get(0))
                        .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"t\"}"))
                .andExpect(status().isUnauthorized()).andExpect(jsonPath("$.detail").value("Wrong user name or password"));
        mint(login, recovery.get(0).toUpperCase()).andExpect(status().isCreated());
        mint(login, recovery.get(0)).andExpect(status().isUnauthorized());
        // the token from before the second factor still works
        mvc.perform(as(before, get("/api/v1/tokens"))).andExpect(status().isOk());

        // the console: the password leads to the code page and logs nobody in
        MockHttpSession session = (MockHttpSession) mvc.perform(post("/login").with(csrf())
                        .param("username", login).param("password", PASSWORD))
                .andExpect(redirectedUrl("/login/code")).andReturn().getRequest().getSession();
        mvc.perform(get("/portal").session(session)).andExpect(status().isFound())
                .andExpect(redirectedUrl("/login"));
        mvc.perform(get("/login/code").session(session)).andExpect(status().isOk());
        mvc.perform(post("/login/code").session(session).with(csrf()).param("code", recovery.get(0)))
                .andExpect(status().isOk());
        session = (MockHttpSession) mvc.perform(post("/login/code").session(session).with(csrf())
                        .param("code", recovery.get(1))).andExpect(redirectedUrl("/portal"))
                .andReturn().getRequest().getSession();
        mvc.perform(get("/portal").session(session)).andExpect(status().isOk());
        assertThat(jdbc.queryForObject("select count(*) from audit_event where action = 'login.refused' and target = ?",
                Integer.class, "user:" + login)).isGreaterThanOrEqualTo(5);
    }

    @Test
    void fiveWrongCodesAskForThePasswordAgain() throws Exception {
        String admin = adminToken();
        String tenant = createTenant(admin);
        String name = unique("bob");
        userToken(admin, tenant, name, "TENANT_MEMBER");
        String login = name + "@" + tenant;
        long id = jdbc.queryForObject("select id from app_user where username = ?", Long.class, name);
        byte[] secret = TotpSecretSealingTests.base32(secondFactors.begin(id, name).secret());
        List<String> recovery = secondFactors.confirm(id, name, null, tenant,
                Totp.code(secret, Totp.step(Instant.now()), 6));

        MockHttpSession session = (MockHttpSession) mvc.perform(post("/login").with(csrf())
                        .param("username", login).param("password", PASSWORD))
                .andExpect(redirectedUrl("/login/code")).andReturn().getRequest().getSession();
        for (int i = 0; i < 4; i++) {
            mvc.perform(post("/login/code").session(session).with(csrf()).param("code", "not-a-code"))
                    .andExpect(status().isOk());
        }
        mvc.perform(post("/login/code").session(session).with(csrf()).param("code", "not-a-code"))
                .andExpect(redirectedUrl("/login?error"));
        // the pending login is gone: even a right code needs the password first
        mvc.perform(post("/login/code").session(session).with(csrf()).param("code", recovery.get(0)))
                .andExpect(redirectedUrl("/login?error"));
        mvc.perform(get("/portal").session(session)).andExpect(status().isFound());
    }

    private ResultActions mint(String user, String code) throws Exception {
        var request = post("/api/v1/tokens").with(basic(user, PASSWORD))
                .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"t\"}");
        if (code != null) {
            request.header("X-Palisade-OTP", code);
        }
        return mvc.perform(request);
    }
}
