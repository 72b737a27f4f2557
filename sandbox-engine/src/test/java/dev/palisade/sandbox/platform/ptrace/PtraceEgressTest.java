package dev.palisade.sandbox.platform.ptrace;

import static dev.palisade.sandbox.platform.ptrace.EgressTopology.METADATA;
import static dev.palisade.sandbox.platform.ptrace.EgressTopology.PRIVATE;
import static dev.palisade.sandbox.platform.ptrace.EgressTopology.PUBLIC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.sandbox.NetworkPolicy;
import dev.palisade.sandbox.PlatformChoice;
import dev.palisade.sandbox.RefusedConnection;
import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxEngine;
import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.egress.EgressLink;
import dev.palisade.sandbox.egress.EgressNetwork;
import dev.palisade.sandbox.egress.EgressRules;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The egress policy on the ptrace platform, against a pretend internet in a network namespace
 * of the test ({@link EgressTopology}): the public address is reached; the metadata address, a
 * private range, the host, a port of the platform and another sandbox are refused and reported
 * with their destination; an allowlisted range is reached; nothing is left on the node after.
 */
class PtraceEgressTest {

    /** Tries each {@code address:port} given and prints {@code address:port ok <answer>} or {@code … refused <error>}. */
    private static final String CLIENT = """
            import socket, sys
            for t in sys.argv[1:]:
                a, p = t.rsplit(":", 1)
                try:
                    s = socket.create_connection((a, int(p)), 3)
                    print(t, "ok", s.recv(100).decode().strip() or "-", flush=True)
                except OSError as e:
                    print(t, "refused", type(e).__name__, e.errno, flush=True)
            """;

    private static EgressTopology internet;
    private static ServerSocket platformPort;

    @BeforeAll
    static void pretendInternet() throws Exception {
        Runs.assumePlatform();
        assumeTrue(!Rootless.ACTIVE, "egress needs root");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/nft")), "nftables is not installed (ops/install-test-packages.sh)");
        internet = new EgressTopology();
        platformPort = new ServerSocket(0); // stands for the platform's HTTP port, on every address of the node
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (internet != null) {
            internet.close();
        }
        if (platformPort != null) {
            platformPort.close();
        }
    }

    private static SandboxSpec.Builder egress(EgressRules rules, String... targets) {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", "-c", CLIENT));
        cmd.addAll(List.of(targets));
        return SandboxSpec.builder(cmd).limits(Runs.TEST_LIMITS).network(NetworkPolicy.EGRESS).egress(rules);
    }

    record Run(Map<String, String> answers, List<RefusedConnection> refused, SandboxResult result) {
    }

    private static Run run(SandboxSpec spec) throws Exception {
        try (Sandbox s = Runs.PLATFORM.start(spec)) {
            s.stdin().close();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread e = new Thread(() -> {
                try {
                    s.stderr().transferTo(err);
                } catch (Exception ignored) {
                    // ended
                }
            });
            e.start();
            String out = new String(s.stdout().readAllBytes(), StandardCharsets.UTF_8);
            SandboxResult r = s.await();
            e.join(2000);
            Map<String, String> answers = new TreeMap<>();
            out.lines().forEach(l -> {
                String[] p = l.split(" ", 2);
                answers.put(p[0], p[1]);
            });
            assertThat(r.exitCode()).as("client: " + out + err).isZero();
            return new Run(answers, s.takeRefusedConnections(), r);
        }
    }

    private static List<String> destinations(List<RefusedConnection> refused) {
        return refused.stream().map(c -> c.destination() + ":" + c.port() + "/" + c.protocol() + "/" + c.reason()).toList();
    }

    @Test
    void reachesThePublicInternetAndNothingElseAndReportsEachRefusal() throws Exception {
        List<String> before = EgressTopology.egressState();
        String host = EgressTopology.hostAddress() + ":" + platformPort.getLocalPort();
        Run r = run(egress(EgressRules.DEFAULT, PUBLIC + ":80", METADATA + ":80", PRIVATE + ":80", host,
                "127.0.0.1:" + platformPort.getLocalPort()).build());

        assertThat(r.answers().get(PUBLIC + ":80")).isEqualTo("ok " + PUBLIC);
        assertThat(r.answers().get(METADATA + ":80")).startsWith("refused ConnectionRefusedError");
        assertThat(r.answers().get(PRIVATE + ":80")).startsWith("refused ConnectionRefusedError");
        assertThat(r.answers().get(host)).startsWith("refused ConnectionRefusedError");
        assertThat(r.answers().get("127.0.0.1:" + platformPort.getLocalPort())).startsWith("refused");
        assertThat(destinations(r.refused())).contains(METADATA + ":80/tcp/policy", PRIVATE + ":80/tcp/policy",
                host + "/tcp/policy").doesNotContain(PUBLIC + ":80/tcp/policy");
        assertThat(EgressTopology.egressState()).as("veths and chains after the sandbox ended").isEqualTo(before);
    }

