package dev.palisade.platform.console;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestBuilders.formLogin;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.flash;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.model;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.redirectedUrl;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.view;

import dev.palisade.platform.api.ApiTestSupport;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.mock.web.MockMultipartFile;

/** The console and portal pages behind the console chain: roles, tenants, forms, escaping. */
class ConsolePagesTests extends ApiTestSupport {

    private MockHttpSession login(String username, String password) throws Exception {
        return (MockHttpSession) mvc.perform(formLogin("/login").user(username).password(password))
                .andReturn().getRequest().getSession();
    }

    @Test
    void everyConsolePageRendersForAPlatformAdmin() throws Exception {
        MockHttpSession admin = login("admin", ADMIN_PASSWORD);
        String tenant = createTenant(adminToken());
        for (String page : new String[] {"/admin", "/admin/tenants", "/admin/tenants?q=t-&status=ACTIVE",
                "/admin/tenants/new", "/admin/tenants/" + tenant, "/admin/tenants/" + tenant + "/edit",
                "/admin/tenants/" + tenant + "/quota", "/admin/tenants/" + tenant + "/users/new",
                "/admin/tenants/" + tenant + "/delete", "/admin/users", "/admin/workloads",
                "/admin/workloads?state=RUNNING&page=2", "/admin/audit?action=tenant.create&from=2020-01-01",
                "/admin/nodes", "/admin/images", "/admin/security?kind=denied_syscall"}) {
            mvc.perform(get(page).session(admin).accept(MediaType.TEXT_HTML))
                    .andExpect(status().isOk())
                    .andExpect(content().string(containsString("class=\"mainnav\"")));
        }
    }

    @Test
    void creatingATenantKeepsWhatWasTypedAndNamesEachBadField() throws Exception {
        MockHttpSession admin = login("admin", ADMIN_PASSWORD);
        mvc.perform(post("/admin/tenants/new").session(admin).with(csrf())
                        .param("slug", "Bad Slug").param("displayName", "Kept Name"))
                .andExpect(status().isOk())
                .andExpect(view().name("admin/tenants/form"))
                .andExpect(model().attributeHasFieldErrors("tenantForm", "slug"))
                .andExpect(content().string(containsString("value=\"Kept Name\"")));
        String slug = "c-" + UUID.randomUUID().toString().substring(0, 8);
        mvc.perform(post("/admin/tenants/new").session(admin).with(csrf())
                        .param("slug", slug).param("displayName", "Fine").param("id", "999"))
                .andExpect(redirectedUrl("/admin/tenants/" + slug))
                .andExpect(flash().attributeExists("flash"));
        mvc.perform(post("/admin/tenants/new").session(admin).with(csrf())
                        .param("slug", slug).param("displayName", "Again"))
                .andExpect(model().attributeHasFieldErrorCode("tenantForm", "slug", "taken"));
    }

    @Test
    void aTenantMemberSubmitsAWorkloadWithInputFilesFromTheForm() throws Exception {
        String admin = adminToken();
        String tenant = createTenant(admin);
        String user = unique("runner");
        userToken(admin, tenant, user, "TENANT_MEMBER");
        MockHttpSession session = login(user + "@" + tenant, PASSWORD);
        mvc.perform(get("/portal/workloads/new").session(session)).andExpect(status().isOk())
                .andExpect(content().string(containsString("enctype=\"multipart/form-data\"")));

        String location = mvc.perform(multipart("/portal/workloads/new")
                        .file(new MockMultipartFile("files", "in.txt", "text/plain", "hello".getBytes()))
                        .session(session).with(csrf())
                        .param("name", "from-form").param("image", "host").param("platform", "auto")
                        .param("command", "/bin/cat\nin.txt\n").param("env", "A=1\nB=two"))
                .andExpect(status().is3xxRedirection())
                .andExpect(flash().attributeExists("flash"))
                .andReturn().getResponse().getRedirectedUrl();
        mvc.perform(get(location).session(session)).andExpect(status().isOk())
                .andExpect(content().string(containsString("from-form")));

        // what the platform refuses comes back on the field, with what was typed
        mvc.perform(multipart("/portal/workloads/new").session(session).with(csrf())
                        .param("name", "<b>bad name</b>").param("image", "host").param("platform", "auto")
                        .param("command", "/bin/true"))
                .andExpect(status().isOk())
                .andExpect(model().attributeHasFieldErrors("submitForm", "name"))
                .andExpect(content().string(containsString("value=\"&lt;b&gt;bad name&lt;/b&gt;\"")));
    }

