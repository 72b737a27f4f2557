package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.egress.EgressNetwork;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A pretend internet inside this machine for egress tests: a network namespace holding a
 * "public" address ({@value #PUBLIC}), the cloud metadata address ({@value #METADATA}) and a
 * private one ({@value #PRIVATE}), each answering TCP on port 80 with the address it was reached
 * at, and a DNS resolver on the private one (UDP 53) that answers every name with the public
 * address. Only traffic from the sandboxes' egress subnet is routed there (a routing table of its
 * own, whose default is unreachable), so nothing a test sends leaves the machine.
 */
final class EgressTopology implements AutoCloseable {
    static final String PUBLIC = "203.0.113.10", METADATA = "169.254.169.254", PRIVATE = "10.77.0.5";
    private static final int TABLE = 7213;

    private final String ns = "pal-inet-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20));
    private final String hostIf = "pti" + ns.substring(9);
    private Process server;

    EgressTopology() throws Exception {
        sh("ip netns add " + ns,
                "ip link add " + hostIf + " type veth peer name eth0 netns " + ns,
                "ip addr add 198.51.100.1/30 dev " + hostIf, "ip link set " + hostIf + " up",
                "ip -n " + ns + " addr add 198.51.100.2/30 dev eth0", "ip -n " + ns + " link set eth0 up",
                "ip -n " + ns + " link set lo up",
                "ip -n " + ns + " addr add " + PUBLIC + "/32 dev lo",
                "ip -n " + ns + " addr add " + METADATA + "/32 dev lo",
                "ip -n " + ns + " addr add " + PRIVATE + "/32 dev lo",
                "ip -n " + ns + " route add default via 198.51.100.1",
                "ip route add " + PUBLIC + "/32 via 198.51.100.2 table " + TABLE,
                "ip route add " + METADATA + "/32 via 198.51.100.2 table " + TABLE,
                "ip route add " + PRIVATE + "/32 via 198.51.100.2 table " + TABLE,
                "ip route add unreachable default table " + TABLE,
                // sandboxes' own addresses are looked up in the main table, as on a node without this topology
                "ip route add throw " + EgressNetwork.subnet() + " table " + TABLE,
                "ip rule add from " + EgressNetwork.subnet() + " lookup " + TABLE + " priority " + TABLE);
        server = new ProcessBuilder("ip", "netns", "exec", ns, "python3", "-c", """
                import socket, struct, threading
                def dns():
                    # answers every A query with the public address: a resolver at a private address
                    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("%s", 53))
                    while True:
                        q, peer = u.recvfrom(512)
                        end = q.index(b"\\0", 12) + 5
                        answer = b"\\xc0\\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("%s")
                        u.sendto(q[:2] + b"\\x81\\x80" + q[4:6] + b"\\0\\1\\0\\0\\0\\0" + q[12:end] + answer, peer)
                threading.Thread(target=dns, daemon=True).start()
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0", 80)); s.listen(64)
                print("listening", flush=True)
                while True:
                    c, _ = s.accept(); c.sendall((c.getsockname()[0] + "\\n").encode()); c.close()
                """.formatted(PRIVATE, PUBLIC)).redirectErrorStream(true).start();
        String first = new String(server.getInputStream().readNBytes(10), StandardCharsets.US_ASCII);
        if (!first.startsWith("listening")) {
            close();
            throw new IllegalStateException("the pretend internet's server did not start: " + first);
        }
    }

    /** An IPv4 address of this machine that is not loopback (what a sandbox would call "the host"). */
    static String hostAddress() throws IOException {
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nif.isLoopback() || !nif.isUp() || nif.getName().startsWith("pe") || nif.getName().startsWith("pti")) {
                continue;
            }
            for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                if (a instanceof Inet4Address) {
                    return a.getHostAddress();
                }
            }
        }
        throw new IllegalStateException("no IPv4 address on this machine");
    }

    /** Host-side egress interfaces and nftables chains now on the node. */
    static List<String> egressState() throws Exception {
        List<String> state = new ArrayList<>();
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nif.getName().matches("pe\\d+h")) {
                state.add(nif.getName());
            }
        }
        Process p = new ProcessBuilder("nft", "list", "table", "inet", "palisade_egress").start();
        for (String line : new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList()) {
            if (line.strip().matches("chain (sb|rf|rl)_\\d+ \\{")) {
                state.add(line.strip());
            }
        }
        p.waitFor();
        Collections.sort(state);
        return state;
    }

    static void sh(String... commands) throws Exception {
        for (String c : commands) {
            Process p = new ProcessBuilder("sh", "-c", c).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(c + ": " + out);
            }
        }
    }

    private static void quietly(String c) {
        try {
            sh(c);
        } catch (Exception ignored) {
            // tearing down what may not exist
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.destroyForcibly();
        }
        quietly("ip rule del priority " + TABLE);
        quietly("ip route flush table " + TABLE);
        quietly("ip link del " + hostIf);
        quietly("ip netns del " + ns);
    }
}
