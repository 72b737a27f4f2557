package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.github.luben.zstd.ZstdOutputStream;
import com.jayway.jsonpath.JsonPath;
import dev.palisade.platform.TestArchives;
import dev.palisade.platform.TestImages;
import dev.palisade.platform.TestImages.Layer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.web.servlet.ResultActions;

/**
 * A tenant's own image, uploaded through the API and run as a service in the real sandbox: its
 * config is honoured (Entrypoint, Cmd, Env, WorkingDir, ExposedPorts), only its tenant sees it,
 * its layers are checked against their digests and unpacked with the image hardening (a refusal
 * names the layer), kept once across tenants, counted against storage, and not deleted in use.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class TenantImageServiceTests extends ServiceTestSupport {

    /** The image's program: a page saying who and where it is, served by busybox httpd on the exposed port. */
    static Map<String, Object> config(String greeting) {
        return Map.of(
                "Entrypoint", List.of("/bin/sh", "-c"),
                "Cmd", List.of("mkdir -p /tmp/www && echo \"$GREETING from $(pwd) as $(id -u)\" > /tmp/www/index.html"
                        + " && exec /bin/busybox httpd -f -p 127.0.0.1:8080 -h /tmp/www"),
                "Env", List.of("GREETING=" + greeting, "PATH=/bin"),
                "WorkingDir", "/srv/app",
                "User", "1000",
                "ExposedPorts", Map.of("8080/tcp", Map.of()));
    }

    @BeforeEach
    void tenantWithAnAdmin() throws Exception {
        newTenantWithAdmin();
    }

    ResultActions upload(String token, String slug, String name, byte[] archive) throws Exception {
        return mvc.perform(as(token, post("/api/v1/tenants/" + slug + "/images").param("name", name))
                .contentType("application/x-tar").content(archive));
    }

    String refusal(byte[] archive) throws Exception {
        return upload(owner, tenant, unique("bad"), archive).andExpect(status().isBadRequest())
                .andReturn().getResponse().getContentAsString();
    }

    @Test
    void aTenantRunsAServiceOnItsOwnImageWhichNoOtherTenantSees() throws Exception {
        byte[] busybox = TestImages.busyboxLayer();
        Layer plain = Layer.of(busybox);
        byte[] image = TestImages.dockerSave(config("hello"), List.of(plain));
        // a member may not upload, a tenant admin may
        String member = userToken(admin, tenant, unique("dev"), "TENANT_MEMBER");
        upload(member, tenant, "web", image).andExpect(status().isForbidden());
        String uploaded = upload(owner, tenant, "web", image).andExpect(status().isCreated())
                .andReturn().getResponse().getContentAsString();
        assertThat((Integer) JsonPath.read(uploaded, "$.config.exposedPort")).isEqualTo(8080);
        assertThat((String) JsonPath.read(uploaded, "$.config.workingDir")).isEqualTo("/srv/app");
        long size = ((Number) JsonPath.read(uploaded, "$.sizeBytes")).longValue();
        assertThat(size).isGreaterThan(1_000_000);
        assertThat(mvc.perform(as(member, get("/api/v1/images"))).andReturn().getResponse().getContentAsString())
                .contains("\"name\":\"web\",\"kind\":\"tenant\"");
        // counted as stored
        String usage = mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/usage"))).andReturn().getResponse()
                .getContentAsString();
        assertThat(usage).contains("\"storedBytes\":" + size);

        // no command, no port: the image's Entrypoint + Cmd, Env, WorkingDir and exposed port
        // (ptrace: the KVM platform answers busybox's fork by clone with ENOSYS)
        deploy(owner, tenant, "{\"name\":\"site\",\"image\":\"web\",\"platform\":\"ptrace\"}");
        awaitService(owner, tenant, "site", statusIs("HEALTHY"));
        long tenantId = jdbc.queryForObject("select id from tenant where slug = ?", Long.class, tenant);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .header("Host", host(tenant, "site") + ":" + port).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.body()).isEqualTo("hello from /srv/app as " + (200000 + tenantId) + "\n");

        // another tenant: neither listed, nor usable, nor reachable by path
        String other = createTenant(admin);
        String stranger = userToken(admin, other, unique("x"), "TENANT_ADMIN");
        assertThat(mvc.perform(as(stranger, get("/api/v1/images"))).andReturn().getResponse().getContentAsString())
                .doesNotContain("\"web\"");
        mvc.perform(as(stranger, get("/api/v1/tenants/" + tenant + "/images"))).andExpect(status().isNotFound());
        mvc.perform(as(stranger, post("/api/v1/tenants/" + other + "/services"),
                "{\"name\":\"steal\",\"image\":\"web\",\"port\":8080}")).andExpect(status().isBadRequest());
        mvc.perform(as(stranger, delete("/api/v1/tenants/" + tenant + "/images/web"))).andExpect(status().isNotFound());

        // the same layers uploaded by the other tenant (zstd-compressed this time) are kept once
        byte[] zstdLayer;
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        try (ZstdOutputStream out = new ZstdOutputStream(z)) {
            out.write(busybox);
        }
        zstdLayer = z.toByteArray();
        upload(stranger, other, "web", TestImages.dockerSave(config("hi"), List.of(new Layer(zstdLayer, plain.diffId()))))
                .andExpect(status().isCreated());
        assertThat(jdbc.queryForObject("select count(*) from image_layer where digest = ?", Integer.class, plain.diffId()))
                .isEqualTo(1);
        // and each tenant still sees only its own
        assertThat(mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/images/web"))).andReturn().getResponse()
                .getContentAsString()).contains("GREETING").doesNotContain("\"hi\"");

        // in use: refused, naming the service
        String inUse = mvc.perform(as(owner, delete("/api/v1/tenants/" + tenant + "/images/web")))
                .andExpect(status().isConflict()).andReturn().getResponse().getContentAsString();
        assertThat(inUse).contains("site");
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/services/site/stop"))).andExpect(status().isOk());
        awaitService(owner, tenant, "site", b -> !"RUNNING".equals(JsonPath.read(b, "$.state")));
        mvc.perform(as(owner, delete("/api/v1/tenants/" + tenant + "/images/web"))).andExpect(status().isNoContent());
        assertThat(mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/usage"))).andReturn().getResponse()
                .getContentAsString()).doesNotContain("\"storedBytes\":" + size);
        // the other tenant's image still has the layer; gone with the last image that has it
        assertThat(jdbc.queryForObject("select count(*) from image_layer where digest = ?", Integer.class, plain.diffId()))
                .isEqualTo(1);
        mvc.perform(as(stranger, delete("/api/v1/tenants/" + other + "/images/web"))).andExpect(status().isNoContent());
        assertThat(jdbc.queryForObject("select count(*) from image_layer where digest = ?", Integer.class, plain.diffId()))
                .isZero();
    }

    @Test
    void hostileOrDamagedImagesAreRefusedNamingTheLayer() throws Exception {
        byte[] busybox = TestImages.busyboxLayer();
        Layer good = Layer.of(busybox);
        // a layer whose content does not match its diff_id
        String mismatch = refusal(TestImages.dockerSave(config("x"), List.of(good,
                new Layer(TestArchives.tar(t -> TestArchives.entry(t, "etc/x", TestImages.utf8("x"), 0100644, null)),
                        good.diffId()))));
        assertThat(mismatch).contains("layer 2 (" + good.diffId() + ")").contains("does not match its digest");
        // '..'
        String dots = refusal(TestImages.dockerSave(config("x"), List.of(Layer.of(
                TestArchives.tar(t -> TestArchives.entry(t, "../../outside", TestImages.utf8("x"), 0100644, null))))));
        assertThat(dots).contains("layer 1 (sha256:").contains("'..'");
        // a hard link to a file outside the image
        String hardLink = refusal(TestImages.dockerSave(config("x"), List.of(Layer.of(TestArchives.tar(t -> {
            TarArchiveEntry e = new TarArchiveEntry("etc/passwd", TarArchiveEntry.LF_LINK);
            e.setLinkName("/etc/shadow");
            t.putArchiveEntry(e);
            t.closeArchiveEntry();
        })))));
        assertThat(hardLink).contains("layer 1 (sha256:").contains("/etc/shadow");
        // a write through a symbolic link made by an earlier layer
        String throughLink = refusal(TestImages.dockerSave(config("x"), List.of(
                Layer.of(TestArchives.tar(t -> TestArchives.entry(t, "escape", null, 0120777, "/etc"))),
                Layer.of(TestArchives.tar(t -> TestArchives.entry(t, "escape/cron.d/x", TestImages.utf8("x"), 0100644, null))))));
        assertThat(throughLink).contains("layer 2 (sha256:").contains("symbolic link");
        // a device file
        String device = refusal(TestImages.dockerSave(config("x"), List.of(Layer.of(TestArchives.tar(t -> {
            TarArchiveEntry e = new TarArchiveEntry("dev/sda", TarArchiveEntry.LF_BLK);
            e.setDevMajor(8);
            t.putArchiveEntry(e);
            t.closeArchiveEntry();
        })))));
        assertThat(device).contains("layer 1 (sha256:").contains("device");
        // a config whose name says another digest than its content
        byte[] renamed = TestArchives.tar(t -> {
            TestArchives.entry(t, "0".repeat(64) + ".json", TestImages.utf8("{\"rootfs\":{\"diff_ids\":[]}}"), 0100644, null);
            TestArchives.entry(t, "manifest.json", TestImages.utf8("[{\"Config\":\"" + "0".repeat(64) + ".json\",\"Layers\":[]}]"),
                    0100644, null);
        });
        assertThat(refusal(renamed)).contains("does not match its digest");
        // nothing of any of them was kept
        long tenantId = jdbc.queryForObject("select id from tenant where slug = ?", Long.class, tenant);
        assertThat(jdbc.queryForObject("select count(*) from tenant_image where tenant_id = ?", Integer.class, tenantId)).isZero();
    }

    @Test
    void anImagePastTheStorageQuotaIsRefused() throws Exception {
        mvc.perform(as(admin, org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put(
                "/api/v1/tenants/" + tenant + "/quota"), """
                {"maxConcurrentWorkloads":4,"maxCpuMillis":60000,"maxWallMillis":300000,"maxMemoryBytes":536870912,
                 "maxProcesses":64,"maxOutputBytes":10485760,"cpuSecondsPerMonth":36000,"storageBytes":100000}"""))
                .andExpect(status().isOk());
        upload(owner, tenant, "big", TestImages.dockerSave(config("x"), List.of(Layer.of(TestImages.busyboxLayer()))))
                .andExpect(status().isUnprocessableContent())
                .andExpect(org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath("$.limit").value("storageBytes"));
    }
}
