package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.redirectedUrl;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.platform.TestImages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.mock.web.MockMultipartFile;

/**
 * The portal's Services and Images pages and the console's Services list, through the real
 * security chain (form login, CSRF): an image uploaded from the page, a service deployed from
 * the form with a code archive, its page with history, a roll back; another tenant sees none.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServicePagesTests extends ServiceTestSupport {

    @BeforeEach
    void tenantWithAnAdmin() throws Exception {
        newTenantWithAdmin();
    }



    @Test
    void aTenantAdminUploadsAnImageDeploysFromTheFormAndRollsBack() throws Exception {
        MockHttpSession portal = login(ownerName + "@" + tenant, PASSWORD);
        byte[] image = TestImages.dockerSave(TenantImageServiceTests.config("from-the-portal"),
                java.util.List.of(TestImages.Layer.of(TestImages.busyboxLayer())));
        mvc.perform(multipart("/portal/images").file(new MockMultipartFile("archive", "img.tar", "application/x-tar", image))
                        .param("name", "site-image").session(portal).with(csrf()))
                .andExpect(redirectedUrl("/portal/images"));
        assertThat(page(portal, "/portal/images")).contains("data-image=\"site-image\"");

        // the form names the tenant's secrets, never their values
        mvc.perform(as(owner, org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put(
                "/api/v1/tenants/" + tenant + "/secrets/db-pass"), "{\"value\":\"not-shown-anywhere\"}"))
                .andExpect(status().isCreated());
        assertThat(page(portal, "/portal/services/new")).contains("Yours: db-pass").doesNotContain("not-shown-anywhere");

        // the form: the image's own program and port
        mvc.perform(multipart("/portal/services/new").param("name", "site").param("image", "site-image")
                        .param("platform", "ptrace").param("restartPolicy", "ALWAYS").session(portal).with(csrf()))
                .andExpect(redirectedUrl("/portal/services/site"));
        awaitService(owner, tenant, "site", statusIs("HEALTHY"));
        String list = page(portal, "/portal/services");
        assertThat(list).contains("data-service=\"site\"").contains(ServiceTestSupport.host(tenant, "site"));
        // a second version from a code archive on the host image
        mvc.perform(multipart("/portal/services/new")
                        .file(new MockMultipartFile("archive", "app.tar.gz", "application/gzip", ServiceArchiveTests.archive("v2")))
                        .param("name", "site").param("image", "host").param("command", "python3\napp.py").param("port", "8000")
                        .param("platform", "ptrace").param("restartPolicy", "ALWAYS").session(portal).with(csrf()))
                .andExpect(redirectedUrl("/portal/services/site"));
        awaitService(owner, tenant, "site", b -> JsonPath.read(b, "$.archiveDigest") != null
                && "HEALTHY".equals(JsonPath.read(b, "$.status")));
        String detail = page(portal, "/portal/services/site");
        assertThat(detail).contains("id=\"history\"").contains("data-log-src=\"/portal/workloads/")
                .contains(TestImages.sha256(ServiceArchiveTests.archive("v2")).substring(0, 19));
        // roll back from the page: the image's deployment again
        mvc.perform(post("/portal/services/site/rollback").session(portal).with(csrf()))
                .andExpect(redirectedUrl("/portal/services/site"));
        awaitService(owner, tenant, "site", b -> JsonPath.read(b, "$.archiveDigest") == null
                && "HEALTHY".equals(JsonPath.read(b, "$.status")));

        // the console lists it among every tenant's
        MockHttpSession console = login("admin", ADMIN_PASSWORD);
        assertThat(page(console, "/admin/services")).contains("data-service=\"site\"");
        assertThat(page(console, "/admin/services/" + tenant + "/site")).contains("id=\"history\"");

        // another tenant sees neither the image nor the service
        String other = createTenant(admin);
        String strangerName = unique("x");
        userToken(admin, other, strangerName, "TENANT_ADMIN");
        MockHttpSession stranger = login(strangerName + "@" + other, PASSWORD);
        assertThat(page(stranger, "/portal/images")).doesNotContain("site-image");
        assertThat(page(stranger, "/portal/services")).doesNotContain("data-service=\"site\"");
        assertThat(page(stranger, "/portal/services/new")).doesNotContain("site-image");
        mvc.perform(get("/portal/services/site").session(stranger)).andExpect(status().isNotFound());
    }
}