    @Test
    void anAllowlistedPrivateRangeBecomesReachableAndNothingMore() throws Exception {
        EgressRules rules = EgressRules.DEFAULT.withAllow(List.of(EgressRules.Destination.parse("10.77.0.0/24")));
        Run r = run(egress(rules, PRIVATE + ":80", METADATA + ":80").build());
        assertThat(r.answers().get(PRIVATE + ":80")).isEqualTo("ok " + PRIVATE);
        assertThat(r.answers().get(METADATA + ":80")).startsWith("refused");
        // a port-bound entry opens only that port
        EgressRules onePort = EgressRules.DEFAULT.withAllow(List.of(EgressRules.Destination.parse(PRIVATE + ":81")));
        Run p = run(egress(onePort, PRIVATE + ":80").build());
        assertThat(p.answers().get(PRIVATE + ":80")).startsWith("refused");
    }

    @Test
    void theSandboxsResolversAreItsOwnReadOnlyResolvConf() throws Exception {
        EgressRules rules = new EgressRules(List.of(), List.of("192.0.2.53"), 64, 50, 0);
        String show = "cat /etc/resolv.conf; grep ' /etc/resolv.conf ' /proc/self/mountinfo | awk '{print $6}' | cut -d, -f1; "
                + "(echo nameserver 10.0.0.1 >> /etc/resolv.conf) 2>/dev/null && echo changed; true";
        Path data = Files.createTempDirectory("palisade-egress");
        try {
            // a stub prepared ahead of time (no bind) and one set up at the start (a bind of its own)
            for (SandboxSpec spec : List.of(
                    SandboxSpec.builder(List.of("/bin/sh", "-c", show)).limits(Runs.TEST_LIMITS)
                            .network(NetworkPolicy.EGRESS).egress(rules).build(),
                    SandboxSpec.builder(List.of("/bin/sh", "-c", show)).limits(Runs.TEST_LIMITS)
                            .network(NetworkPolicy.EGRESS).egress(rules).bind(new SandboxSpec.Bind(data, "/data", true)).build())) {
                try (Sandbox s = Runs.PLATFORM.start(spec)) {
                    s.stdin().close();
                    String out = new String(s.stdout().readAllBytes(), StandardCharsets.UTF_8);
                    assertThat(s.await().exitCode()).isZero();
                    assertThat(out).isEqualTo("nameserver 192.0.2.53\noptions timeout:2 attempts:2\nro\n");
                }
            }
        } finally {
            Files.deleteIfExists(data);
        }
    }

    @Test
    void withoutTheEgressPolicyNothingIsReachable() throws Exception {
        for (NetworkPolicy policy : List.of(NetworkPolicy.NONE, NetworkPolicy.LOOPBACK)) {
            Run r = run(egress(EgressRules.DEFAULT, PUBLIC + ":80").network(policy).build());
            assertThat(r.answers().get(PUBLIC + ":80")).as(policy.name()).startsWith("refused");
            assertThat(r.refused()).isEmpty();
        }
    }

    @Test
    void anotherSandboxIsRefusedEvenWhenItsRangeIsAllowlisted() throws Exception {
        List<String> before = EgressTopology.egressState();
        // the server prints its own address (the source of a route lookup towards the public one), then serves
        String server = """
                import socket
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.connect(("203.0.113.10", 9))
                s = socket.socket(); s.bind(("0.0.0.0", 8000)); s.listen(8)
                print(u.getsockname()[0], flush=True)
                while True:
                    c, _ = s.accept(); c.sendall(b"sandbox\\n"); c.close()
                """;
        try (Sandbox a = Runs.PLATFORM.start(SandboxSpec.builder(List.of("/usr/bin/python3", "-c", server))
                .limits(Runs.TEST_LIMITS).network(NetworkPolicy.EGRESS).build())) {
            String address = new BufferedReader(new InputStreamReader(a.stdout(), StandardCharsets.US_ASCII)).readLine();
            assertThat(address).startsWith(EgressNetwork.subnet().substring(0, 6));
            assertThat(EgressTopology.egressState()).as("while a sandbox runs").anyMatch(x -> x.matches("pe\\d+h"))
                    .anyMatch(x -> x.startsWith("chain sb_"));
            EgressRules everything = EgressRules.DEFAULT.withAllow(List.of(EgressRules.Destination.parse("10.0.0.0/8")));
            Run b = run(egress(everything, address + ":8000").build());
            assertThat(b.answers().get(address + ":8000")).startsWith("refused");
            assertThat(destinations(b.refused())).contains(address + ":8000/tcp/policy");
            a.kill();
            assertThat(a.await().termination()).isNotNull();
        }
        assertThat(EgressTopology.egressState()).as("veths and chains after a killed sandbox").isEqualTo(before);
    }

