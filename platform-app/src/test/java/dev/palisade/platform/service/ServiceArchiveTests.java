package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.platform.TestArchives;
import dev.palisade.platform.TestImages;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.mock.web.MockMultipartFile;

/**
 * Services deployed from a code archive: unpacked read-only at /app, the working directory;
 * a new archive rolls over with no failed request while a client polls; the history keeps each
 * deployment's archive digest, image and who made it; a roll back brings the old code back.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServiceArchiveTests extends ServiceTestSupport {

    /** The app: says its version, and whether it could write into its own code directory. */
    static String app(String version) {
        return """
                import http.server, os
                try:
                    open('written', 'w').write('x')
                    ro = 'writable'
                except OSError:
                    ro = 'read-only'
                class H(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        out = ('%s %s %s' % ('VERSION', os.getcwd(), ro)).encode()
                        self.send_response(200)
                        self.send_header('Content-Length', str(len(out)))
                        self.end_headers()
                        self.wfile.write(out)
                    def log_message(self, *a):
                        pass
                http.server.ThreadingHTTPServer(('127.0.0.1', 8000), H).serve_forever()
                """.replace("VERSION", version);
    }

    /** Each version's archive, made once: a tar entry carries the time it was made. */
    static final java.util.Map<String, byte[]> ARCHIVES = new java.util.concurrent.ConcurrentHashMap<>();

    static byte[] archive(String version) throws Exception {
        byte[] made = ARCHIVES.get(version);
        if (made == null) {
            made = TestArchives.tarGz(t -> TestArchives.entry(t, "app.py", TestImages.utf8(app(version)), 0100644, null));
            ARCHIVES.put(version, made);
        }
        return made;
    }

    static final String SPEC = "{\"name\":\"api\",\"port\":8000,\"healthPath\":\"/\",\"platform\":\"ptrace\","
            + "\"command\":[\"python3\",\"app.py\"]}";

    @BeforeEach
    void tenantWithAnAdmin() throws Exception {
        newTenantWithAdmin();
    }

    String deployArchive(byte[] archive) throws Exception {
        return mvc.perform(multipart("/api/v1/tenants/" + tenant + "/services")
                        .file(new MockMultipartFile("spec", "", "application/json", TestImages.utf8(SPEC)))
                        .file(new MockMultipartFile("archive", "app.tar.gz", "application/gzip", archive))
                        .header("Authorization", "Bearer " + owner))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
    }

    HttpResponse<String> request() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .header("Host", ServiceTestSupport.host(tenant, "api"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Polls the service until {@code body} answers, counting every answer that is not a 200 meanwhile. */
    String pollUntil(String body, List<String> failures) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(45).toNanos();
        String last = null;
        while (System.nanoTime() < end) {
            HttpResponse<String> r = request();
            last = r.statusCode() + " " + r.body();
            if (r.statusCode() != 200) {
                failures.add(last);
            } else if (r.body().equals(body)) {
                return r.body();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("never answered " + body + "; last " + last);
    }

    @Test
    void aServiceRollsOverToANewArchiveWithoutAFailedRequestAndRollsBack() throws Exception {
        String first = deployArchive(archive("v1"));
        String v1 = JsonPath.read(first, "$.workloadId");
        assertThat((String) JsonPath.read(first, "$.archiveDigest")).isEqualTo(TestImages.sha256(archive("v1")));
        awaitService(owner, tenant, "api", statusIs("HEALTHY"));
        assertThat(request().body()).isEqualTo("v1 /app read-only");

        // v2 while a client polls: the ingress keeps answering from v1 until v2 is healthy
        List<String> failures = new ArrayList<>();
        AtomicBoolean done = new AtomicBoolean();
        List<String> background = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread poller = new Thread(() -> {
            while (!done.get()) {
                try {
                    HttpResponse<String> r = request();
                    if (r.statusCode() != 200) {
                        background.add(r.statusCode() + " " + r.body());
                    }
                } catch (Exception e) {
                    background.add(e.toString());
                }
            }
        });
        poller.start();
        try {
            deployArchive(archive("v2"));
            pollUntil("v2 /app read-only", failures);
            awaitService(owner, tenant, "api", b -> "HEALTHY".equals(JsonPath.read(b, "$.status")));
            Thread.sleep(500);
        } finally {
            done.set(true);
            poller.join();
        }
        assertThat(failures).isEmpty();
        assertThat(background).isEmpty();

        // the history: newest first, with digests, image and who
        String history = mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/services/api/deployments")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        assertThat((List<String>) JsonPath.read(history, "$[*].archiveDigest"))
                .containsExactly(TestImages.sha256(archive("v2")), TestImages.sha256(archive("v1")));
        assertThat((List<String>) JsonPath.read(history, "$[*].image")).containsOnly("host");
        assertThat((List<String>) JsonPath.read(history, "$[*].deployedBy")).hasSize(2).doesNotContainNull();

        // roll back (to the one before, by default): v1 again, as a third deployment
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/services/api/rollback")))
                .andExpect(status().isCreated());
        pollUntil("v1 /app read-only", failures);
        assertThat(failures).isEmpty();
        String after = mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/services/api/deployments")))
                .andReturn().getResponse().getContentAsString();
        assertThat((List<String>) JsonPath.read(after, "$[*].archiveDigest")).containsExactly(
                TestImages.sha256(archive("v1")), TestImages.sha256(archive("v2")), TestImages.sha256(archive("v1")));
        // and to a named one, once the roll-back before has ended (a rolling deploy drains the old
        // instance after the new one answers; another deploy meanwhile is refused with 409)
        int named = 409;
        for (long end = System.currentTimeMillis() + 60_000; named == 409 && System.currentTimeMillis() < end; ) {
            named = mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/services/api/rollback"),
                    "{\"deployment\":\"" + v1 + "\"}")).andReturn().getResponse().getStatus();
            if (named == 409) {
                Thread.sleep(200);
            }
        }
        assertThat(named).isEqualTo(201);
        // a hostile archive is refused at deploy
        byte[] evil = TestArchives.tarGz(t -> TestArchives.entry(t, "../x", TestImages.utf8("x"), 0100644, null));
        mvc.perform(multipart("/api/v1/tenants/" + tenant + "/services")
                        .file(new MockMultipartFile("spec", "", "application/json", TestImages.utf8(SPEC)))
                        .file(new MockMultipartFile("archive", "app.tar.gz", "application/gzip", evil))
                        .header("Authorization", "Bearer " + owner))
                .andExpect(status().isBadRequest());
    }
}
