package dev.palisade.platform.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.platform.TestDatabase;
import dev.palisade.platform.api.ApiTestSupport;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockMultipartFile;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A workload's /workspace is a filesystem of its own, bounded by the tenant's storage quota and
 * {@code palisade.workloads.max-workspace-size}: a program that tries to fill the host's disk
 * with many small files or one big file stops at the bound, ends {@code disk_limit}, and what it
 * wrote to /workspace/out before is still returned as artifacts. Real sandbox, real PostgreSQL.
 */
class WorkspaceBoundTests extends ApiTestSupport {

    static final long BOUND = 2L << 20;
    static Path dataDir;

    @DynamicPropertySource
    static void smallWorkspaces(DynamicPropertyRegistry registry) throws Exception {
        // a database of its own: no other context's worker claims these runs, and this one's claims no
        // other context's service, whose workspace would then be mounted under this data directory
        registry.add("spring.datasource.url", () -> TestDatabase.own("palisade_workspace_bound"));
        dataDir = Files.createTempDirectory("palisade-workspace-tests");
        registry.add("palisade.data-dir", dataDir::toString);
        registry.add("palisade.workloads.max-workspace-size", () -> BOUND + "B");
    }

    String admin;
    String tenant;
    String member;

    @BeforeEach
    void tenantWithAMember() throws Exception {
        assumeTrue(new PtracePlatform().unavailableReason().isEmpty(), "the ptrace platform needs Linux x86-64");
        admin = adminToken();
        tenant = createTenant(admin);
        member = userToken(admin, tenant, unique("dev"), "TENANT_MEMBER");
    }

    /** Keeps a file in out/, reports its workspace's filesystem, then runs {@code attack}. */
    private String runAttack(String attack) throws Exception {
        byte[] input = WorkloadApiTests.tarGz(Map.of("run.sh", "mkdir -p out junk; echo kept > out/early.txt;"
                + " echo fs=$(stat -f -c '%T %b %S' /workspace); " + attack + "\n"));
        MockMultipartFile spec = new MockMultipartFile("spec", "", "application/json",
                "{\"name\":\"fill\",\"command\":[\"/bin/sh\",\"run.sh\"]}".getBytes(StandardCharsets.UTF_8));
        String body = mvc.perform(multipart("/api/v1/tenants/" + tenant + "/workloads").file(spec)
                        .file(new MockMultipartFile("input", "input.tar.gz", "application/gzip", input))
                        .header("Authorization", "Bearer " + member))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        String id = JsonPath.read(body, "$.id");
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            String w = mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + id)))
                    .andReturn().getResponse().getContentAsString();
            String state = JsonPath.read(w, "$.state");
            if (!state.equals("QUEUED") && !state.equals("RUNNING")) {
                return id;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("workload " + id + " did not end");
    }

    private String fetch(String id, String what) throws Exception {
        return mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + id + what)))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
    }

    private void assertStoppedAtTheBoundWithItsArtifacts(String id, long bound) throws Exception {
        String w = fetch(id, "");
        String log = fetch(id, "/logs");
        assertThat((String) JsonPath.read(w, "$.state")).as(w + log).isEqualTo("FAILED");
        assertThat((String) JsonPath.read(w, "$.terminationReason")).as(w + log).isEqualTo("disk_limit");
        assertThat((String) JsonPath.read(w, "$.message")).contains("ENOSPC", bound + " bytes");
        // a filesystem of its own, of the bound's size: nothing the program writes reaches the host's disk
        assertThat(log).contains("fs=tmpfs " + bound / 4096 + " 4096");
        byte[] artifacts = mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + id + "/artifacts")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsByteArray();
        assertThat(WorkloadApiTests.untarGz(artifacts)).containsEntry("early.txt", "kept\n");
        awaitCleanedUp(id);
    }

    /** After the run the workspace is unmounted and gone (the runner removes it right after storing the result). */
    private void awaitCleanedUp(String id) throws Exception {
        Path ws = dataDir.toAbsolutePath().normalize().resolve("work").resolve(id);
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end && (Files.exists(ws) || !mountsUnder(dataDir).isEmpty())) {
            Thread.sleep(50);
        }
        assertThat(ws).doesNotExist();
        assertThat(mountsUnder(dataDir)).as("mounts under " + dataDir).isEmpty();
    }

    /** The mountinfo lines of the mounts at or under {@code dir}, whole, so that a failure shows what they are. */
    static List<String> mountsUnder(Path dir) throws Exception {
        String d = dir.toAbsolutePath().normalize().toString();
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            return lines.filter(l -> {
                String point = l.split(" ")[4];
                return point.equals(d) || point.startsWith(d + "/");
            }).toList();
        }
    }

    @Test
    void manySmallFilesStopAtTheBoundAndTheArtifactsBeforeAreKept() throws Exception {
        String id = runAttack("i=0; while [ $i -lt 100000 ]; do { printf '' > junk/f$i; } 2>/dev/null || break;"
                + " i=$((i+1)); done; echo files=$i; exit 1");
        assertStoppedAtTheBoundWithItsArtifacts(id, BOUND);
        String log = fetch(id, "/logs");
        int files = Integer.parseInt(log.substring(log.indexOf("files=") + 6).lines().findFirst().orElseThrow());
        assertThat(files).isBetween(200, 256); // 256 inodes for 2 MiB, less the directories and files above
    }

    @Test
    void oneBigFileStopsAtTheBoundAndTheArtifactsBeforeAreKept() throws Exception {
        String id = runAttack("head -c 100000000 /dev/zero > junk/big; echo size=$(stat -c %s junk/big); exit 1");
        assertStoppedAtTheBoundWithItsArtifacts(id, BOUND);
        String log = fetch(id, "/logs");
        long size = Long.parseLong(log.substring(log.indexOf("size=") + 5).lines().findFirst().orElseThrow());
        assertThat(size).isBetween(BOUND - 64 * 1024, BOUND);
    }

    @Test
    void aSmallerStorageQuotaMakesASmallerWorkspace() throws Exception {
        mvc.perform(as(admin, put("/api/v1/tenants/" + tenant + "/quota"), """
                {"maxConcurrentWorkloads":2,"maxCpuMillis":60000,"maxWallMillis":300000,"maxMemoryBytes":536870912,
                 "maxProcesses":64,"maxOutputBytes":16777216,"cpuSecondsPerMonth":36000,"storageBytes":1048576}"""))
                .andExpect(status().isOk());
        String id = runAttack("head -c 100000000 /dev/zero > junk/big; exit 1");
        assertStoppedAtTheBoundWithItsArtifacts(id, 1L << 20);
    }
}
