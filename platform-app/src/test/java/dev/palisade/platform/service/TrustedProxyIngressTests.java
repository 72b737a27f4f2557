package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.platform.ingress.NettyIngress;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * Behind a trusted proxy (here the loopback, as nginx on the same machine would be): its word on
 * the client's address and scheme reaches the service on both ports, less anything the client
 * slipped in on the left, and the console knows the request came over TLS.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "palisade.edge.trusted-proxies=127.0.0.1,::1")
class TrustedProxyIngressTests extends ServiceTestSupport {

    @Autowired
    NettyIngress lean;

    @Test
    void aTrustedProxysClientAndSchemeReachTheServiceAndTheConsole() throws Exception {
        assumeTrue(new PtracePlatform().unavailableReason().isEmpty(), "the ptrace platform needs root on Linux x86-64");
        String admin = adminToken();
        String tenant = createTenant(admin);
        String member = userToken(admin, tenant, unique("dev"), "TENANT_MEMBER");
        deploy(member, tenant, """
                {"name":"echo","port":9000,"command":["python3","-c",%s,"9000"]}""".formatted(json(ECHO)));
        awaitService(member, tenant, "echo", statusIs("HEALTHY"));

        for (int p : new int[] {port, lean.port()}) {
            String h = host(tenant, "echo") + ":" + p;
            // the proxy appended the client's address to what the client claimed (6.6.6.6)
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p + "/x"))
                    .header("Host", h).header("X-Forwarded-For", "6.6.6.6, 203.0.113.9")
                    .header("X-Forwarded-Proto", "https").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("port " + p).isEqualTo(200);
            assertThat(r.body()).as("port " + p).contains("x-forwarded-for=203.0.113.9\n", "x-forwarded-proto=https\n",
                    "forwarded=for=\"203.0.113.9\";proto=https;host=\"" + h + "\"\n").doesNotContain("6.6.6.6");
        }
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/login"))
                .header("X-Forwarded-Proto", "https").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(login.headers().firstValue("Strict-Transport-Security")).isPresent();
    }
}
