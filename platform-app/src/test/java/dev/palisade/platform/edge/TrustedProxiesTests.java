package dev.palisade.platform.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/** Forwarding headers: believed from the configured proxies only, and then only past the proxies. */
class TrustedProxiesTests {

    private static TrustedProxies trusting(String... proxies) {
        return new TrustedProxies(new EdgeProperties("localhost", List.of(proxies)));
    }

    private static TrustedProxies.Client client(TrustedProxies p, String peer, Map<String, String> headers) {
        return p.client(peer, "http", headers::get);
    }

    @Test
    void nobodyIsTrustedUnlessConfiguredAndThenTheClientIsFoundFromTheRight() {
        Map<String, String> spoofed = Map.of("x-forwarded-for", "6.6.6.6", "x-forwarded-proto", "https");
        assertThat(client(trusting(), "127.0.0.1", spoofed)).isEqualTo(new TrustedProxies.Client("127.0.0.1", "http"));
        TrustedProxies p = trusting("10.0.0.0/8", "192.0.2.7", "::1");
        assertThat(client(p, "203.0.113.9", spoofed)).as("a peer not in the list")
                .isEqualTo(new TrustedProxies.Client("203.0.113.9", "http"));
        assertThat(client(p, "10.1.2.3", spoofed)).isEqualTo(new TrustedProxies.Client("6.6.6.6", "https"));
        // a proxy that appends to what the client sent: the client's own entry on the left is not believed
        assertThat(client(p, "10.1.2.3", Map.of("x-forwarded-for", "1.1.1.1, 198.51.100.4, 192.0.2.7")).address())
                .isEqualTo("198.51.100.4");
        assertThat(client(p, "::1", Map.of("forwarded", "for=1.1.1.1, for=\"[2001:db8::5]:4711\";proto=https, for=10.0.0.9")))
                .isEqualTo(new TrustedProxies.Client("2001:db8::5", "https"));
        // names are never resolved; garbage leaves the proxy as the client
        assertThat(client(p, "10.1.2.3", Map.of("x-forwarded-for", "evil.example")).address()).isEqualTo("10.1.2.3");
        assertThatThrownBy(() -> trusting("10.0.0.0/99")).hasMessageContaining("palisade.edge.trusted-proxies");
    }

    private static HttpServletRequest through(TrustedProxyFilter filter, MockHttpServletRequest req) throws Exception {
        AtomicReference<HttpServletRequest> seen = new AtomicReference<>();
        filter.doFilter(req, new MockHttpServletResponse(), (r, s) -> seen.set((HttpServletRequest) r));
        return seen.get();
    }

    @Test
    void theFilterHidesSpoofedHeadersAndAppliesATrustedProxysOnes() throws Exception {
        TrustedProxyFilter filter = new TrustedProxyFilter(trusting("10.0.0.0/8"), request -> false);
        MockHttpServletRequest spoofed = new MockHttpServletRequest("GET", "/login");
        spoofed.setRemoteAddr("203.0.113.9");
        spoofed.addHeader("X-Forwarded-For", "6.6.6.6");
        spoofed.addHeader("X-Forwarded-Proto", "https");
        spoofed.addHeader("Forwarded", "for=6.6.6.6;proto=https");
        spoofed.addHeader("X-Forwarded-Host", "evil.example");
        HttpServletRequest seen = through(filter, spoofed);
        assertThat(seen.getRemoteAddr()).isEqualTo("203.0.113.9");
        assertThat(seen.getScheme()).isEqualTo("http");
        assertThat(seen.isSecure()).isFalse();
        assertThat(seen.getServerName()).isEqualTo("localhost");
        assertThat(seen.getHeader("X-Forwarded-For")).isNull();
        assertThat(seen.getHeader("Forwarded")).isNull();
        assertThat(java.util.Collections.list(seen.getHeaderNames())).doesNotContain("X-Forwarded-Host");

        MockHttpServletRequest proxied = new MockHttpServletRequest("GET", "/login");
        proxied.setRemoteAddr("10.0.0.2");
        proxied.addHeader("X-Forwarded-For", "6.6.6.6, 198.51.100.4");
        proxied.addHeader("X-Forwarded-Proto", "https");
        proxied.addHeader("X-Forwarded-Host", "console.example.com");
        seen = through(filter, proxied);
        assertThat(seen.getRemoteAddr()).isEqualTo("198.51.100.4");
        assertThat(seen.getScheme()).isEqualTo("https");
        assertThat(seen.isSecure()).isTrue();
        assertThat(seen.getServerName()).isEqualTo("console.example.com");
    }
}
