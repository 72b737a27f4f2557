package dev.palisade.platform.service;

import static dev.palisade.platform.TestArchives.entry;
import static dev.palisade.platform.TestArchives.tar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.sandbox.platform.kvm.KvmPlatform;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.mock.web.MockMultipartFile;

/**
 * A service on the KVM platform through the real ingress: a tiny static HTTP server written in C
 * (the sandbox engine's test server, built here with gcc -static) in an imported OCI image,
 * listening on the KVM Sentry's own loopback and reached only through {@code Sandbox.connect}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class KvmServiceIngressTests extends ServiceTestSupport {
    private static final Path SERVER_SOURCE = Path.of("../sandbox-engine/src/test/resources/kvm/tinyhttp.c");

    private HttpResponse<String> request(String tenant, String service, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Host", host(tenant, service) + ":" + port).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] staticServer() throws Exception {
        Path dir = Files.createTempDirectory("palisade-tinyhttp");
        Path out = dir.resolve("tinyhttp");
        Process p = new ProcessBuilder("gcc", "-static", "-O2", "-w", "-o", out.toString(), SERVER_SOURCE.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(log).isZero();
        return Files.readAllBytes(out);
    }

    @Test
    void aStaticCServerOnTheKvmPlatformServesThroughTheIngress() throws Exception {
        assumeTrue(new KvmPlatform().unavailableReason().isEmpty(), "no usable /dev/kvm here");
        assumeTrue(Files.exists(SERVER_SOURCE), "the sandbox engine's test server source is not next to this module");
        String admin = adminToken();
        String tenant = createTenant(admin);
        String member = userToken(admin, tenant, unique("dev"), "TENANT_MEMBER");

        byte[] server = staticServer();
        byte[] layer = tar(tar -> {
            entry(tar, "bin/", null, 040755, null);
            entry(tar, "bin/tinyhttp", server, 0100755, null);
        });
        byte[] image = tar(tar -> {
            entry(tar, "manifest.json", "[{\"Layers\":[\"l/layer.tar\"]}]".getBytes(StandardCharsets.UTF_8), 0100644, null);
            entry(tar, "l/layer.tar", layer, 0100644, null);
        });
        String name = unique("cweb");
        mvc.perform(multipart("/api/v1/images").file(new MockMultipartFile("archive", "cweb.tar", "application/x-tar", image))
                        .param("name", name).header("Authorization", "Bearer " + admin))
                .andExpect(status().isCreated());

        mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/services"), """
                        {"name":"cweb","image":"%s","platform":"kvm","port":8000,"healthPath":"/health",
                         "command":["/bin/tinyhttp","8000"]}""".formatted(name)))
                .andExpect(status().isCreated());
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String shown = null;
        while (System.nanoTime() < end) {
            shown = mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/services/cweb")))
                    .andReturn().getResponse().getContentAsString();
            if ("HEALTHY".equals(JsonPath.read(shown, "$.status"))) {
                break;
            }
            Thread.sleep(50);
        }
        assertThat((String) JsonPath.read(shown, "$.status")).as(shown).isEqualTo("HEALTHY");

        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = request(tenant, "cweb", "/page/" + i + "?q=1");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).matches("request \\d+: GET /page/" + i + "\\?q=1 HTTP/1\\.[01]\n");
        }
        String after = mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/services/cweb")))
                .andReturn().getResponse().getContentAsString();
        assertThat((Integer) JsonPath.read(after, "$.requests.byStatus.200")).isEqualTo(3);
        // the workload really runs on KVM
        String id = JsonPath.read(after, "$.workloadId");
        assertThat(mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + id)))
                .andReturn().getResponse().getContentAsString()).contains("\"platform\":\"kvm\"");
    }
}
