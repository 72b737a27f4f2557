package dev.palisade.platform.edge;

import dev.palisade.platform.service.ServiceProperties;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * The site hosted services live on: {@code {service}.{tenant}.<apps domain>}, never the console's
 * origin. A host name equal to the apps domain or under it belongs to the ingress, whatever port
 * it came to; every other host is the console's. Checked at start: an apps domain that is the
 * console's host or a parent of it (a service could then set cookies the console receives, and
 * the console's own name would be routed as a service) is refused, and the platform does not start.
 */
@Component
public class AppsSite {

    /** A tenant slug or service name: one DNS label. */
    private static final Pattern LABEL = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");
    private static final Pattern HOST = Pattern.compile("(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
            + "(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    /** The service a host name names. */
    public record Service(String tenant, String name) {
    }

    private final String domain;
    private final String consoleHost;

    @Autowired
    public AppsSite(ServiceProperties services, EdgeProperties edge) {
        this(services.appsDomain(), edge.consoleHost());
    }

    AppsSite(String appsDomain, String consoleHost) {
        this.domain = hostName(appsDomain, "palisade.services.apps-domain");
        this.consoleHost = hostName(consoleHost, "palisade.edge.console-host");
        // a parent of the console's host holds it too: its names would be routed as services
        if (domain.equals(this.consoleHost) || under(domain, this.consoleHost)) {
            throw new IllegalStateException("palisade.services.apps-domain " + domain + " is the console's host "
                    + this.consoleHost + " or a parent of it: a hosted service could set cookies the console"
                    + " receives. Use a domain of its own (apps.localhost for one machine; a separate"
                    + " registrable domain, such as example-apps.net, in production)");
        }
    }

    private static String hostName(String value, String property) {
        String h = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (!HOST.matcher(h).matches()) {
            throw new IllegalStateException(property + " must be a host name such as apps.example.net, not '"
                    + value + "'");
        }
        return h;
    }

    /** Whether {@code host} is a strict sub-domain of {@code parent}. */
    private static boolean under(String parent, String host) {
        return host.endsWith("." + parent);
    }

    public String domain() {
        return domain;
    }

    /** Whether a request to this host (without port) is the ingress's: the apps domain or a name under it. */
    public boolean owns(String host) {
        String h = normalised(host);
        return h.equals(domain) || under(domain, h);
    }

    /** The service {@code host} names ({@code service.tenant.<apps domain>}), if it names one. */
    public Optional<Service> service(String host) {
        String h = normalised(host);
        if (!under(domain, h)) {
            return Optional.empty();
        }
        String[] labels = h.substring(0, h.length() - domain.length() - 1).split("\\.", -1);
        if (labels.length != 2 || !LABEL.matcher(labels[0]).matches() || !LABEL.matcher(labels[1]).matches()) {
            return Optional.empty();
        }
        return Optional.of(new Service(labels[1], labels[0]));
    }

    /** The service's host name. */
    public String host(String tenant, String service) {
        return service + "." + tenant + "." + domain;
    }

    /** The service's address as a browser on {@code scheme}, port {@code port} reaches it. */
    public String url(String scheme, int port, String tenant, String service) {
        boolean defaultPort = port <= 0 || ("https".equals(scheme) && port == 443) || ("http".equals(scheme) && port == 80);
        return scheme + "://" + host(tenant, service) + (defaultPort ? "" : ":" + port) + "/";
    }

    /**
     * The service's address as the browser of the current request reaches it: the scheme and port
     * the request came with (its proxy's, behind a trusted one), since the apps domain is served
     * wherever the console is.
     */
    public String url(String tenant, String service) {
        if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes r) {
            return url(r.getRequest().getScheme(), r.getRequest().getServerPort(), tenant, service);
        }
        return url("http", -1, tenant, service);
    }

    /** Whether a cookie scoped to {@code domain} (a Set-Cookie's Domain attribute) would reach the console. */
    public boolean reachesConsole(String cookieDomain) {
        String d = normalised(cookieDomain);
        if (d.startsWith(".")) {
            d = d.substring(1);
        }
        return !d.isEmpty() && (d.equals(consoleHost) || under(d, consoleHost));
    }

    private static String normalised(String host) {
        String h = host == null ? "" : host.toLowerCase(Locale.ROOT);
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }
}