    @Test
    void aFormWithoutItsCsrfTokenIsRefused() throws Exception {
        MockHttpSession admin = login("admin", ADMIN_PASSWORD);
        mvc.perform(post("/admin/tenants/new").session(admin).param("slug", "nocsrf").param("displayName", "x"))
                .andExpect(status().isForbidden());
    }

    @Test
    void aTenantUserSeesOnlyTheirOwnTenantAndNoConsole() throws Exception {
        String admin = adminToken();
        String mine = createTenant(admin);
        String user = unique("member");
        userToken(admin, mine, user, "TENANT_MEMBER");
        MockHttpSession session = login(user + "@" + mine, PASSWORD);

        mvc.perform(get("/admin/tenants").session(session).accept(MediaType.TEXT_HTML)).andExpect(status().isForbidden());
        mvc.perform(get("/portal/workloads/" + UUID.randomUUID()).session(session).accept(MediaType.TEXT_HTML))
                .andExpect(status().isNotFound())
                .andExpect(content().string(containsString("Not found")));
        mvc.perform(get("/portal/workloads/not-a-uuid").session(session).accept(MediaType.TEXT_HTML))
                .andExpect(status().isNotFound());
        // a member may look at the members, not invite
        mvc.perform(get("/portal/members").session(session)).andExpect(status().isOk())
                .andExpect(content().string(not(containsString("action=\"/portal/members\""))));
        mvc.perform(post("/portal/members").session(session).with(csrf()).param("username", "sneaky")
                .param("password", PASSWORD).param("role", "TENANT_ADMIN")).andExpect(status().isForbidden());
    }

    @Test
    void whatPeopleWroteIsEscaped() throws Exception {
        String admin = adminToken();
        String slug = unique("x");
        mvc.perform(as(admin, post("/api/v1/tenants"),
                        "{\"slug\":\"" + slug + "\",\"displayName\":\"<script>alert(1)</script>\"}"))
                .andExpect(status().isCreated());
        MockHttpSession session = login("admin", ADMIN_PASSWORD);
        mvc.perform(get("/admin/tenants/" + slug).session(session))
                .andExpect(content().string(containsString("&lt;script&gt;alert(1)&lt;/script&gt;")))
                .andExpect(content().string(not(containsString("<script>alert(1)"))));
    }

