package dev.palisade.platform.edge;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import org.springframework.web.filter.ForwardedHeaderFilter;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Forwarding headers on the platform port, ahead of the ingress, Spring Security and the console:
 * from a peer that is not a trusted proxy they are hidden, so nothing downstream (the ingress's
 * view of the client, the session cookie's {@code Secure}, HSTS, redirects) takes a client's word
 * for its scheme or address. From a trusted proxy the client found by {@link TrustedProxies}
 * replaces the chain, and Spring's {@link ForwardedHeaderFilter} applies them (scheme, host, port,
 * client address). The internal listener is left alone: the node hop carries the edge's own
 * headers, behind the node secret.
 */
public class TrustedProxyFilter extends OncePerRequestFilter {

    private final TrustedProxies proxies;
    private final Predicate<HttpServletRequest> internalHop;
    private final ForwardedHeaderFilter forwarded = new ForwardedHeaderFilter();

    /** {@code internalHop}: whether a request came over the node hop (the internal listener's {@code arrivedOn}). */
    public TrustedProxyFilter(TrustedProxies proxies, Predicate<HttpServletRequest> internalHop) {
        this.proxies = proxies;
        this.internalHop = internalHop;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return internalHop.test(request);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws ServletException, IOException {
        if (!proxies.trusts(req.getRemoteAddr())) {
            chain.doFilter(new Forwarding(req, null), resp);
            return;
        }
        TrustedProxies.Client client = proxies.client(req.getRemoteAddr(), req.getScheme(), name -> joined(req, name));
        forwarded.doFilter(new Forwarding(req, client), resp, chain);
    }

    private static String joined(HttpServletRequest req, String name) {
        List<String> values = Collections.list(req.getHeaders(name));
        return values.isEmpty() ? null : String.join(",", values);
    }

    /**
     * The request with the forwarding headers hidden ({@code client} null), or narrowed to the
     * client a trusted proxy named: one {@code X-Forwarded-For}, one {@code Forwarded} element.
     */
    private static final class Forwarding extends HttpServletRequestWrapper {
        private final TrustedProxies.Client client;

        Forwarding(HttpServletRequest req, TrustedProxies.Client client) {
            super(req);
            this.client = client;
        }

        private String replaced(String name) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!TrustedProxies.HEADERS.contains(lower)) {
                return null;
            }
            if (client == null) {
                return "";
            }
            String host = lower.equals("forwarded") ? super.getHeader(name) : null;
            return switch (lower) {
                case "x-forwarded-for" -> client.address();
                case "x-forwarded-proto" -> client.scheme();
                case "forwarded" -> host == null ? "" : "for=\"" + (client.address().indexOf(':') >= 0
                        ? "[" + client.address() + "]" : client.address()) + "\";proto=" + client.scheme()
                        + hostOf(host);
                default -> null;
            };
        }

        /** The {@code host=} of the first element, kept (the host the client asked for). */
        private static String hostOf(String forwarded) {
            for (String pair : forwarded.split(",")[0].split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).strip().equalsIgnoreCase("host")) {
                    return ";host=" + pair.substring(eq + 1).strip();
                }
            }
            return "";
        }

        @Override
        public String getHeader(String name) {
            String r = replaced(name);
            if (r == null) {
                return super.getHeader(name);
            }
            return r.isEmpty() ? null : r;
        }

        @Override
        public Enumeration<String> getHeaders(String name) {
            String r = replaced(name);
            if (r == null) {
                return super.getHeaders(name);
            }
            return r.isEmpty() ? Collections.emptyEnumeration() : Collections.enumeration(List.of(r));
        }

        @Override
        public Enumeration<String> getHeaderNames() {
            List<String> names = Collections.list(super.getHeaderNames());
            names.removeIf(n -> getHeader(n) == null);
            return Collections.enumeration(names);
        }
    }
}
