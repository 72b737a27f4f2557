package dev.palisade.platform.workload;

import static dev.palisade.platform.TestArchives.entry;
import static dev.palisade.platform.TestArchives.tar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.hamcrest.Matchers.containsString;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestBuilders.formLogin;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.platform.TestArchives;
import dev.palisade.platform.api.ApiTestSupport;
import dev.palisade.sandbox.AutoChoice;
import dev.palisade.sandbox.NodeProbe;
import dev.palisade.sandbox.SandboxEngine;
import dev.palisade.sandbox.platform.Platform;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.mock.web.MockMultipartFile;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.util.HtmlUtils;

/**
 * Workloads through the REST API, run in the real sandbox (ptrace platform, as root) on a real
 * PostgreSQL: output, input files and artifacts, cancel, limits, quota, isolation, escapes.
 */
class WorkloadApiTests extends ApiTestSupport {

    @DynamicPropertySource
    static void workDir(DynamicPropertyRegistry registry) throws Exception {
        Path dir = Files.createTempDirectory("palisade-workload-tests");
        registry.add("palisade.data-dir", dir::toString);
        registry.add("palisade.dispatcher.heartbeat", () -> "300ms");
    }

    @Autowired
    SandboxEngine engine;

    String admin;
    String tenant;
    String member;

    @BeforeEach
    void tenantWithAMember() throws Exception {
        assumeTrue(new PtracePlatform().unavailableReason().isEmpty(), "the ptrace platform needs root on Linux x86-64");
        admin = adminToken();
        tenant = createTenant(admin);
        member = userToken(admin, tenant, unique("dev"), "TENANT_MEMBER");
    }

    private String submit(String token, String slug, String json) throws Exception {
        String body = mvc.perform(as(token, post("/api/v1/tenants/" + slug + "/workloads"), json))
                .andExpect(status().isCreated())
                .andReturn().getResponse().getContentAsString();
        return JsonPath.read(body, "$.id");
    }

