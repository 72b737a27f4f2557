package dev.palisade.platform.service;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.platform.api.ApiTestSupport;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The application on a real port with a worker that runs services, for tests through the real ingress. */
abstract class ServiceTestSupport extends ApiTestSupport {

    @DynamicPropertySource
    static void workDir(DynamicPropertyRegistry registry) throws Exception {
        Path dir = Files.createTempDirectory("palisade-service-tests");
        registry.add("palisade.data-dir", dir::toString);
        registry.add("palisade.dispatcher.heartbeat", () -> "300ms");
        registry.add("palisade.dispatcher.capacity", () -> "16");
        registry.add("palisade.dispatcher.service-capacity", () -> "16");
        registry.add("palisade.dispatcher.shutdown-grace", () -> "1s");
        // the dedicated ingress port too, on any free port, with short header and idle timeouts to test them
        registry.add("palisade.services.ingress.port", () -> "0");
        registry.add("palisade.services.ingress.bind", () -> "127.0.0.1");
        registry.add("palisade.services.ingress.header-timeout", () -> "1s");
        registry.add("palisade.services.ingress.idle-timeout", () -> "2s");
    }

    /** Services run until stopped: each test stops what it started, so that the node has room for the next. */
    @AfterEach
    void stopEveryService() {
        jdbc.update("update workload set cancel_requested = true where kind = 'SERVICE' and state = 'RUNNING'");
        jdbc.update("update workload set state = 'CANCELLED', finished_at = now() where kind = 'SERVICE' and state = 'QUEUED'");
    }

    @LocalServerPort
    int port;

    /** A platform admin's token, a fresh tenant and its tenant admin, set by {@link #newTenantWithAdmin()}. */
    String admin;
    String tenant;
    String ownerName;
    String owner;

    /** A fresh tenant with a tenant admin, for tests whose services run on the ptrace platform (as root). */
    void newTenantWithAdmin() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                new dev.palisade.sandbox.platform.ptrace.PtracePlatform().unavailableReason().isEmpty(),
                "the ptrace platform needs root on Linux x86-64");
        admin = adminToken();
        tenant = createTenant(admin);
        ownerName = unique("owner");
        owner = userToken(admin, tenant, ownerName, "TENANT_ADMIN");
    }

    /** A console or portal session of the user, signed in through the login form. */
    org.springframework.mock.web.MockHttpSession login(String username, String password) throws Exception {
        return (org.springframework.mock.web.MockHttpSession) mvc.perform(
                org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestBuilders.formLogin("/login")
                        .user(username).password(password)).andReturn().getRequest().getSession();
    }

    /** A page's HTML, which must answer 200. */
    String page(org.springframework.mock.web.MockHttpSession session, String path) throws Exception {
        return mvc.perform(get(path).session(session)).andExpect(status().isOk()).andReturn().getResponse()
                .getContentAsString();
    }

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A tiny server that answers with what it saw: the headers and the body of the request (argv[1]: the port). */
    static final String ECHO = resource("/services/echo_server.py");

    String deploy(String token, String slug, String json) throws Exception {
        return mvc.perform(as(token, post("/api/v1/tenants/" + slug + "/services"), json))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
    }

    String service(String token, String slug, String name) throws Exception {
        return mvc.perform(as(token, get("/api/v1/tenants/" + slug + "/services/" + name)))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
    }

    String awaitService(String token, String slug, String name, Predicate<String> until) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String body = null;
        while (System.nanoTime() < end) {
            body = service(token, slug, name);
            if (until.test(body)) {
                return body;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("service " + name + " never got there: " + body);
    }

    static Predicate<String> statusIs(String s) {
        return b -> s.equals(JsonPath.read(b, "$.status"));
    }

    /**
     * An HTTP/1.1 server that keeps connections alive (closing one idle for argv[2] seconds) and
     * answers with its name (argv[3]) and the port the request came from: the same port twice
     * means the same connection.
     */
    static final String KEEP_ALIVE = """
            import http.server, sys
            class H(http.server.BaseHTTPRequestHandler):
                protocol_version = 'HTTP/1.1'
                timeout = float(sys.argv[2])
                def do_GET(self):
                    out = ('%s %d' % (sys.argv[3], self.client_address[1])).encode()
                    self.send_response(200)
                    if self.path == '/chunked':
                        self.send_header('Transfer-Encoding', 'chunked')
                        self.end_headers()
                        for part in (out[:4], out[4:]):
                            self.wfile.write(b'%x\\r\\n%s\\r\\n' % (len(part), part))
                        self.wfile.write(b'0\\r\\n\\r\\n')
                        return
                    self.send_header('Content-Length', str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                def log_message(self, *a):
                    pass
            http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
            """;

    /** A service of {@link #KEEP_ALIVE} named {@code name} on port 8000, closing connections idle {@code idleSeconds}. */
    static String keepAlive(String name, double idleSeconds) {
        return "{\"name\":\"%s\",\"port\":8000,\"command\":[\"python3\",\"-c\",%s,\"8000\",\"%s\",\"%s\"]}"
                .formatted(name, json(KEEP_ALIVE), idleSeconds, name);
    }

    static String pythonHttpServer(String name, String content) {
        return """
                {"name":"%s","port":8000,"healthPath":"/hello.txt","command":["/bin/sh","-c",
                 "mkdir -p site && echo %s > site/hello.txt && cd site && exec python3 -m http.server 8000 --bind 127.0.0.1"]}"""
                .formatted(name, content);
    }

    /** A service's host name under the tests' apps domain (the default, apps.localhost). */
    static String host(String tenant, String service) {
        return service + "." + tenant + ".apps.localhost";
    }

    /** What real curl prints (standard output and error) for {@code args}, with a 20 s bound. */
    static String curl(String... args) throws java.io.IOException, InterruptedException {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("curl", "-sS", "--max-time", "20"));
        command.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        org.assertj.core.api.Assertions.assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        return out;
    }

    static String json(String s) {
        return tools.jackson.databind.json.JsonMapper.builder().build().writeValueAsString(s);
    }

    static String resource(String name) {
        try (java.io.InputStream in = ServiceTestSupport.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

