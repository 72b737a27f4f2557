package dev.palisade.platform.ops;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * This instance's place in a deployment ({@code palisade.node.*}).
 *
 * @param role {@code api}, {@code worker} or {@code all} (default: one machine does everything)
 * @param migrateAndExit apply the database migrations (Flyway runs as the context starts) and
 *     exit with status 0: the Kubernetes migration Job runs the same jar this way, once per upgrade
 * @param internalSecret the secret every instance of one deployment shares, which authenticates
 *     an ingress request forwarded from one instance to the node running the service. Required
 *     when roles are split ({@code api}, {@code worker}); with role {@code all} and none set,
 *     every service is local and nothing is forwarded. Never logged.
 * @param internalPort the port of the internal listener that forwarded requests arrive on, apart
 *     from the public one (a node that runs workloads opens it); 0 (default): any free port
 * @param internalBind the address that listener binds to; default loopback (one machine)
 * @param internalAddress the {@code host:port} other instances reach that listener at, as
 *     published in the node table; default the bind address (or this host's address when it
 *     binds every interface) and the port it got
 */
@ConfigurationProperties("palisade.node")
public record NodeProperties(@DefaultValue("all") NodeRole role, @DefaultValue("false") boolean migrateAndExit,
        String internalSecret, @DefaultValue("0") int internalPort, @DefaultValue("127.0.0.1") String internalBind,
        String internalAddress) {

    /** Whether requests are routed across instances: a secret is set (roles split must set one). */
    public boolean routesAcrossNodes() {
        return internalSecret != null && !internalSecret.isEmpty();
    }

    /** Hides the secret should the record ever be printed. */
    @Override
    public String toString() {
        return "NodeProperties[role=" + role + ", internalPort=" + internalPort + ", internalBind=" + internalBind
                + ", internalAddress=" + internalAddress + ", internalSecret=" + (routesAcrossNodes() ? "(set)" : "(none)")
                + "]";
    }
}