    private String await(String id, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            String body = mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + id)))
                    .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
            String state = JsonPath.read(body, "$.state");
            if (!state.equals("QUEUED") && !state.equals("RUNNING")) {
                return body;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("workload " + id + " did not end within " + timeout);
    }

    private String log(String id) throws Exception {
        return mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + id + "/logs")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
    }

    @Test
    void aShellJobPrintsItsOutputAndRunsAsTheTenantsOwnUid() throws Exception {
        String id = submit(member, tenant, """
                {"name":"hello","command":["/bin/sh","-c","echo hello from $WHO; id -u; echo oops >&2; exit 3"],
                 "env":{"WHO":"palisade"}}""");
        String done = await(id, Duration.ofSeconds(30));
        assertThat((String) JsonPath.read(done, "$.state")).isEqualTo("FAILED");
        assertThat((Integer) JsonPath.read(done, "$.exitCode")).isEqualTo(3);
        assertThat((String) JsonPath.read(done, "$.terminationReason")).isEqualTo("exited");
        assertThat((Object) JsonPath.read(done, "$.node")).as("a tenant never sees the node").isNull();
        long tenantId = jdbc.queryForObject("select id from tenant where slug = ?", Long.class, tenant);
        // stdout and stderr are two pipes: lines interleave as they arrive, each stream in its own order
        String log = log(id);
        assertThat(log).contains("hello from palisade\n", "oops\n", (200000 + tenantId) + "\n")
                .hasSize("hello from palisade\noops\n".length() + (200000 + tenantId + "\n").length());
        assertThat(log.indexOf("hello")).isLessThan(log.indexOf(String.valueOf(200000 + tenantId)));
        assertThat((Object) JsonPath.read(done, "$.result.syscallCounts")).isNotNull();
    }

    @Test
    void aWorkloadOnAutoSaysWhichPlatformRanItAndWhyInTheApiConsoleAndPortal() throws Exception {
        NodeProbe.Measurement node = engine.awaitNodeMeasurement(Duration.ofSeconds(60)).orElseThrow();
        String user = unique("auto");
        String token = userToken(adminToken(), tenant, user, "TENANT_MEMBER");
        String id = submit(token, tenant, """
                {"name":"on-auto","command":["/bin/echo","chosen"]}""");
        String done = await(id, Duration.ofSeconds(30));
        assertThat((String) JsonPath.read(done, "$.state")).as(done).isEqualTo("SUCCEEDED");
        assertThat(log(id)).isEqualTo("chosen\n");
        assertThat((String) JsonPath.read(done, "$.platform")).isEqualTo("auto");
        String ranOn = JsonPath.read(done, "$.result.platform");
        String reason = JsonPath.read(done, "$.result.platformReason");
        // the rule of AutoChoice on this node's own figures: /bin/echo is a dynamic program
        Optional<String> noKvm = engine.platform("kvm").flatMap(Platform::unavailableReason);
        if (noKvm.isPresent()) {
            assertThat(ranOn).isEqualTo("ptrace");
            assertThat(reason).isEqualTo("auto: ptrace — kvm is unavailable: " + noKvm.get());
        } else {
            boolean kvm = node.kvmCallNanos() <= AutoChoice.DYNAMIC_FACTOR * node.ptraceCallNanos();
            // dearer than the static factor, no program goes to KVM: the program is not looked at
            boolean anyProgram = node.kvmCallNanos() > AutoChoice.STATIC_FACTOR * node.ptraceCallNanos();
            assertThat(ranOn).isEqualTo(kvm ? "kvm" : "ptrace");
            assertThat(reason).isEqualTo("auto: " + ranOn + " — served call " + NodeProbe.micros(node.kvmCallNanos())
                    + " on kvm vs " + NodeProbe.micros(node.ptraceCallNanos()) + " on ptrace on this node (bare exit "
                    + NodeProbe.micros(node.kvmExitNanos()) + "); "
                    + (anyProgram ? "any program, above 2×" : "dynamic program, " + (kvm ? "within" : "above") + " 1×"));
        }
        // stored with the result, in the workload's row
        assertThat(jdbc.queryForObject("select result->>'platformReason' from workload where id = ?::uuid", String.class, id))
                .isEqualTo(reason);
        // and shown on the workload's page in the admin console and in the tenant's portal
        String html = HtmlUtils.htmlEscape(reason, "UTF-8");
        for (var page : List.of(
                get("/admin/workloads/" + id).session(login("admin", ADMIN_PASSWORD)),
                get("/portal/workloads/" + id).session(login(user + "@" + tenant, PASSWORD)))) {
            mvc.perform(page.accept(MediaType.TEXT_HTML)).andExpect(status().isOk())
                    .andExpect(content().string(containsString("id=\"platform-reason\">" + html + "<")))
                    .andExpect(content().string(containsString("→ ran on " + ranOn)));
        }
    }

    private MockHttpSession login(String username, String password) throws Exception {
        return (MockHttpSession) mvc.perform(formLogin("/login").user(username).password(password))
                .andReturn().getRequest().getSession();
    }

    @Test
    void aPythonJobSucceeds() throws Exception {
        String id = submit(member, tenant, """
                {"name":"py","command":["python3","-c","print(sum(range(10)))"]}""");
        String done = await(id, Duration.ofSeconds(30));
        assertThat((String) JsonPath.read(done, "$.state")).as(done).isEqualTo("SUCCEEDED");
        assertThat(log(id)).isEqualTo("45\n");
    }

    @Test
    void filesGoInAndAnArtifactComesOut() throws Exception {
        byte[] input = tarGz(Map.of("data/numbers.txt", "1\n2\n3\n", "run.sh", "mkdir -p out; sort -r data/numbers.txt > out/sorted.txt\n"));
        MockMultipartFile spec = new MockMultipartFile("spec", "", "application/json", """
                {"name":"files","command":["/bin/sh","run.sh"]}""".getBytes(StandardCharsets.UTF_8));
        MockMultipartFile archive = new MockMultipartFile("input", "input.tar.gz", "application/gzip", input);
        String body = mvc.perform(multipart("/api/v1/tenants/" + tenant + "/workloads").file(spec).file(archive).header("Authorization", "Bearer " + member))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        String id = JsonPath.read(body, "$.id");
        String done = await(id, Duration.ofSeconds(30));
        assertThat((String) JsonPath.read(done, "$.state")).as(done + log(id)).isEqualTo("SUCCEEDED");

        byte[] artifacts = mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + id + "/artifacts")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsByteArray();
        assertThat(untarGz(artifacts)).containsEntry("sorted.txt", "3\n2\n1\n");
    }

    @Test
    void aHostileArchiveIsRefusedAtSubmit() throws Exception {
        byte[] evil = tarGz(Map.of("../escape.txt", "x"));
        MockMultipartFile spec = new MockMultipartFile("spec", "", "application/json",
                "{\"command\":[\"true\"]}".getBytes(StandardCharsets.UTF_8));
        mvc.perform(multipart("/api/v1/tenants/" + tenant + "/workloads").file(spec)
                        .file(new MockMultipartFile("input", "evil.tar.gz", "application/gzip", evil))
                        .header("Authorization", "Bearer " + member))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("input"))
                .andExpect(jsonPath("$.errors[0].message").value(org.hamcrest.Matchers.containsString("'..'")));
    }

    @Test
    void aLongSleepIsCancelledWithinASecondOrTwo() throws Exception {
        String id = submit(member, tenant, "{\"name\":\"nap\",\"command\":[\"sleep\",\"600\"]}");
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!JsonPath.read(mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + id)))
                .andReturn().getResponse().getContentAsString(), "$.state").equals("RUNNING")) {
            assertThat(System.nanoTime()).isLessThan(end);
            Thread.sleep(20);
        }
        long start = System.nanoTime();
        mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/workloads/" + id + "/cancel")))
                .andExpect(status().isOk());
        String done = await(id, Duration.ofSeconds(5));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat((String) JsonPath.read(done, "$.state")).isEqualTo("CANCELLED");
        mvc.perform(as(admin, get("/api/v1/audit?tenant=" + tenant + "&action=workload.cancel")))
                .andExpect(jsonPath("$.totalElements").value(1));
    }

    @Test
    void aLogOverItsCapKeepsItsHeadAndTailWithAMarkerOfWhatWasDroppedBetween() throws Exception {
        // 2,000 numbered lines (8,893 bytes) into a cap of 1,000 bytes: the job is not ended by it
        String id = submit(member, tenant, """
                {"name":"chatty","command":["/bin/sh","-c","seq 1 2000"],"limits":{"outputBytes":1000}}""");
        String done = await(id, Duration.ofSeconds(30));
        assertThat((String) JsonPath.read(done, "$.state")).as(done).isEqualTo("SUCCEEDED");
        String log = log(id);
        List<String> lines = List.of(log.split("\n"));
        // the head: the first lines as written, up to half the cap
        assertThat(lines.subList(0, 100)).isEqualTo(java.util.stream.IntStream.rangeClosed(1, 100)
                .mapToObj(Integer::toString).toList());
        // the tail: the newest lines, through the last
        assertThat(lines.get(lines.size() - 1)).isEqualTo("2000");
        assertThat(lines.get(lines.size() - 2)).isEqualTo("1999");
        // between them one marker saying what was dropped, and nothing of the middle
        List<String> markers = lines.stream().filter(l -> l.startsWith("[palisade:")).toList();
        assertThat(markers).hasSize(1);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "\\[palisade: (\\d+) lines \\((\\d+) bytes\\) dropped here; this log keeps the first 500 and the last 500 bytes]")
                .matcher(markers.get(0));
        assertThat(m.matches()).as(markers.get(0)).isTrue();
        int marker = lines.indexOf(markers.get(0));
        int lastOfHead = Integer.parseInt(lines.get(marker - 1));
        int firstOfTail = Integer.parseInt(lines.get(marker + 1));
        assertThat(Integer.parseInt(m.group(1))).as("lines dropped").isEqualTo(firstOfTail - lastOfHead - 1);
        long droppedBytes = java.util.stream.IntStream.range(lastOfHead + 1, firstOfTail)
                .mapToLong(n -> Integer.toString(n).length() + 1).sum();
        assertThat(Long.parseLong(m.group(2))).as("bytes dropped").isEqualTo(droppedBytes);
        assertThat(lines).doesNotContain("1000");
        assertThat(log.length() - markers.get(0).length()).isLessThanOrEqualTo(1000 + 20);
        assertThat((Boolean) JsonPath.read(done, "$.result.logTruncated")).isTrue();
    }

    @Test
    void eachLogLineCarriesItsTimeAndStreamAndTheLogDownloads() throws Exception {
        long before = System.currentTimeMillis();
        String id = submit(member, tenant, """
                {"name":"timed","command":["/bin/sh","-c","echo first; echo oops >&2; sleep 1; printf last"]}""");
        await(id, Duration.ofSeconds(30));
        long after = System.currentTimeMillis();
        // stdout and stderr are two streams: their lines interleave as they ended, the last one ended by its end
        assertThat(log(id).split("\n")).containsExactlyInAnyOrder("first", "oops", "last");
        assertThat(log(id)).endsWith("last\n");
        String timed = mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + id + "/logs?timestamps=true")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        java.util.regex.Pattern line = java.util.regex.Pattern.compile("(\\S+) (stdout|stderr) (.*)");
        List<java.time.Instant> times = new java.util.ArrayList<>();
        List<String> streams = new java.util.ArrayList<>();
        List<String> texts = new java.util.ArrayList<>();
        for (String l : timed.split("\n")) {
            java.util.regex.Matcher m = line.matcher(l);
            assertThat(m.matches()).as(l).isTrue();
            times.add(java.time.Instant.parse(m.group(1)));
            streams.add(m.group(2));
            texts.add(m.group(3));
        }
        assertThat(texts).containsExactlyInAnyOrder("first", "oops", "last");
        assertThat(streams.get(texts.indexOf("oops"))).isEqualTo("stderr");
        assertThat(streams.get(texts.indexOf("first"))).isEqualTo("stdout");
        assertThat(texts.get(2)).isEqualTo("last");
        for (java.time.Instant t : times) {
            assertThat(t.toEpochMilli()).isBetween(before, after);
        }
        // a second's sleep between the first line and the last, as the times say
        assertThat(java.time.Duration.between(times.get(texts.indexOf("first")), times.get(2)).toMillis())
                .isBetween(900L, 5000L);

        var download = mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + id + "/logs?download=true")))
                .andExpect(status().isOk()).andReturn().getResponse();
        assertThat(download.getHeader("Content-Disposition")).isEqualTo("attachment; filename=\"workload-" + id + ".log\"");
        assertThat(download.getContentAsString()).isEqualTo(timed);
    }

    @Test
    void aBusyLoopEndsOnItsCpuLimit() throws Exception {
        String id = submit(member, tenant, """
                {"name":"spin","command":["/bin/sh","-c","while :; do :; done"],"limits":{"cpuMillis":500,"wallMillis":20000}}""");
        String done = await(id, Duration.ofSeconds(20));
        assertThat((String) JsonPath.read(done, "$.state")).isEqualTo("TIMED_OUT");
        assertThat((String) JsonPath.read(done, "$.terminationReason")).isEqualTo("cpu_limit");
    }

    @Test
    void aJobOverQuotaIsRejectedWithTheReason() throws Exception {
        mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/workloads"), """
                        {"command":["true"],"limits":{"cpuMillis":999999999}}"""))
                .andExpect(status().isUnprocessableContent())
                .andExpect(jsonPath("$.limit").value("maxCpuMillis"))
                .andExpect(jsonPath("$.quota").value(60000))
                .andExpect(jsonPath("$.usage").value(999999999))
                .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString("maxCpuMillis")));

        mvc.perform(as(admin, put("/api/v1/tenants/" + tenant + "/quota"), """
                {"maxConcurrentWorkloads":1,"maxCpuMillis":5000,"maxWallMillis":10000,"maxMemoryBytes":268435456,
                 "maxProcesses":16,"maxOutputBytes":65536,"cpuSecondsPerMonth":4,"storageBytes":104857600}"""))
                .andExpect(status().isOk());
        mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/workloads"), "{\"command\":[\"true\"]}"))
                .andExpect(status().isTooManyRequests())
                .andExpect(jsonPath("$.limit").value("cpuSecondsPerMonth"))
                .andExpect(jsonPath("$.quota").value(4));
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads?state=REJECTED")))
                .andExpect(jsonPath("$.totalElements").value(2));
    }

    @Test
    void anotherTenantSeesNoneOfItsWorkloadsLogsOrArtifacts() throws Exception {
        String id = submit(member, tenant, "{\"name\":\"secret\",\"command\":[\"/bin/sh\",\"-c\",\"mkdir out; echo s > out/s; echo secret\"]}");
        await(id, Duration.ofSeconds(30));
        String other = createTenant(admin);
        String stranger = userToken(admin, other, unique("spy"), "TENANT_ADMIN");
        for (String path : new String[] {"", "/logs", "/artifacts"}) {
            mvc.perform(as(stranger, get("/api/v1/tenants/" + tenant + "/workloads/" + id + path)))
                    .andExpect(status().isNotFound());
            mvc.perform(as(stranger, get("/api/v1/tenants/" + other + "/workloads/" + id + path)))
                    .andExpect(status().isNotFound());
        }
        mvc.perform(as(stranger, post("/api/v1/tenants/" + other + "/workloads/" + id + "/cancel")))
                .andExpect(status().isNotFound());
        mvc.perform(as(stranger, get("/api/v1/tenants/" + other + "/workloads")))
                .andExpect(jsonPath("$.totalElements").value(0));
        mvc.perform(as(stranger, get("/api/v1/tenants/" + tenant + "/workloads"))).andExpect(status().isNotFound());
        mvc.perform(as(stranger, get("/api/v1/tenants/" + other + "/usage")))
                .andExpect(jsonPath("$.workloads").value(0));
    }

    @Test
    void anEscapeAttemptIsASecurityEventForTheAdmin() throws Exception {
        String id = submit(member, tenant, """
                {"name":"escape","command":["python3","-c",
                 "import ctypes; libc = ctypes.CDLL(None); print(libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))"]}""");
        String done = await(id, Duration.ofSeconds(30));
        assertThat(log(id)).as(done).isEqualTo("-1\n");
        String events = mvc.perform(as(admin, get("/api/v1/security-events?workload=" + id)))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        assertThat((Integer) JsonPath.read(events, "$.totalElements")).isGreaterThanOrEqualTo(1);
        assertThat((String) JsonPath.read(events, "$.content[0].syscall")).isEqualTo("mount");
        assertThat((String) JsonPath.read(events, "$.content[0].tenant")).isEqualTo(tenant);
        mvc.perform(as(member, get("/api/v1/security-events"))).andExpect(status().isForbidden());
    }

    @Test
    void usageCountsTheMonthsWorkloads() throws Exception {
        String id = submit(member, tenant, "{\"command\":[\"/bin/true\"]}");
        await(id, Duration.ofSeconds(30));
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/usage")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.workloads").value(1))
                .andExpect(jsonPath("$.cpuSecondsPerMonthQuota").value(36000));
    }

    @Test
    void anAdminImportsAnOciImageAndAWorkloadRunsOnIt() throws Exception {
        byte[] busybox = Files.readAllBytes(Path.of("/bin/busybox"));
        byte[] layer1 = tar(tar -> {
            entry(tar, "bin/", null, 040755, null);
            entry(tar, "bin/busybox", busybox, 0104755, null); // setuid in the image: dropped on import
            entry(tar, "bin/sh", null, 0120777, "busybox");
            entry(tar, "etc/hello", "one\n".getBytes(StandardCharsets.UTF_8), 0100644, null);
            entry(tar, "etc/gone", "x".getBytes(StandardCharsets.UTF_8), 0100644, null);
            entry(tar, "etc/d/old", "x".getBytes(StandardCharsets.UTF_8), 0100644, null);
        });
        byte[] layer2 = tar(tar -> {
            entry(tar, "etc/.wh.gone", new byte[0], 0100644, null);
            entry(tar, "etc/d/.wh..wh..opq", new byte[0], 0100644, null);
            entry(tar, "etc/d/new", "n".getBytes(StandardCharsets.UTF_8), 0100644, null);
        });
        byte[] image = tar(tar -> {
            entry(tar, "manifest.json", ("[{\"Config\":\"c.json\",\"RepoTags\":[\"mini:latest\"],"
                    + "\"Layers\":[\"l1/layer.tar\",\"l2/layer.tar\"]}]").getBytes(StandardCharsets.UTF_8), 0100644, null);
            entry(tar, "l1/layer.tar", layer1, 0100644, null);
            entry(tar, "l2/layer.tar", layer2, 0100644, null);
        });
        String name = unique("mini");
        mvc.perform(multipart("/api/v1/images").file(new MockMultipartFile("archive", "mini.tar", "application/x-tar", image))
                        .param("name", name).header("Authorization", "Bearer " + member))
                .andExpect(status().isForbidden());
        mvc.perform(multipart("/api/v1/images").file(new MockMultipartFile("archive", "mini.tar", "application/x-tar", image))
                        .param("name", name).header("Authorization", "Bearer " + admin))
                .andExpect(status().isCreated())
                .andExpect(jsonPath("$.kind").value("oci"))
                .andExpect(jsonPath("$.digest").value(org.hamcrest.Matchers.startsWith("sha256:")));
        mvc.perform(as(member, get("/api/v1/images")))
                .andExpect(jsonPath("$[*].name").value(org.hamcrest.Matchers.hasItems("host", "scratch", name)));

        String id = submit(member, tenant, "{\"image\":\"" + name + "\",\"platform\":\"ptrace\",\"command\":[\"/bin/sh\",\"-c\","
                + "\"cat /etc/hello; ls /etc; ls /etc/d; ls -l /bin/busybox | cut -c1-10\"]}");
        String done = await(id, Duration.ofSeconds(30));
        assertThat(log(id)).as(done).isEqualTo("one\nd\nhello\nnew\n-rwxr-xr-x\n");

        byte[] evilLayer = tar(tar -> entry(tar, "../../outside", "x".getBytes(StandardCharsets.UTF_8), 0100644, null));
        byte[] evil = tar(tar -> {
            entry(tar, "manifest.json", "[{\"Layers\":[\"l/layer.tar\"]}]".getBytes(StandardCharsets.UTF_8), 0100644, null);
            entry(tar, "l/layer.tar", evilLayer, 0100644, null);
        });
        mvc.perform(multipart("/api/v1/images").file(new MockMultipartFile("archive", "evil.tar", "application/x-tar", evil))
                        .param("name", unique("evil")).header("Authorization", "Bearer " + admin))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].message").value(org.hamcrest.Matchers.containsString("'..'")));
    }

    static byte[] tarGz(Map<String, String> files) throws Exception {
        return TestArchives.tarGz(tar -> {
            for (Map.Entry<String, String> f : files.entrySet()) {
                entry(tar, f.getKey(), f.getValue().getBytes(StandardCharsets.UTF_8), 0100644, null);
            }
        });
    }

    static Map<String, String> untarGz(byte[] archive) throws Exception {
        Map<String, String> files = new HashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(new ByteArrayInputStream(archive)))) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                if (e.isFile()) {
                    files.put(e.getName(), new String(tar.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        }
        return files;
    }
}
