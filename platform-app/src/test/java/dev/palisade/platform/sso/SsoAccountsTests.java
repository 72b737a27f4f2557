package dev.palisade.platform.sso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.patch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.redirectedUrl;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.palisade.model.user.LoginUser;
import dev.palisade.model.user.Role;
import dev.palisade.platform.api.ApiTestSupport;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.security.oauth2.core.oidc.OidcIdToken;
import org.springframework.security.oauth2.core.oidc.user.DefaultOidcUser;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;

/**
 * Who a provider's user becomes (the id token as Spring Security hands it over, already checked):
 * the mapping decides the tenant and role at every sign-in, groups before domains; a verified
 * email is the only thing that links an existing user; nobody no mapping fits gets in or gets an
 * account; and a tenant with local passwords off refuses password logins of its users only (and
 * ends their password sessions).
 */
class SsoAccountsTests extends ApiTestSupport {

    @Autowired
    SsoAccounts accounts;
    @Autowired
    SsoProviders providers;
    @Autowired
    SsoMappings mappings;
    @Autowired
    TenantLoginPolicy policy;

    @Test
    void theMappingPlacesEachUserAndNobodyElseGetsIn() throws Exception {
        String admin = adminToken();
        String a = createTenant(admin), b = createTenant(admin);
        String domain = unique("d") + ".example";
        SsoProviders.Provider p = provider("email");
        map(p, "domain", domain, a, Role.TENANT_MEMBER);
        map(p, "group", "ops", b, Role.TENANT_ADMIN);

        String ann = "sub-" + UUID.randomUUID();
        LoginUser first = accounts.signIn(p.registrationId(), oidc(ann, "Ann@" + domain.toUpperCase(), true, List.of()));
        assertThat(first.loginName()).isEqualTo("ann@" + domain + "@" + a);
        assertThat(first.role()).isEqualTo(Role.TENANT_MEMBER);
        // the same subject again: the same user, not another one
        assertThat(accounts.signIn(p.registrationId(), oidc(ann, "ann@" + domain, true, List.of())).id())
                .isEqualTo(first.id());
        // a group mapping goes before a domain mapping
        LoginUser grouped = accounts.signIn(p.registrationId(), oidc("sub-" + UUID.randomUUID(), "gus@" + domain, true,
                List.of("staff", "ops")));
        assertThat(grouped.tenantSlug()).isEqualTo(b);
        assertThat(grouped.role()).isEqualTo(Role.TENANT_ADMIN);

        // an unverified email, an unmapped domain: refused, saying why, audited, nothing created
        assertThatThrownBy(() -> accounts.signIn(p.registrationId(), oidc("sub-eve", "eve@" + domain, false, List.of())))
                .isInstanceOf(SsoRefused.class).hasMessageContaining("without a verified email");
        assertThatThrownBy(() -> accounts.signIn(p.registrationId(), oidc("sub-bob", "bob@nowhere.example", true,
                List.of("staff")))).isInstanceOf(SsoRefused.class)
                .hasMessageContaining("No tenant takes").hasMessageContaining("nowhere.example");
        assertThat(jdbc.queryForObject("select count(*) from app_user where username in (?, ?)", Integer.class,
                "eve@" + domain, "bob@nowhere.example")).isZero();
        assertThat(jdbc.queryForObject("select count(*) from audit_event where action = 'sso.refused' and target = ? "
                + "and details::text like '%nowhere.example%'", Integer.class, "sso-provider:" + p.registrationId()))
                .isEqualTo(1);
        assertThat(jdbc.queryForObject("select count(*) from audit_event where action = 'sso.login' and target = ?",
                Integer.class, "user:ann@" + domain)).isEqualTo(2);

        // the mapping changed: the next sign-in gives the new role
        jdbc.update("update sso_mapping set role = 'TENANT_ADMIN' where value = ?", domain);
        assertThat(accounts.signIn(p.registrationId(), oidc(ann, "ann@" + domain, true, List.of())).role())
                .isEqualTo(Role.TENANT_ADMIN);
        // the tenant suspended: refused
        mvc.perform(as(admin, patch("/api/v1/tenants/" + a), "{\"status\":\"SUSPENDED\"}")).andExpect(status().isOk());
        assertThatThrownBy(() -> accounts.signIn(p.registrationId(), oidc(ann, "ann@" + domain, true, List.of())))
                .isInstanceOf(SsoRefused.class).hasMessageContaining("suspended");
    }

