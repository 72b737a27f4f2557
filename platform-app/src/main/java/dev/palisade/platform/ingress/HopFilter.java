package dev.palisade.platform.ingress;

import dev.palisade.platform.edge.AppsSite;
import dev.palisade.platform.edge.TrustedProxies;
import java.util.Locale;
import java.util.Set;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * What of the platform never crosses the hop to a service, whatever the browser sends or the
 * service answers (defence in depth: services live on their own site, so a browser should not
 * send the console's cookies there in the first place). Towards the service: no cookie the
 * platform sets (the session cookie, under its configured and its default name), no
 * {@code Authorization} or {@code Proxy-Authorization} (the platform sets none), no header of the
 * platform's own ({@code X-Palisade-*}), and at the edge no forwarding header the client sent.
 * Back to the client: no {@code Set-Cookie} that names a platform cookie, or whose {@code Domain}
 * reaches beyond the service's own host (the console's host or a parent of it, or the apps
 * domain, where it would reach other tenants' services).
 */
@Component
class HopFilter {

    /** Headers of the platform's own, never taken from a client nor passed to a service. */
    private static final String PLATFORM_HEADERS = "x-palisade-";
    private static final Set<String> CREDENTIALS = Set.of("authorization", "proxy-authorization");

    private final Set<String> platformCookies;
    private final AppsSite apps;

    HopFilter(@Value("${server.servlet.session.cookie.name:JSESSIONID}") String sessionCookie, AppsSite apps) {
        this.platformCookies = Set.of(sessionCookie.toLowerCase(Locale.ROOT), "jsessionid");
        this.apps = apps;
    }

    /** Whether a request header ({@code lower}: its name in lower case) stays with the platform. */
    boolean dropsRequestHeader(String lower, boolean edge) {
        return CREDENTIALS.contains(lower) || lower.startsWith(PLATFORM_HEADERS)
                || (edge && TrustedProxies.HEADERS.contains(lower));
    }

    /** A {@code Cookie} header's value less the platform's cookies; null when none is left. */
    String cookies(String value) {
        StringBuilder kept = new StringBuilder(value.length());
        for (String pair : value.split(";")) {
            String p = pair.strip();
            int eq = p.indexOf('=');
            String name = (eq < 0 ? p : p.substring(0, eq)).strip();
            if (p.isEmpty() || platformCookie(name)) {
                continue;
            }
            if (!kept.isEmpty()) {
                kept.append("; ");
            }
            kept.append(p);
        }
        return kept.isEmpty() ? null : kept.toString();
    }

    /** Whether a service's {@code Set-Cookie} may go to the client that asked {@code host} (without port). */
    boolean keepsSetCookie(String value, String host) {
        String[] parts = value.split(";");
        int eq = parts[0].indexOf('=');
        if (eq < 0 || platformCookie(parts[0].substring(0, eq).strip())) {
            return false;
        }
        for (int i = 1; i < parts.length; i++) {
            String attribute = parts[i].strip();
            int e = attribute.indexOf('=');
            if (e > 0 && attribute.substring(0, e).strip().equalsIgnoreCase("domain")) {
                String domain = attribute.substring(e + 1).strip().toLowerCase(Locale.ROOT);
                if (domain.startsWith(".")) {
                    domain = domain.substring(1);
                }
                // a parent domain would reach the console, or every tenant's services: only the host itself is kept
                String h = host == null ? "" : host.toLowerCase(Locale.ROOT);
                if (apps.reachesConsole(domain) || !domain.equals(h)) {
                    return false;
                }
            }
        }
        return true;
    }

    private boolean platformCookie(String name) {
        return platformCookies.contains(name.toLowerCase(Locale.ROOT));
    }
}
