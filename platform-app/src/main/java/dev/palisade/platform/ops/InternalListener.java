package dev.palisade.platform.ops;

import jakarta.servlet.http.HttpServletRequest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import org.apache.catalina.connector.Connector;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.stereotype.Component;

/**
 * The internal listener: a second Tomcat connector beside the public one, on which a node that
 * runs workloads receives the ingress requests another instance forwards to it (see
 * {@code dev.palisade.platform.ingress}). A connector of the same server, not a server of its
 * own, so the hop reuses the ingress's streaming proxy and thread pool; what arrives on it is
 * told apart by the local port, and the internal ingress filter answers every such request
 * before any other filter, the API or the console sees it. It binds to loopback by default (one
 * machine); on Kubernetes to the pod's address, on a port the network policy opens only
 * between Palisade pods.
 */
@Component
public class InternalListener implements WebServerFactoryCustomizer<TomcatServletWebServerFactory> {

    /** The header that carries the shared node secret on a forwarded request. */
    public static final String SECRET_HEADER = "X-Palisade-Node-Secret";
    /** A shorter secret is refused at start (the manifests' placeholder among them). */
    static final int MIN_SECRET = 16;

    private final NodeProperties node;
    private final byte[] secretDigest;
    private volatile Connector connector;
    /** The port the listener got, once bound (read on every request, so kept rather than asked of the socket). */
    private volatile int boundPort = -1;

    InternalListener(NodeProperties node) {
        this.node = node;
        // the migration run forwards nothing: it needs no secret
        if (node.role() != NodeRole.ALL && !node.routesAcrossNodes() && !node.migrateAndExit()) {
            throw new IllegalStateException("palisade.node.internal-secret (PALISADE_NODE_INTERNAL_SECRET) must be set"
                    + " when roles are split (this instance has role " + node.role().name().toLowerCase()
                    + "): the instances of one deployment share it to forward ingress requests to each other");
        }
        if (node.routesAcrossNodes() && node.internalSecret().length() < MIN_SECRET && !node.migrateAndExit()) {
            throw new IllegalStateException("palisade.node.internal-secret is too short: use at least " + MIN_SECRET
                    + " random characters (for instance openssl rand -hex 32)");
        }
        this.secretDigest = node.routesAcrossNodes() ? sha256(node.internalSecret()) : null;
    }

    /** Whether this node opens the listener: it runs services, and requests are routed across nodes. */
    public boolean enabled() {
        return node.routesAcrossNodes() && node.role().runsWorkloads();
    }

    @Override
    public void customize(TomcatServletWebServerFactory factory) {
        if (!enabled()) {
            return;
        }
        Connector c = new Connector();
        c.setPort(node.internalPort());
        c.setProperty("address", node.internalBind());
        // the edge keeps its connections to this node for reuse (and drops them after 2 s idle): never cut them after N requests
        c.setProperty("maxKeepAliveRequests", "-1");
        factory.addAdditionalConnectors(c);
        connector = c;
    }

    /** Whether this request came in on the internal listener (and so never from a client directly). */
    public boolean arrivedOn(HttpServletRequest request) {
        int port = boundPort();
        return port > 0 && request.getLocalPort() == port;
    }

    private int boundPort() {
        int port = boundPort;
        Connector c = connector;
        if (port <= 0 && c != null) {
            port = c.getLocalPort();
            boundPort = port;
        }
        return port;
    }

    /**
     * The {@code host:port} other instances forward to, once the listener is bound; empty on a
     * node that has none.
     */
    public Optional<String> address() {
        int port = boundPort();
        if (port <= 0) {
            return Optional.empty();
        }
        if (node.internalAddress() != null && !node.internalAddress().isBlank()) {
            return Optional.of(node.internalAddress());
        }
        String host = node.internalBind();
        try {
            InetAddress bind = InetAddress.getByName(host);
            if (bind.isAnyLocalAddress()) {
                host = InetAddress.getLocalHost().getHostAddress();
            }
        } catch (UnknownHostException e) {
            // publish the name as configured
        }
        return Optional.of((host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port);
    }

    /** Whether ingress requests are routed across instances (a shared secret is set). */
    public boolean routesAcrossNodes() {
        return node.routesAcrossNodes();
    }

    /** The shared secret, for a request this instance forwards. */
    public String secret() {
        return node.internalSecret();
    }

    /**
     * Whether a forwarded request presented the shared secret. Compared as digests in constant
     * time, so neither the time taken nor the length tells anything about the secret.
     */
    public boolean secretMatches(String presented) {
        return secretDigest != null && presented != null && MessageDigest.isEqual(secretDigest, sha256(presented));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
