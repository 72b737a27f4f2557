package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;

/**
 * Volumes through the REST API and the real ingress, with services in the real sandbox: a
 * service keeps its notes on its volume across a restart, a redeploy and a stop and start; the
 * volume fills up with ENOSPC; a read-only mount refuses writes; a volume in use is neither
 * deleted nor exported; export and import carry its files; another tenant's service never sees
 * them, and no tenant mounts another's volume.
 */
@org.springframework.boot.test.context.SpringBootTest(
        webEnvironment = org.springframework.boot.test.context.SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServiceVolumeTests extends ServiceTestSupport {

    static final String NOTES = resource("/services/volume_notes.py");
    static final long SIZE = 16L << 20;

    @Value("${palisade.data-dir}")
    Path dataDir;

    @BeforeEach
    void tenantWithAnAdmin() throws Exception {
        newTenantWithAdmin();
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.palisade.sandbox.VolumeImage.unavailableReason() == null,
                () -> "volumes unavailable: " + dev.palisade.sandbox.VolumeImage.unavailableReason());
    }

    private String createVolume(String token, String slug, String name, long size, int expected) throws Exception {
        return mvc.perform(as(token, post("/api/v1/tenants/" + slug + "/volumes"),
                        "{\"name\":\"" + name + "\",\"sizeBytes\":" + size + "}"))
                .andExpect(status().is(expected)).andReturn().getResponse().getContentAsString();
    }

    static String notesService(String name, String volume, String path, boolean readOnly) {
        return """
                {"name":"%s","port":8000,"healthPath":"/","command":["python3","-c",%s,"8000","%s"],
                 "volumes":[{"volume":"%s","path":"%s","readOnly":%s}]}"""
                .formatted(name, json(NOTES), path, volume, path, readOnly);
    }

    private HttpResponse<String> request(String slug, String service, String method, String path, String body)
            throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .header("Host", host(slug, service)).timeout(Duration.ofSeconds(60))
                        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String notes(String slug, String service) throws Exception {
        HttpResponse<String> r = request(slug, service, "GET", "/", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    /** Waits until the service's newest deployment is not {@code previous} and is healthy. */
    private String awaitNewDeployment(String slug, String name, String previous) throws Exception {
        return awaitService(owner, slug, name,
                b -> !previous.equals(JsonPath.read(b, "$.workloadId")) && "HEALTHY".equals(JsonPath.read(b, "$.status")));
    }

    private void stop(String slug, String name) throws Exception {
        mvc.perform(as(owner, post("/api/v1/tenants/" + slug + "/services/" + name + "/stop"))).andExpect(status().isOk());
        awaitService(owner, slug, name, b -> !List.of("QUEUED", "RUNNING").contains((String) JsonPath.read(b, "$.state")));
    }

    @Test
    void aServiceKeepsItsNotesOnItsVolumeThroughRestartsRedeploysExportAndImport() throws Exception {
        long storedBefore = stored(tenant);
        String created = createVolume(owner, tenant, "notes", SIZE, 201);
        assertThat((String) JsonPath.read(created, "$.state")).isEqualTo("READY");
        assertThat(((Number) JsonPath.read(created, "$.sizeBytes")).longValue()).isEqualTo(SIZE);
        assertThat(created).doesNotContain(dataDir.toString());
        // its size counts as stored from now on
        assertThat(stored(tenant)).isEqualTo(storedBefore + SIZE);
        createVolume(owner, tenant, "notes", SIZE, 409);

        String first = deploy(owner, tenant, notesService("keeper", "notes", "/srv/notes", false));
        assertThat((List<Map<String, Object>>) JsonPath.read(first, "$.volumes"))
                .containsExactly(Map.of("volume", "notes", "path", "/srv/notes", "readOnly", false));
        awaitService(owner, tenant, "keeper", statusIs("HEALTHY"));
        assertThat(request(tenant, "keeper", "POST", "/a", "first").statusCode()).isEqualTo(201);
        assertThat(notes(tenant, "keeper")).isEqualTo("a=first\n");

        // full: the program gets ENOSPC, after writing no more than the volume holds
        String fill = request(tenant, "keeper", "GET", "/fill", null).body();
        assertThat(fill).startsWith("fill=ENOSPC written=");
        assertThat(Long.parseLong(fill.trim().substring(fill.indexOf("written=") + 8))).isLessThanOrEqualTo(SIZE);

        // in use: neither deleted nor exported
        String refused = mvc.perform(as(owner, delete("/api/v1/tenants/" + tenant + "/volumes/notes")))
                .andExpect(status().isConflict()).andReturn().getResponse().getContentAsString();
        assertThat(refused).contains("service keeper");
        mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/volumes/notes/archive"))).andExpect(status().isConflict());
        assertThat((List<String>) JsonPath.read(mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/volumes/notes")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString(), "$.usedBy"))
                .containsExactly("service keeper");

        // a redeploy, then a stop and a start: the notes are still there
        String firstId = JsonPath.read(first, "$.workloadId");
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/services/keeper/redeploy"))).andExpect(status().isCreated());
        String second = awaitNewDeployment(tenant, "keeper", firstId);
        assertThat(notes(tenant, "keeper")).isEqualTo("a=first\n");
        assertThat(request(tenant, "keeper", "POST", "/b", "second").statusCode()).isEqualTo(201);
        stop(tenant, "keeper");
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/services/keeper/start"))).andExpect(status().isCreated());
        awaitNewDeployment(tenant, "keeper", JsonPath.read(second, "$.workloadId"));
        assertThat(notes(tenant, "keeper")).isEqualTo("a=first\nb=second\n");

        // read-only: reads, never writes
        deploy(owner, tenant, notesService("reader", "notes", "/srv/ro", true));
        awaitService(owner, tenant, "reader", statusIs("HEALTHY"));
        assertThat(notes(tenant, "reader")).isEqualTo("a=first\nb=second\n");
        HttpResponse<String> write = request(tenant, "reader", "POST", "/c", "nope");
        assertThat(write.statusCode()).isEqualTo(500);
        assertThat(write.body()).isEqualTo("refused: EROFS\n");

        // stopped, it exports its files as a tar, and an import replaces them
        stop(tenant, "keeper");
        stop(tenant, "reader");
        byte[] tar = mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/volumes/notes/archive")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsByteArray();
        assertThat(untar(tar)).isEqualTo(Map.of("a", "first", "b", "second"));
        mvc.perform(as(owner, put("/api/v1/tenants/" + tenant + "/volumes/notes/archive"))
                        .contentType("application/x-tar").content(tar(Map.of("imported", "from a tar"))))
                .andExpect(status().isOk());
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/services/keeper/start"))).andExpect(status().isCreated());
        awaitService(owner, tenant, "keeper", statusIs("HEALTHY"));
        assertThat(notes(tenant, "keeper")).isEqualTo("imported=from a tar\n");
        // a malformed archive is refused, and the files stay
        stop(tenant, "keeper");
        mvc.perform(as(owner, put("/api/v1/tenants/" + tenant + "/volumes/notes/archive"))
                        .contentType("application/x-tar").content("not a tar".getBytes(StandardCharsets.UTF_8)))
                .andExpect(status().isBadRequest());

        // deleted once nothing mounts it: its bytes leave the quota and its image the disk
        Path image = dataDir.resolve("volumes/images/" + jdbc.queryForObject("select v.id from volume v join tenant t "
                + "on t.id = v.tenant_id where t.slug = ? and v.name = 'notes'", java.util.UUID.class, tenant) + ".img");
        assertThat(Files.size(image)).isEqualTo(SIZE);
        long storedBeforeDelete = stored(tenant); // the services' logs count as stored too
        mvc.perform(as(owner, delete("/api/v1/tenants/" + tenant + "/volumes/notes"))).andExpect(status().isNoContent());
        assertThat(stored(tenant)).isEqualTo(storedBeforeDelete - SIZE);
        assertThat(image).doesNotExist();
        // a start of a service whose volume is gone is refused, naming it; it never runs without it
        String gone = mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/services/keeper/start")))
                .andExpect(status().isConflict()).andReturn().getResponse().getContentAsString();
        assertThat(gone).contains("volume 'notes' does not exist");
    }

    @Test
    void noTenantMountsOrReadsAnotherTenantsVolume() throws Exception {
        createVolume(owner, tenant, "shared-name", SIZE, 201);
        deploy(owner, tenant, notesService("mine", "shared-name", "/data", false));
        awaitService(owner, tenant, "mine", statusIs("HEALTHY"));
        assertThat(request(tenant, "mine", "POST", "/secret", "tenant one's").statusCode()).isEqualTo(201);

        String other = createTenant(admin);
        String stranger = userToken(admin, other, unique("x"), "TENANT_ADMIN");
        // neither seen nor exported nor deleted nor mounted by name from the other tenant
        mvc.perform(as(stranger, get("/api/v1/tenants/" + tenant + "/volumes"))).andExpect(status().isNotFound());
        mvc.perform(as(stranger, get("/api/v1/tenants/" + tenant + "/volumes/shared-name/archive")))
                .andExpect(status().isNotFound());
        mvc.perform(as(stranger, delete("/api/v1/tenants/" + tenant + "/volumes/shared-name"))).andExpect(status().isNotFound());
        String refused = mvc.perform(as(stranger, post("/api/v1/tenants/" + other + "/services"),
                        notesService("thief", "shared-name", "/data", true)))
                .andExpect(status().isBadRequest()).andReturn().getResponse().getContentAsString();
        assertThat(refused).contains("no volume named shared-name");
        // a volume of its own of the same name is its own, empty
        createVolume(stranger, other, "shared-name", SIZE, 201);
        deploy(stranger, other, notesService("theirs", "shared-name", "/data", false));
        awaitService(stranger, other, "theirs", statusIs("HEALTHY"));
        assertThat(notes(other, "theirs")).isEqualTo("\n");
        assertThat(notes(tenant, "mine")).isEqualTo("secret=tenant one's\n");
        // on the host each is its own tenant's uid's alone
        Path mounts = dataDir.resolve("volumes/mnt");
        try (var dirs = Files.list(mounts)) {
            List<Path> all = dirs.toList();
            assertThat(all).hasSize(2);
            for (Path d : all) {
                assertThat(Files.getPosixFilePermissions(d)).isEqualTo(java.nio.file.attribute.PosixFilePermissions
                        .fromString("rwx------"));
            }
            assertThat(all.stream().map(this::owner).distinct().count()).isEqualTo(2);
        }
    }

    @Test
    void mountsAreCheckedAndOnlyTenantAdminsManageVolumes() throws Exception {
        createVolume(owner, tenant, "data", SIZE, 201);
        String member = userToken(admin, tenant, unique("dev"), "TENANT_MEMBER");
        createVolume(member, tenant, "mine", SIZE, 403);
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/volumes"))).andExpect(status().isOk());
        mvc.perform(as(member, delete("/api/v1/tenants/" + tenant + "/volumes/data"))).andExpect(status().isForbidden());
        createVolume(owner, tenant, "Bad_Name", SIZE, 400);
        createVolume(owner, tenant, "tiny", 1024, 400);
        // past the storage quota (1 GiB by default): 422, nothing created
        String over = createVolume(owner, tenant, "huge", 2L << 30, 422);
        assertThat(over).contains("storageBytes");
        mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/volumes/huge"))).andExpect(status().isNotFound());

        Map<String, String> refusedPaths = new LinkedHashMap<>();
        refusedPaths.put("/", "absolute path");
        refusedPaths.put("data", "absolute path");
        refusedPaths.put("/srv/../etc", "absolute path");
        refusedPaths.put("/proc/x", "/proc");
        refusedPaths.put("/dev", "/dev");
        refusedPaths.put("/etc/app", "/etc");
        refusedPaths.put("/usr/local/data", "/usr");
        refusedPaths.put("/tmp/data", "/tmp");
        refusedPaths.put("/workspace/data", "/workspace");
        refusedPaths.put("/run/secrets", "/run");
        refusedPaths.put("/app", "/app");
        refusedPaths.put("/var", "itself");
        for (var e : refusedPaths.entrySet()) {
            String answer = mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/services"),
                            notesService("bad", "data", e.getKey(), false)))
                    .andExpect(status().isBadRequest()).andReturn().getResponse().getContentAsString();
            assertThat(answer).as(e.getKey()).contains(e.getValue());
        }
        String overlap = mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/services"), """
                        {"name":"bad","port":8000,"command":["true"],
                         "volumes":[{"volume":"data","path":"/data"},{"volume":"data","path":"/data/sub"}]}"""))
                .andExpect(status().isBadRequest()).andReturn().getResponse().getContentAsString();
        assertThat(overlap).contains("overlaps");
        // a job mounts one too, and what it writes stays
        String job = mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/workloads"), """
                        {"name":"writer","command":["/bin/sh","-c","echo from-a-job > /data/job.txt && cat /data/job.txt"],
                         "platform":"ptrace","volumes":[{"volume":"data","path":"/data"}]}"""))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        String id = JsonPath.read(job, "$.id");
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String state = "";
        while (System.nanoTime() < end && !List.of("SUCCEEDED", "FAILED").contains(state)) {
            Thread.sleep(100);
            state = JsonPath.read(mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/workloads/" + id)))
                    .andReturn().getResponse().getContentAsString(), "$.state");
        }
        assertThat(state).isEqualTo("SUCCEEDED");
        byte[] tar = mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/volumes/data/archive")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsByteArray();
        assertThat(untar(tar)).isEqualTo(Map.of("job.txt", "from-a-job\n"));
    }

    private Object owner(Path p) {
        try {
            return Files.getAttribute(p, "unix:uid");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private long stored(String slug) {
        return jdbc.queryForObject("select coalesce(sum(u.stored_bytes), 0) from tenant_usage u join tenant t on t.id = u.tenant_id "
                + "where t.slug = ?", Long.class, slug);
    }

    static Map<String, String> untar(byte[] tar) throws Exception {
        Map<String, String> files = new LinkedHashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
                if (e.isFile()) {
                    files.put(e.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        }
        return files;
    }

    static byte[] tar(Map<String, String> files) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
            for (var f : files.entrySet()) {
                byte[] data = f.getValue().getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(f.getKey());
                e.setSize(data.length);
                out.putArchiveEntry(e);
                out.write(data);
                out.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
