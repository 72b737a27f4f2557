package dev.palisade.platform.edge;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import org.springframework.security.web.util.matcher.IpAddressMatcher;
import org.springframework.stereotype.Component;

/**
 * The proxies whose word on the client is believed ({@code palisade.edge.trusted-proxies}:
 * addresses and CIDR ranges). A request from one of them says, in {@code Forwarded} or
 * {@code X-Forwarded-For}, whom it came from; walking that list from the right past every trusted
 * proxy gives the client (the leftmost entries may be the client's own invention, which a proxy
 * that appends passes on). From any other peer these headers are dropped: the peer is the client.
 */
@Component
public class TrustedProxies {

    /** What a client may say about forwarding; believed from trusted proxies only, never passed on as sent. */
    public static final Set<String> HEADERS = Set.of("forwarded", "x-forwarded-for", "x-forwarded-host",
            "x-forwarded-proto", "x-forwarded-port", "x-forwarded-prefix", "x-forwarded-server", "x-forwarded-ssl",
            "x-real-ip", "x-original-url", "x-original-host");

    /** The client as the trusted proxies describe it: its address and the scheme it used. */
    public record Client(String address, String scheme) {
    }

    private final List<IpAddressMatcher> proxies = new ArrayList<>();

    public TrustedProxies(EdgeProperties edge) {
        for (String p : edge.trustedProxies()) {
            if (p == null || p.isBlank()) {
                continue;
            }
            try {
                proxies.add(new IpAddressMatcher(p.strip()));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("palisade.edge.trusted-proxies: '" + p + "' is not an address or a"
                        + " CIDR range (10.0.0.0/8, fd00::/8, 192.0.2.7)", e);
            }
        }
    }

    /** Whether the peer at this address is a trusted proxy. */
    public boolean trusts(String address) {
        if (address == null || address.isEmpty() || proxies.isEmpty() || !literal(address)) {
            return false;
        }
        for (IpAddressMatcher m : proxies) {
            try {
                if (m.matches(address)) {
                    return true;
                }
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return false;
    }

    /**
     * The client behind {@code peer}: from a trusted peer, as its forwarding headers say
     * ({@code header}: all values of a header, joined by commas, or null); from any other, the peer
     * itself over {@code scheme}.
     */
    public Client client(String peer, String scheme, Function<String, String> header) {
        if (!trusts(peer)) {
            return new Client(peer, scheme);
        }
        String forwarded = header.apply("forwarded");
        if (forwarded != null) {
            List<String> elements = split(forwarded);
            int i = walk(elements.stream().map(e -> parameter(e, "for")).toList());
            if (i >= 0) {
                String proto = parameter(elements.get(i), "proto");
                return new Client(address(parameter(elements.get(i), "for"), peer), proto(proto, scheme));
            }
        }
        String xff = header.apply("x-forwarded-for");
        String proto = header.apply("x-forwarded-proto");
        proto = proto == null ? null : split(proto).get(0);
        if (xff != null) {
            List<String> hops = split(xff);
            int i = walk(hops);
            if (i >= 0) {
                return new Client(address(hops.get(i), peer), proto(proto, scheme));
            }
        }
        return new Client(peer, proto(proto, scheme));
    }

    /** From the right, the first hop that is not a trusted proxy (or the leftmost); -1 when there is none. */
    private int walk(List<String> hops) {
        int i = hops.size() - 1;
        while (i > 0 && trusts(address(hops.get(i), null))) {
            i--;
        }
        return i;
    }

    private static List<String> split(String values) {
        List<String> out = new ArrayList<>();
        for (String v : values.split(",")) {
            if (!v.isBlank()) {
                out.add(v.strip());
            }
        }
        return out.isEmpty() ? List.of("") : out;
    }

    /** A parameter of one {@code Forwarded} element ({@code for=…;proto=…}), unquoted; null when absent. */
    private static String parameter(String element, String name) {
        for (String pair : element.split(";")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).strip().equalsIgnoreCase(name)) {
                String v = pair.substring(eq + 1).strip();
                return v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"") ? v.substring(1, v.length() - 1) : v;
            }
        }
        return null;
    }

    /** The address of a hop ({@code 192.0.2.1}, {@code 192.0.2.1:4711}, {@code [2001:db8::1]:4711}); {@code fallback} when it is none. */
    private static String address(String hop, String fallback) {
        if (hop == null) {
            return fallback;
        }
        String a = hop.strip();
        if (a.startsWith("[")) {
            int close = a.indexOf(']');
            a = close < 0 ? "" : a.substring(1, close);
        } else if (a.indexOf(':') == a.lastIndexOf(':') && a.indexOf(':') >= 0) {
            a = a.substring(0, a.indexOf(':'));   // IPv4 with a port
        }
        return literal(a) ? a : fallback;
    }

    private static String proto(String proto, String fallback) {
        if (proto == null) {
            return fallback;
        }
        String p = proto.strip().toLowerCase(Locale.ROOT);
        return p.equals("https") || p.equals("http") ? p : fallback;
    }

    /** An IP address literal (never a name: nothing here resolves DNS). */
    private static boolean literal(String a) {
        if (a.isEmpty() || a.length() > 45) {
            return false;
        }
        boolean v6 = a.indexOf(':') >= 0;
        for (int i = 0; i < a.length(); i++) {
            char c = a.charAt(i);
            if (!((v6 ? Character.digit(c, 16) : Character.digit(c, 10)) >= 0 || c == '.' || (v6 && c == ':'))) {
                return false;
            }
        }
        return v6 || a.chars().filter(c -> c == '.').count() == 3;
    }
}
