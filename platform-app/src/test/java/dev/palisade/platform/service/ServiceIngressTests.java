package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.patch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.sandbox.nativeinterop.TcpConnection;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * Hosted services through the real ingress: the application on a real port, services in the
 * real sandbox (ptrace platform, as root), requests over real HTTP to {service}.{tenant}.apps.localhost
 * (the Host header says which; the address is the loopback).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServiceIngressTests extends ServiceTestSupport {

    @Autowired
    ServiceRegistry registry;

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

    /** A request to the service's host name on the platform port. */
    HttpRequest.Builder to(String service, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Host", host(tenant, service) + ":" + port);
    }

    HttpResponse<String> request(String service, String path) throws Exception {
        return http.send(to(service, path).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> awaitAnswer(String service, String path, int code) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        HttpResponse<String> r = null;
        while (System.nanoTime() < end) {
            r = request(service, path);
            if (r.statusCode() == code) {
                return r;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(service + path + " never answered " + code + "; last " + r.statusCode() + ": " + r.body());
    }

    private String log(String id) throws Exception {
        return mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + id + "/logs")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
    }

    @Test
    void aPythonHttpServerServesAFileFromItsWorkspaceThroughTheIngress() throws Exception {
        String deployed = deploy(member, tenant, pythonHttpServer("web", "hello-from-the-sandbox"));
        assertThat((String) JsonPath.read(deployed, "$.kind")).isEqualTo("SERVICE");
        awaitService(member, tenant, "web", statusIs("HEALTHY"));

        HttpResponse<String> r = request("web", "/hello.txt");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("hello-from-the-sandbox\n");
        assertThat(request("web", "/").body()).contains("hello.txt");
        // the old path form on the console's origin reaches no service: it is the console's (a login redirect)
        HttpResponse<String> old = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/apps/"
                + tenant + "/web/hello.txt")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(old.statusCode()).isNotEqualTo(200);
        assertThat(old.body()).doesNotContain("hello-from-the-sandbox");
        // a name under the apps domain that is not service.tenant names nothing
        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hello.txt"))
                .header("Host", "apps.localhost").build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
        assertThat(request("web", "/missing").statusCode()).isEqualTo(404);

        // counted per service, for the API and the metrics
        String shown = service(member, tenant, "web");
        assertThat((Integer) JsonPath.read(shown, "$.requests.total")).isEqualTo(3);   // the redirect is the ingress's own, not proxied
        assertThat((Integer) JsonPath.read(shown, "$.requests.byStatus.200")).isGreaterThanOrEqualTo(2);
        // a workload of kind SERVICE: it counts as running while it runs
        String id = JsonPath.read(shown, "$.workloadId");
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + id)))
                .andExpect(org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath("$.state").value("RUNNING"))
                .andExpect(org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath("$.kind").value("SERVICE"));
    }

    @Test
    void aStoppedServiceAnswers503WithAPageSayingSo() throws Exception {
        deploy(member, tenant, pythonHttpServer("site", "x"));
        awaitService(member, tenant, "site", statusIs("HEALTHY"));
        assertThat(request("site", "/hello.txt").statusCode()).isEqualTo(200);

        mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/services/site/stop"))).andExpect(status().isOk());
        awaitService(member, tenant, "site", b -> "CANCELLED".equals(JsonPath.read(b, "$.state")));
        HttpResponse<String> r = request("site", "/hello.txt");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        assertThat(r.body()).contains("Service site of tenant " + tenant + " is not running");

        // and starts again
        mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/services/site/start"))).andExpect(status().isCreated());
        assertThat(awaitAnswer("site", "/hello.txt", 200).body()).isEqualTo("x\n");
        // an unknown service is a 404, not a 503
        assertThat(request("nothing-here", "/").statusCode()).isEqualTo(404);
    }

    @Test
    void killingTheServicesProcessMakesThePlatformRestartIt() throws Exception {
        String deployed = deploy(member, tenant, pythonHttpServer("phoenix", "alive"));
        String id = JsonPath.read(deployed, "$.workloadId");
        awaitService(member, tenant, "phoenix", statusIs("HEALTHY"));
        assertThat(request("phoenix", "/hello.txt").statusCode()).isEqualTo(200);

        long tenantId = jdbc.queryForObject("select id from tenant where slug = ?", Long.class, tenant);
        int killed = killAllOf(200000 + (int) tenantId);
        assertThat(killed).isGreaterThan(0);

        String after = awaitService(member, tenant, "phoenix",
                b -> (Integer) JsonPath.read(b, "$.restarts") >= 1 && "HEALTHY".equals(JsonPath.read(b, "$.status")));
        assertThat((String) JsonPath.read(after, "$.lastExit")).contains("signal 9");
        assertThat(awaitAnswer("phoenix", "/hello.txt", 200).body()).isEqualTo("alive\n");
        // one log across restarts, with the platform's note between them
        Thread.sleep(500);
        assertThat(log(id)).contains("[palisade] service killed by signal 9");
    }

    @Test
    void keptConnectionsAreReusedPerServiceAndDroppedWithTheirInstance() throws Exception {
        deploy(member, tenant, keepAlive("kept", 60));
        deploy(member, tenant, keepAlive("neighbour", 60));
        awaitService(member, tenant, "kept", statusIs("HEALTHY"));
        awaitService(member, tenant, "neighbour", statusIs("HEALTHY"));

        String first = request("kept", "/").body();
        assertThat(first).startsWith("kept ");
        // the neighbour's requests in between go to the neighbour, on connections of its own
        assertThat(request("neighbour", "/").body()).startsWith("neighbour ");
        assertThat(request("kept", "/").body()).as("the same connection, kept alive").isEqualTo(first);
        // a chunked answer ends at its last chunk, so the connection stays in step too
        assertThat(request("kept", "/chunked").body()).isEqualTo(first);
        assertThat(request("kept", "/").body()).isEqualTo(first);
        ServiceRegistry.Instance before = registry.route(tenant, "kept").orElseThrow();
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (before.connections().idle() == 0 && System.nanoTime() < end) {
            Thread.sleep(10);   // given back just after the response went out
        }
        assertThat(before.connections().idle()).isEqualTo(1);

        long tenantId = jdbc.queryForObject("select id from tenant where slug = ?", Long.class, tenant);
        assertThat(killAllOf(200000 + (int) tenantId)).isGreaterThan(0);
        awaitService(member, tenant, "kept",
                b -> (Integer) JsonPath.read(b, "$.restarts") >= 1 && "HEALTHY".equals(JsonPath.read(b, "$.status")));
        // the old instance's connections went with it: none kept, none handed out any more
        assertThat(before.connections().idle()).isZero();
        assertThatThrownBy(() -> before.connections().acquire()).isInstanceOf(IOException.class);
        String after = awaitAnswer("kept", "/", 200).body();
        assertThat(after).startsWith("kept ").isNotEqualTo(first);
        assertThat(registry.route(tenant, "kept").orElseThrow()).isNotSameAs(before);
    }

    @Test
    void aKeptConnectionTheServiceClosedIsNotReusedAndTheRequestStillSucceeds() throws Exception {
        deploy(member, tenant, keepAlive("brief", 0.3));
        awaitService(member, tenant, "brief", statusIs("HEALTHY"));
        String first = request("brief", "/").body();
        assertThat(first).startsWith("brief ");
        for (int i = 0; i < 3; i++) {
            Thread.sleep(800);   // the service has closed the idle connection; the ingress still holds its end
            HttpResponse<String> again = request("brief", "/");
            assertThat(again.statusCode()).isEqualTo(200);
            assertThat(again.body()).startsWith("brief ").isNotEqualTo(first);
            first = again.body();
        }
    }

    /**
     * A single-threaded HTTP/1.0 server (it closes every connection after its response) that
     * answers with how many requests it has served and how long the connection waited between
     * its accept and its request; one idle for argv[2] seconds is closed (0: never).
     */
    static final String COUNTING = """
            import http.server, sys, time
            served = 0
            class H(http.server.BaseHTTPRequestHandler):
                timeout = float(sys.argv[2]) or None
                def setup(self):
                    self.accepted = time.monotonic()
                    super().setup()
                def do_GET(self):
                    global served
                    served += 1
                    out = ('%d %.3f' % (served, time.monotonic() - self.accepted)).encode()
                    self.send_response(200)
                    self.send_header('Content-Length', str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                def log_message(self, *a):
                    pass
            http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
            """;

    private static String counting(String name, double idleSeconds) {
        return "{\"name\":\"%s\",\"port\":8000,\"command\":[\"python3\",\"-c\",%s,\"8000\",\"%s\"]}"
                .formatted(name, json(COUNTING), idleSeconds);
    }

    private static void awaitStandby(InstanceConnections connections) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!connections.hasStandby() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertThat(connections.hasStandby()).as("a standby connection was opened").isTrue();
    }

    @Test
    void aServiceThatClosesEveryConnectionGetsTheNextRequestOnAConnectionOpenedAhead() throws Exception {
        deploy(member, tenant, counting("closer", 0));
        awaitService(member, tenant, "closer", statusIs("HEALTHY"));
        assertThat(request("closer", "/").body()).startsWith("1 ");
        awaitStandby(registry.route(tenant, "closer").orElseThrow().connections());

        Thread.sleep(300);
        // the server accepted this request's connection before the request came: it was the standby
        String[] second = request("closer", "/").body().split(" ");
        assertThat(second[0]).isEqualTo("2");
        assertThat(Double.parseDouble(second[1])).isGreaterThanOrEqualTo(0.25);
    }

    @Test
    void aStandbyConnectionIsNeverUsedForAStoppedOrRestartedInstance() throws Exception {
        deploy(member, tenant, counting("standby", 0));
        awaitService(member, tenant, "standby", statusIs("HEALTHY"));
        assertThat(request("standby", "/").body()).startsWith("1 ");
        ServiceRegistry.Instance before = registry.route(tenant, "standby").orElseThrow();
        awaitStandby(before.connections());

        long tenantId = jdbc.queryForObject("select id from tenant where slug = ?", Long.class, tenant);
        assertThat(killAllOf(200000 + (int) tenantId)).isGreaterThan(0);
        awaitService(member, tenant, "standby",
                b -> (Integer) JsonPath.read(b, "$.restarts") >= 1 && "HEALTHY".equals(JsonPath.read(b, "$.status")));
        // the killed instance's standby went with it; the request goes to the new process (its count starts again)
        assertThat(before.connections().hasStandby()).isFalse();
        assertThatThrownBy(() -> before.connections().acquire()).isInstanceOf(IOException.class);
        assertThat(awaitAnswer("standby", "/", 200).body()).startsWith("1 ");
        ServiceRegistry.Instance after = registry.route(tenant, "standby").orElseThrow();
        assertThat(after).isNotSameAs(before);
        awaitStandby(after.connections());

        mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/services/standby/stop"))).andExpect(status().isOk());
        awaitService(member, tenant, "standby", b -> "CANCELLED".equals(JsonPath.read(b, "$.state")));
        assertThat(after.connections().hasStandby()).isFalse();
        assertThat(request("standby", "/").statusCode()).isEqualTo(503);
    }

    @Test
    void anUnusedStandbyIsClosedSoThatASingleThreadedServerServesOthersAgain() throws Exception {
        deploy(member, tenant, counting("lonely", 0));
        awaitService(member, tenant, "lonely", statusIs("HEALTHY"));
        assertThat(request("lonely", "/").body()).startsWith("1 ");
        ServiceRegistry.Instance instance = registry.route(tenant, "lonely").orElseThrow();
        awaitStandby(instance.connections());
        // the server now blocks on the standby; once it has waited idle too long it is closed
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (instance.connections().hasStandby() && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        assertThat(instance.connections().hasStandby()).isFalse();
        // and a connection of someone else's (inside the sandbox) is served at once
        try (TcpConnection other = instance.sandbox().connect(8000)) {
            other.setReadTimeout(2000);
            other.output().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = new String(other.input().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.0 200").contains("\r\n\r\n2 ");
        }
    }

    @Test
    void aServiceThatClosesIdleConnectionsGetsEveryRequestExactlyOnce() throws Exception {
        deploy(member, tenant, counting("impatient", 0.2));
        awaitService(member, tenant, "impatient", statusIs("HEALTHY"));
        InstanceConnections connections = registry.route(tenant, "impatient").orElseThrow().connections();
        int sent = 0;
        for (int round = 0; round < 4; round++) {
            // back to back (on the standby), then after a pause the service closed the standby in
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = request("impatient", "/");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).as("request %d reached the service once", sent + 1).startsWith((++sent) + " ");
            }
            awaitStandby(connections);
            Thread.sleep(500);
        }
    }

    @Test
    void concurrentRequestsToASingleThreadedServerAllGetThroughOnce() throws Exception {
        deploy(member, tenant, counting("queue", 0));
        awaitService(member, tenant, "queue", statusIs("HEALTHY"));
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest one = to("queue", "/")
                .timeout(Duration.ofSeconds(20)).build();
        java.util.Set<Integer> counts = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<Thread> clients = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 8; t++) {
            Thread c = new Thread(() -> {
                try {
                    for (int i = 0; i < 25; i++) {
                        HttpResponse<String> r = client.send(one, HttpResponse.BodyHandlers.ofString());
                        assertThat(r.statusCode()).isEqualTo(200);
                        counts.add(Integer.parseInt(r.body().split(" ")[0]));
                        if (i % 5 == 4) {
                            Thread.sleep(20);   // now and then only one in flight: a standby gets opened
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            clients.add(c);
            c.start();
        }
        for (Thread c : clients) {
            c.join();
        }
        assertThat(failures).isEmpty();
        // 200 answers, each from a request the server counted once: 1..200, none twice, none lost
        assertThat(counts).hasSize(200).allMatch(n -> n >= 1 && n <= 200);
    }

    /** A web server with a thread that keeps one CPU busy. */
    static final String BUSY = """
            import http.server, sys, threading
            def spin():
                while True:
                    pass
            threading.Thread(target=spin, daemon=True).start()
            http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()
            """;

    @Test
    void aRunningServiceIsChargedItsCpuAsItGoesAndStoppedOnceTheMonthsQuotaIsUsedUp() throws Exception {
        String id = JsonPath.read(deploy(member, tenant, """
                {"name":"busy","port":8000,"command":["python3","-c",%s,"8000"]}""".formatted(json(BUSY))), "$.workloadId");
        awaitService(member, tenant, "busy", statusIs("HEALTHY"));

        // charged while it runs: the usage the quota reads grows with the workload still RUNNING
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        long charged = 0;
        while (charged < 1000) {
            assertThat(System.nanoTime()).as("charged " + charged + " ms so far").isLessThan(end);
            Thread.sleep(100);
            Long c = jdbc.queryForObject("select cpu_millis from workload where id = ?::uuid", Long.class, id);
            charged = c == null ? 0 : c;
        }
        assertThat(jdbc.queryForObject("select state from workload where id = ?::uuid", String.class, id)).isEqualTo("RUNNING");
        String usage = mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/usage")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        assertThat(((Number) JsonPath.read(usage, "$.cpuSeconds")).doubleValue()).isGreaterThanOrEqualTo(1.0);
        assertThat(request("busy", "/").statusCode()).isEqualTo(200);

        // the month's CPU seconds are lowered to what it will soon have used: it is stopped, saying why
        String quota = mvc.perform(as(admin, get("/api/v1/tenants/" + tenant + "/quota")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        var limits = tools.jackson.databind.json.JsonMapper.builder().build().readTree(quota);
        ((tools.jackson.databind.node.ObjectNode) limits).put("cpuSecondsPerMonth", 2);
        mvc.perform(as(admin, org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put(
                "/api/v1/tenants/" + tenant + "/quota"), limits.toString())).andExpect(status().isOk());
        String stopped = awaitService(member, tenant, "busy", b -> !"RUNNING".equals(JsonPath.read(b, "$.state")));
        assertThat((String) JsonPath.read(stopped, "$.status")).isEqualTo("STOPPED");
        assertThat((String) JsonPath.read(stopped, "$.lastExit")).isEqualTo("CPU quota used up");
        String workload = mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + id)))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        assertThat((String) JsonPath.read(workload, "$.terminationReason")).isEqualTo("cpu_quota");
        assertThat((String) JsonPath.read(workload, "$.message"))
                .contains("has used up its CPU seconds for this month (quota 2 s, used ");
        assertThat(jdbc.queryForObject("select cpu_millis from workload where id = ?::uuid", Long.class, id))
                .isGreaterThanOrEqualTo(2000);
        HttpResponse<String> r = request("busy", "/");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("is not running");
    }

    @Test
    void aProgramThatKeepsCrashingIsInCrashLoop() throws Exception {
        deploy(member, tenant, """
                {"name":"crashy","port":8000,"command":["/bin/sh","-c","echo starting; exit 3"]}""");
        String s = awaitService(member, tenant, "crashy", statusIs("CRASH_LOOP"));
        assertThat((Integer) JsonPath.read(s, "$.restarts")).isGreaterThanOrEqualTo(4);
        assertThat((String) JsonPath.read(s, "$.lastExit")).isEqualTo("exited with code 3");
        HttpResponse<String> r = request("crashy", "/");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("crash loop");
        mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/services/crashy/stop"))).andExpect(status().isOk());
    }

    @Test
    void aSpoofedForwardedHeaderDoesNotFoolTheService() throws Exception {
        deploy(member, tenant, """
                {"name":"echo","port":9000,"command":["python3","-c",%s,"9000"]}""".formatted(json(ECHO)));
        awaitService(member, tenant, "echo", statusIs("HEALTHY"));
        HttpResponse<String> r = http.send(to("echo", "/x/y?q=1")
                .header("X-Forwarded-For", "6.6.6.6").header("X-Forwarded-Host", "evil.example")
                .header("X-Forwarded-Proto", "https").header("Forwarded", "for=6.6.6.6").header("X-Real-IP", "6.6.6.6")
                // what a browser holding the console's session, or a careless client, might send along
                .header("Cookie", "__Host-palisade-session=the-admins; theirs=1; JSESSIONID=old")
                .header("Authorization", "Bearer " + member).header("Proxy-Authorization", "Basic c2VjcmV0")
                .POST(HttpRequest.BodyPublishers.ofString("ping body")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        String seen = r.body();
        assertThat(seen).contains("cookie=theirs=1\n").doesNotContain("the-admins").doesNotContain("JSESSIONID")
                .doesNotContain("authorization=").doesNotContain(member).doesNotContain("c2VjcmV0");
        String h = host(tenant, "echo") + ":" + port;
        assertThat(seen).doesNotContain("6.6.6.6").doesNotContain("evil.example").doesNotContain("x-real-ip")
                .doesNotContain("x-forwarded-prefix");
        assertThat(seen).contains("x-forwarded-for=127.0.0.1\n", "x-forwarded-proto=http\n", "x-forwarded-host=" + h + "\n",
                "forwarded=for=\"127.0.0.1\";proto=http;host=\"" + h + "\"\n", "path=/x/y?q=1\n", "body=ping body");
        // a streamed (chunked) request body arrives whole
        HttpResponse<String> chunked = http.send(to("echo", "/up")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream("streamed".getBytes())))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).isEqualTo(200);
        // the framing is passed on intact: the service sees a chunked body and de-chunks it whole
        assertThat(chunked.body()).contains("transfer-encoding=chunked", "body=streamed");
    }

    @Test
    void anotherTenantsSandboxReachesNeitherTheServiceNorThePlatform() throws Exception {
        deploy(member, tenant, pythonHttpServer("private", "secret"));
        awaitService(member, tenant, "private", statusIs("HEALTHY"));

        String other = createTenant(admin);
        String stranger = userToken(admin, other, unique("spy"), "TENANT_ADMIN");
        String probe = """
                import socket
                for port in (8000, %d):
                    for host in ('127.0.0.1', '10.0.2.2', '172.17.0.1'):
                        s = socket.socket()
                        s.settimeout(2)
                        try:
                            s.connect((host, port)); print('REACHED', host, port, flush=True)
                        except OSError as e:
                            print('refused', host, port, type(e).__name__, flush=True)
                        s.close()
                """.formatted(port);
        // as a job (network none) and as a service (its own loopback)
        String job = mvc.perform(as(stranger, post("/api/v1/tenants/" + other + "/workloads"),
                        "{\"name\":\"probe\",\"command\":[\"python3\",\"-c\"," + json(probe) + "]}"))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        String jobId = JsonPath.read(job, "$.id");
        String svc = deploy(stranger, other, "{\"name\":\"probe\",\"port\":8001,\"restartPolicy\":\"NEVER\",\"command\":"
                + "[\"python3\",\"-c\"," + json(probe) + "]}");
        String svcId = JsonPath.read(svc, "$.workloadId");
        for (String id : List.of(jobId, svcId)) {
            String logText = awaitLog(stranger, other, id);
            assertThat(logText).as(logText).doesNotContain("REACHED").contains("refused 127.0.0.1 8000",
                    "refused 127.0.0.1 " + port);
        }
        // while the service stays reachable for its own tenant through the ingress
        assertThat(request("private", "/hello.txt").body()).isEqualTo("secret\n");
    }

    @Test
    void aRedeployReplacesTheOldInstanceOnlyOnceTheNewOneIsHealthy() throws Exception {
        String v1 = JsonPath.read(deploy(member, tenant, pythonHttpServer("app", "v1")), "$.workloadId");
        awaitService(member, tenant, "app", statusIs("HEALTHY"));
        assertThat(request("app", "/hello.txt").body()).isEqualTo("v1\n");
        // the new version takes a second to come up: meanwhile v1 keeps answering
        deploy(member, tenant, """
                {"name":"app","port":8000,"healthPath":"/hello.txt","command":["/bin/sh","-c",
                 "sleep 1; mkdir -p site && echo v2 > site/hello.txt && cd site && exec python3 -m http.server 8000 --bind 127.0.0.1"]}""");
        assertThat(request("app", "/hello.txt").body()).isEqualTo("v1\n");
        assertThat(awaitAnswer("app", "/hello.txt", 200).statusCode()).isEqualTo(200);
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!request("app", "/hello.txt").body().equals("v2\n")) {
            assertThat(System.nanoTime()).isLessThan(end);
            Thread.sleep(50);
        }
        String old = mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + v1)))
                .andReturn().getResponse().getContentAsString();
        long end2 = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!"CANCELLED".equals(JsonPath.read(old, "$.state"))) {
            assertThat(System.nanoTime()).as(old).isLessThan(end2);
            Thread.sleep(50);
            old = mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + v1)))
                    .andReturn().getResponse().getContentAsString();
        }
    }

    @Test
    void aSuspendedTenantsServicesStop() throws Exception {
        deploy(member, tenant, pythonHttpServer("paused", "p"));
        awaitService(member, tenant, "paused", statusIs("HEALTHY"));
        mvc.perform(as(admin, patch("/api/v1/tenants/" + tenant), "{\"status\":\"SUSPENDED\"}")).andExpect(status().isOk());
        String s = awaitService(admin, tenant, "paused", b -> !"RUNNING".equals(JsonPath.read(b, "$.state")));
        assertThat((String) JsonPath.read(s, "$.status")).isEqualTo("STOPPED");
        assertThat(request("paused", "/hello.txt").statusCode()).isEqualTo(503);
    }

    @Test
    void hostileDeploymentsAreRefusedWith400NamingTheField() throws Exception {
        String[][] cases = {
                {"", "body"}, {"null", "body"}, {"[]", "body"}, {"{", "body"},
                {"{\"name\":\"web\",\"command\":[\"true\"]}", "port"},
                {"{\"name\":\"web\",\"port\":0,\"command\":[\"true\"]}", "port"},
                {"{\"name\":\"web\",\"port\":70000,\"command\":[\"true\"]}", "port"},
                {"{\"name\":\"web\",\"port\":\"eighty\",\"command\":[\"true\"]}", "body"},
                {"{\"name\":\"../x\",\"port\":80,\"command\":[\"true\"]}", "name"},
                {"{\"name\":\"Web\",\"port\":80,\"command\":[\"true\"]}", "name"},
                {"{\"name\":\"web\",\"port\":80,\"restartPolicy\":\"sometimes\",\"command\":[\"true\"]}", "restartPolicy"},
                {"{\"name\":\"web\",\"port\":80,\"healthPath\":\"http://evil/\",\"command\":[\"true\"]}", "healthPath"},
                {"{\"name\":\"web\",\"port\":80,\"healthPath\":\"/a\\r\\nX: y\",\"command\":[\"true\"]}", "healthPath"},
                {"{\"name\":\"web\",\"port\":80,\"command\":[]}", "command"},
        };
        for (String[] c : cases) {
            int code = mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/services"), c[0]))
                    .andReturn().getResponse().getStatus();
            assertThat(code).as(c[0]).isEqualTo(400);
        }
        // and nothing was deployed
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/services")))
                .andExpect(org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath("$.length()").value(0));
        // nor can another tenant's member deploy here
        String other = createTenant(admin);
        String stranger = userToken(admin, other, unique("spy"), "TENANT_ADMIN");
        mvc.perform(as(stranger, post("/api/v1/tenants/" + tenant + "/services"), pythonHttpServer("web", "x")))
                .andExpect(status().isNotFound());
    }

    private String awaitLog(String token, String slug, String id) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end) {
            String body = mvc.perform(as(token, get("/api/v1/tenants/" + slug + "/workloads/" + id)))
                    .andReturn().getResponse().getContentAsString();
            String state = JsonPath.read(body, "$.state");
            if (!state.equals("QUEUED") && !state.equals("RUNNING")) {
                return mvc.perform(as(token, get("/api/v1/tenants/" + slug + "/workloads/" + id + "/logs")))
                        .andReturn().getResponse().getContentAsString();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("workload " + id + " did not end");
    }

    /** SIGKILL to every host process running as this uid (the tenant's sandboxed programs). */
    private static int killAllOf(int uid) throws IOException, InterruptedException {
        List<String> pids = new ArrayList<>();
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) dirs::iterator) {
                if (!p.getFileName().toString().matches("\\d+")) {
                    continue;
                }
                try {
                    for (String line : Files.readAllLines(p.resolve("status"))) {
                        if (line.startsWith("Uid:") && line.split("\\s+")[1].equals(Integer.toString(uid))) {
                            pids.add(p.getFileName().toString());
                        }
                    }
                } catch (IOException gone) {
                    // ended meanwhile
                }
            }
        }
        for (String pid : pids) {
            new ProcessBuilder("kill", "-9", pid).inheritIO().start().waitFor();
        }
        return pids.size();
    }

}