    @Test
    void theDashboardChartsRollupEqualsAggregatingTheWorkloads() throws Exception {
        long tenant = jdbc.queryForObject("select id from tenant where slug = ?", Long.class, createTenant(adminToken()));
        String insert = "insert into workload (id, tenant_id, name, image, command, state, cpu_millis, created_at)"
                + " values (?, ?, 'w', 'host', '[\"/bin/true\"]'::jsonb, ?, ?, now() - make_interval(hours => ?))";
        UUID[] ids = new UUID[6];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = UUID.randomUUID();
            jdbc.update(insert, ids[i], tenant, i % 2 == 0 ? "QUEUED" : "SUCCEEDED", i % 2 == 0 ? null : 1500L * i, 20 * i);
        }
        jdbc.update("update workload set state = 'SUCCEEDED', cpu_millis = 777 where id = ?", ids[0]);
        jdbc.update("update workload set cpu_millis = 10 where id = ?", ids[1]);
        jdbc.update("delete from workload where id = ?", ids[3]);
        String rollup = "select day, workloads, cpu_millis from workload_daily where tenant_id = ? and workloads > 0 order by day";
        String direct = "select (created_at at time zone 'UTC')::date as day, count(*) as workloads,"
                + " coalesce(sum(cpu_millis), 0)::bigint as cpu_millis from workload where tenant_id = ? group by 1 order by 1";
        org.assertj.core.api.Assertions.assertThat(jdbc.queryForList(rollup, tenant))
                .hasSizeGreaterThanOrEqualTo(2)
                .isEqualTo(jdbc.queryForList(direct, tenant));
    }

    @Test
    void anImageImportFromTheConsoleNamesTheBadFieldAndKeepsWhatWasTyped() throws Exception {
        MockHttpSession admin = login("admin", ADMIN_PASSWORD);
        mvc.perform(get("/admin/images").session(admin))
                .andExpect(content().string(containsString("enctype=\"multipart/form-data\"")));
        mvc.perform(multipart("/admin/images").file(new MockMultipartFile("archive", "junk.tar", "application/x-tar",
                        "not a tar".repeat(100).getBytes())).session(admin).with(csrf()).param("name", "junk-image"))
                .andExpect(status().isOk())
                .andExpect(model().attributeHasFieldErrors("imageForm", "archive"))
                .andExpect(content().string(containsString("value=\"junk-image\"")));
        mvc.perform(multipart("/admin/images").file(new MockMultipartFile("archive", "x.tar", "application/x-tar",
                        "x".getBytes())).session(admin).with(csrf()).param("name", "Bad Name"))
                .andExpect(model().attributeHasFieldErrors("imageForm", "name"));
        mvc.perform(multipart("/admin/images").session(admin).with(csrf()).param("name", "no-file"))
                .andExpect(model().attributeHasFieldErrors("imageForm", "archive"));
        org.assertj.core.api.Assertions.assertThat(jdbc.queryForObject(
                "select count(*) from image where name in ('junk-image', 'no-file')", Long.class)).isZero();
        // a tenant user cannot import
        String user = unique("member");
        String tenant = createTenant(adminToken());
        userToken(adminToken(), tenant, user, "TENANT_ADMIN");
        mvc.perform(multipart("/admin/images").file(new MockMultipartFile("archive", "x.tar", "application/x-tar",
                        "x".getBytes())).session(login(user + "@" + tenant, PASSWORD)).with(csrf()).param("name", "sneaky")
                        .accept(MediaType.TEXT_HTML))
                .andExpect(status().isForbidden());
    }

    @Test
    void aServicesPageShowsItsDeploymentAndOnlyItsTenantMayStartIt() throws Exception {
        String admin = adminToken();
        String mine = createTenant(admin);
        String theirs = createTenant(admin);
        String owner = unique("owner");
        String stranger = unique("stranger");
        userToken(admin, mine, owner, "TENANT_MEMBER");
        userToken(admin, theirs, stranger, "TENANT_MEMBER");
        long tenantId = jdbc.queryForObject("select id from tenant where slug = ?", Long.class, mine);
        // a service that has stopped: its page offers start, and shows what it was deployed with
        UUID id = UUID.randomUUID();
        jdbc.update("insert into workload (id, tenant_id, name, image, command, state, kind, finished_at)"
                + " values (?, ?, 'web', 'host', '[\"/bin/true\"]'::jsonb, 'CANCELLED', 'SERVICE', now())", id, tenantId);
        jdbc.update("insert into service_deployment (workload_id, tenant_id, service_name, port, restart_policy, health_path,"
                + " status) values (?, ?, 'web', 8123, 'NEVER', '/up', 'STOPPED')", id, tenantId);
        String deployments = "select count(*) from service_deployment where tenant_id = " + tenantId;

        MockHttpSession other = login(stranger + "@" + theirs, PASSWORD);
        for (String action : new String[] {"start", "stop"}) {
            mvc.perform(post("/portal/workloads/" + id + "/" + action).session(other).with(csrf()).accept(MediaType.TEXT_HTML))
                    .andExpect(status().isNotFound());
        }
        mvc.perform(get("/portal/workloads/" + id).session(other).accept(MediaType.TEXT_HTML)).andExpect(status().isNotFound());
        org.assertj.core.api.Assertions.assertThat(jdbc.queryForObject(deployments, Long.class)).isEqualTo(1);

        MockHttpSession session = login(owner + "@" + mine, PASSWORD);
        mvc.perform(get("/portal/workloads/" + id).session(session))
                .andExpect(status().isOk())
                .andExpect(content().string(containsString("id=\"service-port\">8123<")))
                .andExpect(content().string(containsString("Never")))
                .andExpect(content().string(containsString("id=\"service-start\"")))
                .andExpect(content().string(not(containsString("id=\"service-stop\""))));
        mvc.perform(get("/portal/workloads").session(session))
                .andExpect(content().string(containsString("data-kind=\"SERVICE\"")));
        // a job has no stop or start
        String job = submitJob(session);
        mvc.perform(post("/portal/workloads/" + job + "/stop").session(session).with(csrf()).accept(MediaType.TEXT_HTML))
                .andExpect(status().isNotFound());
    }

    private String submitJob(MockHttpSession session) throws Exception {
        String location = mvc.perform(multipart("/portal/workloads/new").session(session).with(csrf())
                        .param("name", "a-job").param("image", "host").param("platform", "auto").param("command", "/bin/true"))
                .andExpect(status().is3xxRedirection())
                .andReturn().getResponse().getRedirectedUrl();
        return location.substring(location.lastIndexOf('/') + 1);
    }
}
