package dev.palisade.sandbox.egress;

import dev.palisade.sandbox.RefusedConnection;
import dev.palisade.sandbox.SandboxException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One sandbox's egress: its veth pair, its nftables chains, its resolv.conf and the refusals the
 * kernel logged for it. {@link #close()} removes all of it (idempotent).
 */
public final class EgressLink implements AutoCloseable {
    /** Refusals kept between two {@link #takeRefused()}; more are counted in {@link #refusedDropped()}. */
    private static final int KEPT = 1000;

    private final int slot;
    private final String hostIf;
    private final int pid;
    private final long base;
    private final String token;
    private final EgressRules rules;
    private final ArrayBlockingQueue<RefusedConnection> refused = new ArrayBlockingQueue<>(KEPT);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private Path resolvConf;
    private boolean rulesInstalled;

    EgressLink(int slot, String hostIf, int pid, long base, String token, EgressRules rules) {
        this.slot = slot;
        this.hostIf = hostIf;
        this.pid = pid;
        this.base = base;
        this.token = token;
        this.rules = rules;
    }

    public int slot() {
        return slot;
    }

    /** The sandbox's own address on its {@code eth0}. */
    public String address() {
        return EgressRules.Destination.dotted(base + 2);
    }

    /** The node's end of the pair, the sandbox's gateway. */
    public String gateway() {
        return EgressRules.Destination.dotted(base + 1);
    }

    /** A file to bind read-only at the sandbox's {@code /etc/resolv.conf}. */
    public Path resolvConf() {
        return resolvConf;
    }

    void configure() {
        String gw = gateway();
        String shape = rules.bandwidthBytesPerSecond() > 0 ? "tc qdisc add dev %s root tbf rate " + rules.bandwidthBytesPerSecond()
                + "bps burst " + Math.max(32768, rules.bandwidthBytesPerSecond() / 8) + " latency 100ms" : null;
        // addresses and the route first, the rules last: until its map entry exists, the veth sends nothing
        HostCommands.run(null, "sh", "-ec", "echo 1 > /proc/sys/net/ipv6/conf/" + hostIf + "/disable_ipv6 || true; "
                + "ip addr add " + gw + "/30 dev " + hostIf + "; ip link set " + hostIf + " up"
                + (shape == null ? "" : "; " + shape.formatted(hostIf)));
        HostCommands.run(null, "nsenter", "--net=/proc/" + pid + "/ns/net", "sh", "-ec",
                "echo 1 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6 || true; "
                        + "ip addr add " + address() + "/30 dev eth0; ip link set eth0 up; ip route add default via " + gw
                        + (shape == null ? "" : "; " + shape.formatted("eth0")));
        KernelLog.listen(token, this::refused);
        HostCommands.run(rulesScript(), "nft", "-f", "-");
        rulesInstalled = true;
        try {
            resolvConf = Files.createTempFile("palisade-resolv-", ".conf",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            StringBuilder b = new StringBuilder();
            for (String r : rules.resolvers()) {
                b.append("nameserver ").append(r).append('\n');
            }
            b.append("options timeout:2 attempts:2\n");
            Files.writeString(resolvConf, b.toString());
        } catch (IOException e) {
            throw new SandboxException("egress set-up failed: cannot write resolv.conf: " + e.getMessage());
        }
    }

    private String rulesScript() {
        String t = "inet " + EgressNetwork.TABLE;
        String sb = "sb_" + slot, rf = "rf_" + slot, rl = "rl_" + slot;
        List<String> s = new ArrayList<>();
        for (String c : List.of(rf, rl, sb)) {
            s.add("add chain " + t + " " + c);
            s.add("flush chain " + t + " " + c);
        }
        // refusals: at most 10 log records a second per sandbox, every one refused (TCP with a reset, so
        // a program learns at once)
        for (String[] c : List.of(new String[] {rf, "policy"}, new String[] {rl, "limit"})) {
            s.add("add rule " + t + " " + c[0] + " limit rate 10/second burst 20 packets log prefix \""
                    + KernelLog.PREFIX + token + " " + c[1] + " \" level warn");
            s.add("add rule " + t + " " + c[0] + " meta l4proto tcp reject with tcp reset");
            s.add("add rule " + t + " " + c[0] + " reject with icmpx admin-prohibited");
        }
        String chain = "add rule " + t + " " + sb + " ";
        s.add(chain + "ct state established,related accept");
        s.add(chain + "ct state new ct count over " + rules.maxConnections() + " jump " + rl);
        s.add(chain + "ct state new limit rate over " + rules.newConnectionsPerSecond() + "/second burst "
                + 2 * rules.newConnectionsPerSecond() + " packets jump " + rl);
        if (!rules.resolvers().isEmpty()) {
            String set = "{ " + String.join(", ", rules.resolvers()) + " }";
            s.add(chain + "ip daddr " + set + " udp dport 53 accept");
            s.add(chain + "ip daddr " + set + " tcp dport 53 accept");
        }
        // the node's services this sandbox is given (its tenant's database), one TCP port each; the
        // service address is in the egress subnet, so this comes before the refusal of the subnet
        for (EgressRules.Destination d : rules.services()) {
            s.add(chain + "ip daddr " + d.network() + " tcp dport " + d.port() + " accept");
        }
        // other sandboxes stay out of reach whatever the allowlist says
        s.add(chain + "ip daddr " + EgressNetwork.subnet() + " jump " + rf);
        for (EgressRules.Destination d : rules.allow()) {
            if (d.port() == 0) {
                s.add(chain + "ip daddr " + d.cidr() + " accept");
            } else {
                s.add(chain + "ip daddr " + d.cidr() + " meta l4proto { tcp, udp } th dport " + d.port() + " accept");
            }
        }
        s.add(chain + "fib daddr type local jump " + rf); // the node itself, on any of its addresses
        s.add(chain + "ip daddr { " + EgressNetwork.REFUSED_V4 + " } jump " + rf);
        s.add(chain + "meta nfproto ipv6 jump " + rf);
        s.add(chain + "accept");
        s.add("add element " + t + " sandboxes { \"" + hostIf + "\" : jump " + sb + " }");
        s.add("");
        return String.join("\n", s);
    }

    /** The nftables script that removes a slot's map entry and chains, in one transaction. */
    static String removal(int slot) {
        String t = "inet " + EgressNetwork.TABLE;
        return String.join("\n",
                "delete element " + t + " sandboxes { \"pe" + slot + "h\" }",
                "delete chain " + t + " sb_" + slot,
                "delete chain " + t + " rf_" + slot,
                "delete chain " + t + " rl_" + slot, "");
    }

    private void refused(RefusedConnection c) {
        if (!refused.offer(c)) {
            dropped.incrementAndGet();
        }
    }

    /** The refusals logged since the last call, oldest first. */
    public List<RefusedConnection> takeRefused() {
        List<RefusedConnection> out = new ArrayList<>();
        refused.drainTo(out);
        return out;
    }

    /** Refusals not kept because {@link #takeRefused()} was not called often enough. */
    public long refusedDropped() {
        return dropped.get();
    }

    /** Removes the veth pair (if the kernel has not already), the rules and the resolv.conf. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        HostCommands.tryRun(null, "ip", "link", "del", hostIf);
        KernelLog.stop(token);
        HostCommands.Result r = rulesInstalled ? HostCommands.tryRun(removal(slot), "nft", "-f", "-") : null;
        if (r != null && r.status() != 0) {
            System.err.println("palisade: warning: egress rules of slot " + slot + " not removed: " + r.err().strip()
                    + " (swept at the next start)");
        }
        if (resolvConf != null) {
            try {
                Files.deleteIfExists(resolvConf);
            } catch (IOException ignored) {
                // a temporary file; nothing else refers to it
            }
        }
    }
}
