package dev.palisade.platform.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.platform.api.ApiTestSupport;
import dev.palisade.sandbox.egress.EgressNetwork;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Egress by policy through the API on a real PostgreSQL, with jobs run in the real sandbox: a
 * platform admin sets a tenant's allowlist (checked, canonical, audited); a job with network
 * {@code egress} is refused the node itself and the cloud metadata address, and each refusal is a
 * security event naming the destination; once the node's address and port are allowlisted a job
 * reaches it, and a job without the policy still reaches nothing. Whatever the sandboxes send that
 * is not refused is routed only inside this machine (a routing table of the test's own for the
 * egress subnet, whose default leads into a network namespace that drops everything).
 */
class EgressApiTests extends ApiTestSupport {
    private static final int TABLE = 7214;
    private static final String SINK = "palsink7214";
    private static ServerSocket server;
    private static Thread answering;

    @DynamicPropertySource
    static void workDir(DynamicPropertyRegistry registry) throws Exception {
        Path dir = Files.createTempDirectory("palisade-egress-tests");
        registry.add("palisade.data-dir", dir::toString);
        registry.add("palisade.dispatcher.heartbeat", () -> "300ms");
    }

    String admin;
    String tenant;
    String member;

    @BeforeAll
    static void nothingLeavesTheMachine() throws Exception {
        if (new PtracePlatform().unavailableReason().isPresent() || !Files.isExecutable(Path.of("/usr/sbin/nft"))) {
            return;
        }
        // what the policy lets through goes into a network namespace of the test's that drops it (it
        // forwards nothing); the node's forward hook still sees it, where an unreachable route would
        // refuse it before any rule could log it
        sh("ip netns add " + SINK);
        sh("ip link add " + SINK + " type veth peer name eth0 netns " + SINK);
        sh("ip addr add 198.51.100.5/30 dev " + SINK + " && ip link set " + SINK + " up");
        sh("ip -n " + SINK + " addr add 198.51.100.6/30 dev eth0 && ip -n " + SINK + " link set eth0 up");
        sh("ip route add default via 198.51.100.6 table " + TABLE);
        sh("ip route add throw " + EgressNetwork.subnet() + " table " + TABLE);
        sh("ip rule add from " + EgressNetwork.subnet() + " lookup " + TABLE + " priority " + TABLE);
        server = new ServerSocket(0); // stands for a service on the node (the platform's own port, a database)
        answering = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                    out.write("node\n".getBytes(StandardCharsets.US_ASCII));
                } catch (Exception e) {
                    return;
                }
            }
        });
        answering.setDaemon(true);
        answering.start();
    }

    @AfterAll
    static void routesBack() throws Exception {
        if (server != null) {
            server.close();
            sh("ip rule del priority " + TABLE);
            sh("ip route flush table " + TABLE);
            sh("ip link del " + SINK);
            sh("ip netns del " + SINK);
        }
    }

    private static void sh(String command) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(command + ": " + out);
        }
    }

    @BeforeEach
    void tenantWithAMember() throws Exception {
        assumeTrue(server != null, "egress needs the ptrace platform as root and nftables");
        admin = adminToken();
        tenant = createTenant(admin);
        member = userToken(admin, tenant, unique("dev"), "TENANT_MEMBER");
    }

    private static String nodeAddress() throws Exception {
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nif.isLoopback() && nif.isUp() && !nif.getName().matches("pe\\d+h")) {
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a instanceof Inet4Address) {
                        return a.getHostAddress();
                    }
                }
            }
        }
        throw new IllegalStateException("no IPv4 address on this machine");
    }

    /** A job that tries each address:port and prints "ok <answer>" or "refused <errno>" per line. */
    private String connectJob(String network, String... targets) throws Exception {
        String script = "import socket, sys\n"
                + "for t in sys.argv[1:]:\n"
                + "    a, p = t.rsplit(':', 1)\n"
                + "    try:\n"
                + "        print(t, 'ok', socket.create_connection((a, int(p)), 3).recv(100).decode().strip(), flush=True)\n"
                + "    except OSError as e:\n"
                + "        print(t, 'refused', e.errno, flush=True)\n";
        StringBuilder cmd = new StringBuilder("[\"python3\",\"-c\",\"")
                .append(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(script)).append('"');
        for (String t : targets) {
            cmd.append(",\"").append(t).append('"');
        }
        cmd.append(']');
        String json = "{\"name\":\"net\",\"platform\":\"ptrace\",\"command\":" + cmd
                + (network == null ? "" : ",\"network\":\"" + network + "\"") + "}";
        String body = mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/workloads"), json))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        String id = JsonPath.read(body, "$.id");
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            String w = mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + id)))
                    .andReturn().getResponse().getContentAsString();
            String state = JsonPath.read(w, "$.state");
            if (!state.equals("QUEUED") && !state.equals("RUNNING")) {
                assertThat(state).as(w).isEqualTo("SUCCEEDED");
                return id;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("workload " + id + " did not end");
    }

    private String log(String id) throws Exception {
        return mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + id + "/logs")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
    }

    private List<String> events(String id) throws Exception {
        String events = mvc.perform(as(admin, get("/api/v1/security-events?workload=" + id)))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        List<String> kinds = JsonPath.read(events, "$.content[*].kind");
        assertThat(kinds).allMatch("egress_refused"::equals);
        return JsonPath.read(events, "$.content[*].detail");
    }

    @Test
    void anAdminSetsTheAllowlistCheckedCanonicalAndAudited() throws Exception {
        mvc.perform(as(admin, put("/api/v1/tenants/" + tenant + "/egress-allowlist"),
                        "{\"destinations\":[\"10.20.1.7/16\",\"10.30.1.5:5432\",\"10.20.0.0/16\"]}"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.destinations[0]").value("10.20.0.0/16"))
                .andExpect(jsonPath("$.destinations[1]").value("10.30.1.5:5432"))
                .andExpect(jsonPath("$.destinations.length()").value(2));
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/egress-allowlist")))
                .andExpect(status().isOk()).andExpect(jsonPath("$.destinations.length()").value(2));
        mvc.perform(as(admin, put("/api/v1/tenants/" + tenant + "/egress-allowlist"),
                        "{\"destinations\":[\"10.0.0.0/8\",\"db.internal:5432\"]}"))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                .andExpect(jsonPath("$.errors[0].field").value("destinations[1]"))
                .andExpect(jsonPath("$.errors[0].message").value(org.hamcrest.Matchers.containsString("host names")));
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/egress-allowlist")))
                .andExpect(jsonPath("$.destinations.length()").value(2));
        String details = jdbc.queryForObject("select details::text from audit_event where action = 'egress.allowlist.update'"
                + " and tenant_slug = ? order by id desc limit 1", String.class, tenant);
        assertThat(details).contains("10.20.0.0/16", "10.30.1.5:5432");
        // a job cannot ask for egress on the KVM platform: its Sentry has no way out yet
        mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/workloads"),
                        "{\"command\":[\"/bin/true\"],\"platform\":\"kvm\",\"network\":\"egress\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("network"))
                .andExpect(jsonPath("$.errors[0].message").value(org.hamcrest.Matchers.containsString("ptrace")));
    }

    @Test
    void refusedConnectionsAreSecurityEventsAndTheAllowlistOpensExactlyWhatItNames() throws Exception {
        String node = nodeAddress() + ":" + server.getLocalPort();
        String id = connectJob("egress", node, "169.254.169.254:80", "192.168.77.1:80");
        assertThat(log(id)).contains(node + " refused", "169.254.169.254:80 refused", "192.168.77.1:80 refused");
        assertThat(events(id)).anySatisfy(d -> assertThat(d).contains("tcp " + node + " (policy)"))
                .anySatisfy(d -> assertThat(d).contains("tcp 169.254.169.254:80 (policy)"))
                .anySatisfy(d -> assertThat(d).contains("tcp 192.168.77.1:80 (policy)"));

        mvc.perform(as(admin, put("/api/v1/tenants/" + tenant + "/egress-allowlist"),
                "{\"destinations\":[\"" + node + "\"]}")).andExpect(status().isOk());
        String allowed = connectJob("egress", node, "169.254.169.254:80");
        assertThat(log(allowed)).contains(node + " ok node", "169.254.169.254:80 refused");
        assertThat(events(allowed)).hasSize(1).allSatisfy(d -> assertThat(d).contains("169.254.169.254:80"));

        // without the policy the allowlist opens nothing: a job has no interface at all
        String none = connectJob(null, node);
        assertThat(log(none)).contains(node + " refused");
    }

    @Test
    void aRunningServiceWithEgressHasItsRefusalsRecordedWhileItRuns() throws Exception {
        String tenantAdmin = userToken(admin, tenant, unique("ops"), "TENANT_ADMIN");
        String program = "import socket, threading, http.server\n"
                + "def knock():\n"
                + "    try: socket.create_connection(('169.254.169.254', 80), 3)\n"
                + "    except OSError: pass\n"
                + "threading.Thread(target=knock).start()\n"
                + "http.server.HTTPServer(('127.0.0.1', 8000), http.server.SimpleHTTPRequestHandler).serve_forever()\n";
        String json = "{\"name\":\"web\",\"port\":8000,\"platform\":\"ptrace\",\"network\":\"egress\",\"command\":"
                + "[\"python3\",\"-c\",\"" + new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance()
                .quoteAsString(program)) + "\"]}";
        String body = mvc.perform(as(tenantAdmin, post("/api/v1/tenants/" + tenant + "/services"), json))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        String id = JsonPath.read(body, "$.workloadId");
        try {
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            List<String> details = List.of();
            while (details.isEmpty() && System.nanoTime() < end) {
                Thread.sleep(500);
                details = events(id);
            }
            assertThat(details).as("security events of the running service").singleElement()
                    .satisfies(d -> assertThat(d).contains("tcp 169.254.169.254:80 (policy)"));
            String service = mvc.perform(as(tenantAdmin, get("/api/v1/tenants/" + tenant + "/services/web")))
                    .andReturn().getResponse().getContentAsString();
            assertThat((String) JsonPath.read(service, "$.state")).as("still running when recorded").isEqualTo("RUNNING");
        } finally {
            mvc.perform(as(tenantAdmin, post("/api/v1/tenants/" + tenant + "/services/web/stop")));
        }
    }
}