    @Test
    void theConnectionBoundRefusesConnectionsPastIt() throws Exception {
        EgressRules two = new EgressRules(List.of(), EgressRules.DEFAULT_RESOLVERS, 2, 50, 0);
        String holder = """
                import socket
                held = [socket.create_connection(("203.0.113.10", 80), 3) for _ in range(2)]
                try:
                    socket.create_connection(("203.0.113.10", 80), 3); print("third ok")
                except OSError as e:
                    print("third refused", e.errno)
                """;
        try (Sandbox s = Runs.PLATFORM.start(SandboxSpec.builder(List.of("/usr/bin/python3", "-c", holder))
                .limits(Runs.TEST_LIMITS).network(NetworkPolicy.EGRESS).egress(two).build())) {
            String out = new String(s.stdout().readAllBytes(), StandardCharsets.UTF_8);
            s.await();
            assertThat(out).startsWith("third refused");
            assertThat(destinations(s.takeRefusedConnections())).contains(PUBLIC + ":80/tcp/limit");
        }
    }

    @Test
    void theSandboxResolvesNamesThroughAResolverTheRulesAllowAndNothingElseThere() throws Exception {
        // the resolver sits at a private address: port 53 is allowed there, nothing else
        EgressRules rules = new EgressRules(List.of(), List.of(PRIVATE), 16, 10, 0);
        String lookup = """
                import socket
                print(open("/etc/resolv.conf").readline().strip())
                a = socket.gethostbyname("api.example.com")
                print(a, socket.create_connection((a, 80), 3).recv(100).decode().strip())
                try:
                    socket.create_connection(("%s", 80), 3); print("resolver's port 80 ok")
                except OSError as e:
                    print("resolver's port 80 refused")
                """.formatted(PRIVATE);
        try (Sandbox s = Runs.PLATFORM.start(SandboxSpec.builder(List.of("/usr/bin/python3", "-c", lookup))
                .limits(Runs.TEST_LIMITS).network(NetworkPolicy.EGRESS).egress(rules).build())) {
            String out = new String(s.stdout().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(s.stderr().readAllBytes(), StandardCharsets.UTF_8);
            s.await();
            assertThat(out).as(err).isEqualTo("nameserver " + PRIVATE + "\n" + PUBLIC + " " + PUBLIC + "\n"
                    + "resolver's port 80 refused\n");
        }
    }

    @Test
    void rulesAnEngineCrashLeftBehindAreSweptAndKvmRefusesThePolicy() throws Exception {
        // an engine that died before tearing down: the namespace (and so the veth) went, the chains stayed
        String ns = "pal-crash-" + ProcessHandle.current().pid();
        EgressTopology.sh("ip netns add " + ns);
        Process sleeper = new ProcessBuilder("ip", "netns", "exec", ns, "sleep", "30").start();
        try {
            Thread.sleep(200);
            EgressLink link = EgressNetwork.attach((int) sleeper.pid(), EgressRules.DEFAULT); // ip netns exec execs sleep
            assertThat(EgressNetwork.slotInUse(link.slot())).isTrue();
            sleeper.destroyForcibly().waitFor();
            EgressTopology.sh("ip netns del " + ns);
            Thread.sleep(300);
            assertThat(EgressNetwork.sweep()).contains(link.slot());
            assertThat(EgressNetwork.slotInUse(link.slot())).isFalse();
        } finally {
            sleeper.destroyForcibly();
            EgressTopology.sh("ip netns del " + ns + " 2>/dev/null || true");
        }
        SandboxEngine engine = SandboxEngine.create(s -> { });
        SandboxSpec spec = SandboxSpec.builder(List.of("/bin/true")).network(NetworkPolicy.EGRESS)
                .platform(PlatformChoice.KVM).build();
        assertThatThrownBy(() -> engine.resolve(spec)).isInstanceOf(SandboxException.class)
                .hasMessageContaining("egress needs the ptrace platform");
    }
}