    @Test
    void onlyAVerifiedEmailLinksAnExistingUser() throws Exception {
        String admin = adminToken();
        String tenant = createTenant(admin);
        String domain = unique("d") + ".example";

        // two providers that both match by email: the same person through either is one user
        SsoProviders.Provider byEmail = provider("email"), alsoByEmail = provider("email");
        map(byEmail, "domain", domain, tenant, Role.TENANT_MEMBER);
        map(alsoByEmail, "domain", domain, tenant, Role.TENANT_MEMBER);
        LoginUser ed = accounts.signIn(byEmail.registrationId(), oidc("sub-ed", "ed@" + domain, true, List.of()));
        assertThat(accounts.signIn(alsoByEmail.registrationId(), oidc("other-sub", "ed@" + domain, true, List.of())).id())
                .isEqualTo(ed.id());

        // matched by subject: a preferred_username that names an existing user is no way in
        String bob = unique("bob");
        createUser(admin, tenant, bob);
        SsoProviders.Provider bySubject = provider("sub");
        map(bySubject, "domain", domain, tenant, Role.TENANT_MEMBER);
        OidcUser claimsBob = oidc("sub-bob", "bobby@" + domain, true, List.of(), bob);
        assertThatThrownBy(() -> accounts.signIn(bySubject.registrationId(), claimsBob)).isInstanceOf(SsoRefused.class)
                .hasMessageContaining("already has a user named " + bob);
        String kim = unique("kim");
        assertThat(accounts.signIn(bySubject.registrationId(), oidc("sub-kim", "kim@" + domain, true, List.of(), kim))
                .username()).isEqualTo(kim);
    }

    @Test
    void aTenantWithLocalPasswordsOffRefusesPasswordLoginsOfItsUsersOnly() throws Exception {
        String admin = adminToken();
        String off = createTenant(admin), on = createTenant(admin);
        createUser(admin, off, "lena");
        createUser(admin, on, "lena");
        String before = mintToken("lena@" + off, PASSWORD);
        MockHttpSession session = (MockHttpSession) mvc.perform(post("/login").with(csrf())
                        .param("username", "lena@" + off).param("password", PASSWORD))
                .andExpect(redirectedUrl("/portal")).andReturn().getRequest().getSession();
        mvc.perform(get("/portal").session(session)).andExpect(status().isOk());
        long offId = jdbc.queryForObject("select id from tenant where slug = ?", Long.class, off);
        policy.set("test", offId, off, false);
        // a console session from a password ends at its next request
        mvc.perform(get("/portal").session(session)).andExpect(redirectedUrl("/login"));

        mvc.perform(post("/api/v1/tokens").with(basic("lena@" + off, PASSWORD)).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"name\":\"t\"}"))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString("Local passwords are turned off")));
        mvc.perform(post("/login").with(csrf()).param("username", "lena@" + off).param("password", PASSWORD))
                .andExpect(redirectedUrl("/login?ssoOnly"));
        // the same name in a tenant with passwords on, and tokens minted before: unaffected
        assertThat(mintToken("lena@" + on, PASSWORD)).isNotBlank();
        mvc.perform(as(before, get("/api/v1/tokens"))).andExpect(status().isOk());
        assertThat(jdbc.queryForObject("select count(*) from audit_event where action = 'login.refused' and target = ?",
                Integer.class, "user:lena@" + off)).isEqualTo(2);

        policy.set("test", offId, off, true);
        assertThat(mintToken("lena@" + off, PASSWORD)).isNotBlank();
    }

    private void createUser(String admin, String slug, String name) throws Exception {
        mvc.perform(as(admin, post("/api/v1/tenants/" + slug + "/users"),
                        "{\"username\":\"" + name + "\",\"password\":\"" + PASSWORD + "\",\"role\":\"TENANT_MEMBER\"}"))
                .andExpect(status().isCreated());
    }

    private SsoProviders.Provider provider(String matchClaim) {
        String id = unique("p");
        providers.save("test", new SsoProviders.Settings(id, "Corp " + id, "https://id.example.com/" + id, "client",
                "client-secret", "openid profile email", matchClaim, "groups"));
        SsoProviders.Provider p = providers.find(id).orElseThrow();
        assertThat(providers.clientSecret(p)).isEqualTo("client-secret");
        assertThat(jdbc.queryForObject("select client_secret from sso_provider where registration_id = ?", byte[].class,
                id)).isNotEqualTo("client-secret".getBytes());
        return p;
    }

    private void map(SsoProviders.Provider p, String kind, String value, String slug, Role role) {
        long tenant = jdbc.queryForObject("select id from tenant where slug = ?", Long.class, slug);
        mappings.add("test", p.id(), p.registrationId(), kind, value, tenant, slug, role);
    }

    private static OidcUser oidc(String subject, String email, boolean verified, List<String> groups) {
        return oidc(subject, email, verified, groups, null);
    }

    private static OidcUser oidc(String subject, String email, boolean verified, List<String> groups, String preferred) {
        OidcIdToken.Builder token = OidcIdToken.withTokenValue("id-token").subject(subject).issuer("https://id.example.com")
                .issuedAt(Instant.now()).expiresAt(Instant.now().plusSeconds(300))
                .claim("email", email).claim("email_verified", verified).claim("groups", groups);
        if (preferred != null) {
            token.claim("preferred_username", preferred);
        }
        return new DefaultOidcUser(List.of(), token.build());
    }
}
