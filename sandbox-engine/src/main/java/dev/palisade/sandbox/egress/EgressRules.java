package dev.palisade.sandbox.egress;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one sandbox with the egress policy may reach beyond the public internet, and its bounds.
 *
 * @param allow                   destinations allowed although the policy refuses them otherwise
 *                                (a private range, the node's own address, …)
 * @param resolvers               DNS resolvers written to the sandbox's {@code /etc/resolv.conf}
 *                                and allowed on port 53 whatever their address
 * @param maxConnections          connections the sandbox may have open at once (tracked by the
 *                                kernel's conntrack); more are refused
 * @param newConnectionsPerSecond new connections per second (bursts of twice that); more are refused
 * @param bandwidthBytesPerSecond each direction's rate, shaped by {@code tc}; 0 for none
 * @param services                the node's own services this sandbox may reach over TCP (its
 *                                tenant's database): each an address:port on
 *                                {@link EgressNetwork#serviceAddress()}, the one address of the
 *                                node a sandbox may be allowed; nothing else of the node opens
 */
public record EgressRules(List<Destination> allow, List<String> resolvers, int maxConnections,
        int newConnectionsPerSecond, long bandwidthBytesPerSecond, List<Destination> services) {

    /**
     * Public resolvers: the node's own is usually a private or loopback address (a cloud VPC's,
     * systemd-resolved's), which the policy refuses.
     */
    public static final List<String> DEFAULT_RESOLVERS = List.of("1.1.1.1", "9.9.9.9");
    public static final EgressRules DEFAULT = new EgressRules(List.of(), DEFAULT_RESOLVERS, 256, 50, 12_500_000L);

    public EgressRules(List<Destination> allow, List<String> resolvers, int maxConnections, int newConnectionsPerSecond,
            long bandwidthBytesPerSecond) {
        this(allow, resolvers, maxConnections, newConnectionsPerSecond, bandwidthBytesPerSecond, List.of());
    }

    public EgressRules {
        allow = List.copyOf(allow == null ? List.of() : allow);
        services = List.copyOf(services == null ? List.of() : services);
        for (Destination d : services) {
            if (d.prefix() != 32 || d.port() == 0 || !d.network().equals(EgressNetwork.serviceAddress())) {
                throw new IllegalArgumentException("a node service is one port of " + EgressNetwork.serviceAddress()
                        + ", not " + d);
            }
        }
        resolvers = List.copyOf(resolvers == null ? DEFAULT_RESOLVERS : resolvers);
        for (String r : resolvers) {
            Destination.parse(r); // an IPv4 address, or an error naming it
        }
        if (maxConnections < 1 || newConnectionsPerSecond < 1 || bandwidthBytesPerSecond < 0) {
            throw new IllegalArgumentException("egress bounds must be positive (bandwidth 0 for none)");
        }
    }

    public EgressRules withAllow(List<Destination> more) {
        return new EgressRules(more, resolvers, maxConnections, newConnectionsPerSecond, bandwidthBytesPerSecond, services);
    }

    public EgressRules withServices(List<Destination> reachable) {
        return new EgressRules(allow, resolvers, maxConnections, newConnectionsPerSecond, bandwidthBytesPerSecond, reachable);
    }

    /**
     * An IPv4 network and optionally one port: {@code 10.1.0.0/16}, {@code 10.1.2.3},
     * {@code 10.1.2.3:5432}, {@code 10.1.0.0/16:443}. A port allows TCP and UDP to it.
     *
     * @param network the network address (host bits cleared)
     * @param prefix  its prefix length, 0–32
     * @param port    1–65535, or 0 for every port
     */
    public record Destination(String network, int prefix, int port) {

        private static final Pattern FORM = Pattern.compile(
                "(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})(?:/(\\d{1,2}))?(?::(\\d{1,5}))?");

        public Destination {
            if (prefix < 0 || prefix > 32 || port < 0 || port > 65535) {
                throw new IllegalArgumentException("prefix must be 0-32 and port 1-65535");
            }
        }

        /**
         * Parses the text form; refuses anything else with a message fit for the person who wrote
         * it. Host names are refused: what a name resolves to changes after the rule is made.
         */
        public static Destination parse(String text) {
            String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
            Matcher m = FORM.matcher(t);
            if (!m.matches()) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address or CIDR with an optional :port"
                        + " (for example 10.1.0.0/16 or 10.1.2.3:5432; host names and IPv6 are not accepted)");
            }
            long addr = 0;
            for (int i = 1; i <= 4; i++) {
                int octet = Integer.parseInt(m.group(i));
                if (octet > 255) {
                    throw new IllegalArgumentException("'" + text + "': " + octet + " is not an octet");
                }
                addr = addr << 8 | octet;
            }
            int prefix = m.group(5) == null ? 32 : Integer.parseInt(m.group(5));
            if (prefix > 32) {
                throw new IllegalArgumentException("'" + text + "': a prefix is at most 32");
            }
            int port = m.group(6) == null ? 0 : Integer.parseInt(m.group(6));
            if (m.group(6) != null && (port < 1 || port > 65535)) {
                throw new IllegalArgumentException("'" + text + "': a port is 1-65535");
            }
            long mask = prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
            return new Destination(dotted(addr & mask), prefix, port);
        }

        static String dotted(long a) {
            return (a >> 24 & 255) + "." + (a >> 16 & 255) + "." + (a >> 8 & 255) + "." + (a & 255);
        }

        /** The canonical text form, as {@link #parse} reads it. */
        @Override
        public String toString() {
            return network + (prefix == 32 ? "" : "/" + prefix) + (port == 0 ? "" : ":" + port);
        }

        String cidr() {
            return network + "/" + prefix;
        }
    }
}
