package dev.palisade.sandbox.egress;

import dev.palisade.sandbox.SandboxException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node's side of egress: one nftables table shared by every sandbox of every engine on the
 * node, and a slot (a /30 of the egress subnet and the interface {@code pe<slot>h}) per sandbox.
 * A slot is taken by creating its veth: the kernel refuses a second interface of the same name, so
 * two engines on one node never share one.
 *
 * <p>The subnet is {@code 10.213.0.0/16} unless the system property {@code palisade.egress.subnet}
 * names another (a /16 to /22, private, unused on the node).
 */
public final class EgressNetwork {
    static final String TABLE = "palisade_egress";
    /** Refused by default: this network, private and shared ranges, loopback, link-local, multicast and reserved. */
    static final String REFUSED_V4 = "0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16, "
            + "172.16.0.0/12, 192.168.0.0/16, 224.0.0.0/3";
    private static final Pattern CHAIN = Pattern.compile("chain sb_(\\d+) \\{");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long SUBNET;
    private static final int SUBNET_PREFIX;
    private static volatile boolean tableReady;

    static {
        EgressRules.Destination d = EgressRules.Destination.parse(System.getProperty("palisade.egress.subnet", "10.213.0.0/16"));
        if (d.prefix() < 16 || d.prefix() > 22 || d.port() != 0) {
            throw new IllegalStateException("palisade.egress.subnet must be a /16 to /22 without a port");
        }
        SUBNET = parse(d.network());
        SUBNET_PREFIX = d.prefix();
    }

    private EgressNetwork() {
    }

    /** The egress subnet, e.g. {@code 10.213.0.0/16}. */
    public static String subnet() {
        return EgressRules.Destination.dotted(SUBNET) + "/" + SUBNET_PREFIX;
    }

    /**
     * The node's one address that a sandbox may be given (its tenant's database listens there):
     * the subnet's first host address, which no slot uses.
     */
    public static String serviceAddress() {
        return EgressRules.Destination.dotted(SUBNET + 1);
    }

    /**
     * Puts {@link #serviceAddress()} on the node (on its loopback interface, as a /32: a local
     * address every interface delivers to, and no route to anywhere; idempotent across engines and
     * restarts) so that a server can listen there. Throws a {@link SandboxException} saying why not
     * (not root, no iproute2).
     */
    public static synchronized void ensureServiceAddress() {
        HostCommands.Result r = HostCommands.tryRun(null, "ip", "addr", "replace", serviceAddress() + "/32", "dev", "lo");
        if (r.status() != 0) {
            throw new SandboxException("cannot give the node the service address " + serviceAddress() + ": " + r.err().strip());
        }
    }

    static long parse(String dotted) {
        long a = 0;
        for (String o : dotted.split("\\.")) {
            a = a << 8 | Integer.parseInt(o);
        }
        return a;
    }

    /**
     * Gives the sandbox whose processes live in the network namespace of {@code pid} its interface,
     * its rules and its resolver configuration. Throws a {@link SandboxException} saying what failed;
     * nothing of a failed attach is left behind.
     */
    public static EgressLink attach(int pid, EgressRules rules) {
        ensureTable();
        int slots = 1 << (32 - SUBNET_PREFIX - 2);
        int start = 1 + RANDOM.nextInt(slots - 1); // slot 0 would hold the subnet's own address
        for (int i = 0; i < slots - 1; i++) {
            int slot = 1 + (start - 1 + i) % (slots - 1);
            String host = "pe" + slot + "h";
            HostCommands.Result r = HostCommands.tryRun(null, "ip", "link", "add", host, "type", "veth",
                    "peer", "name", "eth0", "netns", Integer.toString(pid));
            if (r.status() == 0) {
                EgressLink link = new EgressLink(slot, host, pid, SUBNET + 4L * slot, token(), rules);
                try {
                    link.configure();
                    return link;
                } catch (RuntimeException e) {
                    link.close();
                    throw e;
                }
            }
            if (!r.err().contains("exists")) {
                throw new SandboxException("egress set-up failed: cannot create a veth pair: " + r.err().strip());
            }
        }
        throw new SandboxException("egress set-up failed: every slot of " + subnet() + " is in use on this node");
    }

    private static String token() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Creates the shared table once per engine (idempotent across engines) and sweeps what crashed engines left. */
    private static void ensureTable() {
        if (tableReady) {
            return;
        }
        synchronized (EgressNetwork.class) {
            if (tableReady) {
                return;
            }
            try {
                Files.writeString(Path.of("/proc/sys/net/ipv4/ip_forward"), "1\n");
            } catch (IOException e) {
                throw new SandboxException("egress set-up failed: cannot enable IPv4 forwarding: " + e.getMessage());
            }
            String t = "inet " + TABLE;
            HostCommands.run(String.join("\n",
                    "add table " + t,
                    "add map " + t + " sandboxes { type ifname : verdict; }",
                    "add chain " + t + " forward { type filter hook forward priority -10; policy accept; }",
                    "add chain " + t + " input { type filter hook input priority -10; policy accept; }",
                    "add chain " + t + " postrouting { type nat hook postrouting priority 100; policy accept; }",
                    "flush chain " + t + " forward",
                    "flush chain " + t + " input",
                    "flush chain " + t + " postrouting",
                    // a sandbox's own chain decides what it sends; a veth without one (being set up or
                    // torn down) sends nothing, and nothing but answers ever goes into a sandbox
                    "add rule " + t + " forward iifname vmap @sandboxes",
                    "add rule " + t + " forward iifname \"pe*h\" drop",
                    "add rule " + t + " forward oifname \"pe*h\" ct state established,related accept",
                    "add rule " + t + " forward oifname \"pe*h\" drop",
                    "add rule " + t + " input iifname vmap @sandboxes",
                    "add rule " + t + " input iifname \"pe*h\" drop",
                    "add rule " + t + " postrouting iifname \"pe*h\" masquerade",
                    ""), "nft", "-f", "-");
            sweep();
            tableReady = true;
        }
    }

    /**
     * Removes the chains of sandboxes whose interface is gone (an engine that was killed before it
     * could tear down; the kernel removed the veth with the sandbox's namespace). Returns the slots swept.
     */
    public static List<Integer> sweep() {
        HostCommands.Result r = HostCommands.tryRun(null, "nft", "list", "table", "inet", TABLE);
        List<Integer> swept = new ArrayList<>();
        if (r.status() != 0) {
            return swept;
        }
        Matcher m = CHAIN.matcher(r.out());
        while (m.find()) {
            int slot = Integer.parseInt(m.group(1));
            if (!Files.exists(Path.of("/sys/class/net/pe" + slot + "h"))) {
                if (HostCommands.tryRun(EgressLink.removal(slot), "nft", "-f", "-").status() == 0) {
                    swept.add(slot);
                }
            }
        }
        return swept;
    }

    /** Whether any interface or nftables chain of {@code slot} is still on the node (for tests and checks). */
    public static boolean slotInUse(int slot) {
        if (Files.exists(Path.of("/sys/class/net/pe" + slot + "h"))) {
            return true;
        }
        HostCommands.Result r = HostCommands.tryRun(null, "nft", "list", "table", "inet", TABLE);
        return r.status() == 0 && r.out().contains("chain sb_" + slot + " {");
    }
}
