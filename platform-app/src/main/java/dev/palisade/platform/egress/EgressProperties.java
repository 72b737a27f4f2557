package dev.palisade.platform.egress;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code palisade.egress.*}: what every sandbox with the egress policy gets on this node.
 *
 * @param resolvers               DNS resolvers written to its {@code /etc/resolv.conf} and allowed
 *                                on port 53 (public ones by default: the node's own is usually a
 *                                private address the policy refuses)
 * @param maxConnections          connections open at once
 * @param newConnectionsPerSecond new connections a second (bursts of twice that)
 * @param bandwidth               each direction's rate a second; 0 for none
 */
@ConfigurationProperties("palisade.egress")
public record EgressProperties(@DefaultValue({"1.1.1.1", "9.9.9.9"}) List<String> resolvers,
        @DefaultValue("256") int maxConnections, @DefaultValue("50") int newConnectionsPerSecond,
        @DefaultValue("12500000B") DataSize bandwidth) {
}
