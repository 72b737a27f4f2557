package dev.palisade.platform.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.platform.edge.AppsSite;
import dev.palisade.platform.edge.EdgeProperties;
import dev.palisade.platform.service.ServiceProperties;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.StandardEnvironment;

/** What of the platform never crosses the hop to a service, either way. */
class HopFilterTests {

    private final HopFilter hop = new HopFilter("__Host-palisade-session", new AppsSite(
            Binder.get(new StandardEnvironment()).bindOrCreate("palisade.services", ServiceProperties.class),
            new EdgeProperties("localhost", List.of())));

    @Test
    void thePlatformsCookiesAndCredentialsStayBehind() {
        assertThat(hop.cookies("__Host-palisade-session=abc; theirs=1; JSESSIONID=old;cart=2")).isEqualTo("theirs=1; cart=2");
        assertThat(hop.cookies("__host-PALISADE-session=abc")).isNull();
        assertThat(hop.dropsRequestHeader("authorization", false)).isTrue();
        assertThat(hop.dropsRequestHeader("proxy-authorization", false)).isTrue();
        assertThat(hop.dropsRequestHeader("x-palisade-node-secret", false)).isTrue();
        assertThat(hop.dropsRequestHeader("x-forwarded-for", true)).as("the client's, at the edge").isTrue();
        assertThat(hop.dropsRequestHeader("x-forwarded-for", false)).as("the edge's, on the node hop").isFalse();
        assertThat(hop.dropsRequestHeader("accept", true)).isFalse();
    }

    @Test
    void aServiceSetsCookiesForItsOwnHostOnly() {
        String host = "web.acme.apps.localhost";
        assertThat(hop.keepsSetCookie("theirs=1; Path=/; HttpOnly", host)).isTrue();
        assertThat(hop.keepsSetCookie("__Host-theirs=1; Path=/; Secure", host)).isTrue();
        assertThat(hop.keepsSetCookie("own=1; Domain=web.acme.apps.localhost", host)).isTrue();
        assertThat(hop.keepsSetCookie("__Host-palisade-session=stolen; Path=/; Secure", host)).isFalse();
        assertThat(hop.keepsSetCookie("JSESSIONID=x; Path=/", host)).isFalse();
        assertThat(hop.keepsSetCookie("console=1; Domain=localhost; Path=/", host)).as("the console's host").isFalse();
        assertThat(hop.keepsSetCookie("console=1; domain=.LOCALHOST", host)).isFalse();
        assertThat(hop.keepsSetCookie("wide=1; Domain=apps.localhost", host)).as("every tenant's services").isFalse();
        assertThat(hop.keepsSetCookie("sibling=1; Domain=acme.apps.localhost", host)).isFalse();
        assertThat(hop.keepsSetCookie("nonsense", host)).isFalse();
    }
}
