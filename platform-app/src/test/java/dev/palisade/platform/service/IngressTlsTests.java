package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.palisade.platform.ingress.NettyIngress;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The ingress's TLS port with a wildcard certificate from configuration (made here with
 * openssl, for {@code *.<tenant>.apps.localhost}): real curl over TLS negotiates HTTP/2 by ALPN
 * (and HTTP/1.1 when it asks for it) with the certificate chosen by SNI and verified against
 * it; the plain port redirects a covered host to HTTPS and serves h2c (prior knowledge) to a
 * host no certificate covers.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class IngressTlsTests extends ServiceTestSupport {

    private static final String SECURE = "tls" + UUID.randomUUID().toString().substring(0, 8);
    private static Path dir;

    @Autowired
    NettyIngress ingress;

    @DynamicPropertySource
    static void tls(DynamicPropertyRegistry registry) throws Exception {
        dir = Files.createTempDirectory("palisade-tls-");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", dir.resolve("key.pem").toString(), "-out",
                dir.resolve("chain.pem").toString(), "-days", "2", "-subj", "/CN=" + SECURE + " apps",
                "-addext", "subjectAltName=DNS:*." + SECURE + ".apps.localhost").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("openssl failed: " + out);
        }
        registry.add("palisade.services.ingress.tls.port", () -> "0");
        registry.add("palisade.services.ingress.tls.certificates[0].chain", () -> dir.resolve("chain.pem").toString());
        registry.add("palisade.services.ingress.tls.certificates[0].key", () -> dir.resolve("key.pem").toString());
    }

    @Test
    void http2OverTlsWithTheCertificateBySniAndARedirectFromThePlainPort() throws Exception {
        assumeTrue(new PtracePlatform().unavailableReason().isEmpty(), "the ptrace platform needs root on Linux x86-64");
        String admin = adminToken();
        mvc.perform(as(admin, post("/api/v1/tenants"), "{\"slug\":\"" + SECURE + "\",\"displayName\":\"TLS\"}"))
                .andExpect(status().isCreated());
        String plain = createTenant(admin);
        for (String tenant : new String[] {SECURE, plain}) {
            deploy(admin, tenant, """
                    {"name":"echo","port":9000,"command":["python3","-c",%s,"9000"]}""".formatted(json(ECHO)));
        }
        for (String tenant : new String[] {SECURE, plain}) {
            awaitService(admin, tenant, "echo", statusIs("HEALTHY"));
        }
        int tls = ingress.tlsPort();
        assertThat(tls).isPositive().isNotEqualTo(ingress.port());
        String secureHost = "echo." + SECURE + ".apps.localhost";
        String resolve = secureHost + ":" + tls + ":127.0.0.1";
        String url = "https://" + secureHost + ":" + tls + "/x?q=1";
        String chain = dir.resolve("chain.pem").toString();

        // HTTP/2 by ALPN, the certificate verified for the name (SNI chose it)
        String h2 = curl("--http2", "--cacert", chain, "--resolve", resolve, "-w", "\nversion=%{http_version}", url);
        assertThat(h2).contains("version=2", "x-forwarded-proto=https\n", "path=/x?q=1\n", "host=" + secureHost + ":" + tls)
                .doesNotContain("x-http2");
        // a body up over HTTP/2
        String posted = curl("--http2", "--cacert", chain, "--resolve", resolve, "--data-binary", "hello-over-h2", "-w",
                "\nversion=%{http_version}", url);
        assertThat(posted).contains("version=2", "body=hello-over-h2");
        // HTTP/1.1 over TLS when the client asks for it
        String h1 = curl("--http1.1", "--cacert", chain, "--resolve", resolve, "-w", "\nversion=%{http_version}", url);
        assertThat(h1).contains("version=1.1", "x-forwarded-proto=https\n");

        // the plain port sends a covered host to HTTPS, path and query kept
        String redirect = curl("-i", "-H", "Host: " + secureHost, "http://127.0.0.1:" + ingress.port() + "/x?q=1");
        assertThat(redirect).startsWith("HTTP/1.1 308 ").contains("Location: " + url);

        // a host no certificate covers is served on the plain port: HTTP/2 with prior knowledge, or by Upgrade: h2c
        String plainHost = "echo." + plain + ".apps.localhost";
        String plainUrl = "http://" + plainHost + ":" + ingress.port() + "/p";
        String plainResolve = plainHost + ":" + ingress.port() + ":127.0.0.1";
        assertThat(curl("--http2-prior-knowledge", "--resolve", plainResolve, "-w", "\nversion=%{http_version}", plainUrl))
                .contains("version=2", "x-forwarded-proto=http\n", "path=/p\n");
        // an Upgrade: h2c is declined: the request is answered over HTTP/1.1, and the service sees nothing of it
        assertThat(curl("--http2", "--resolve", plainResolve, "-w", "\nversion=%{http_version}", plainUrl))
                .contains("version=1.1", "path=/p\n").doesNotContain("upgrade=").doesNotContain("http2-settings");
    }
}
