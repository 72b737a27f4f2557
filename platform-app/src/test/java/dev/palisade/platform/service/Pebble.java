package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Debian's {@code pebble} ACME server and {@code pebble-challtestsrv} as its DNS (every name
 * resolves to 127.0.0.1; TXT records set through its management API), on loopback ports chosen
 * when made, for the custom-domain tests. Its ports and files are known before the Spring context
 * starts ({@link #register}); the servers start once the ingress's plain port, where pebble sends
 * HTTP-01 validations, is known ({@link #start}).
 */
final class Pebble {

    final int acmePort = freePort();
    final int managementPort = freePort();
    final int dnsPort = freePort();
    final int dnsManagementPort = freePort();
    final Path dir;
    private final List<Process> servers = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    Pebble() throws Exception {
        dir = Files.createTempDirectory("palisade-acme-");
        // pebble's own HTTPS certificate
        openssl("pebble", "IP:127.0.0.1,DNS:localhost");
    }

    /** Points the platform's ACME client at pebble and its DNS look-ups at challtestsrv. */
    void register(DynamicPropertyRegistry registry) {
        registry.add("palisade.domains.acme-directory", () -> "https://127.0.0.1:" + acmePort + "/dir");
        registry.add("palisade.domains.acme-trust", () -> dir.resolve("pebble-chain.pem").toString());
        registry.add("palisade.domains.dns-resolver", () -> "127.0.0.1:" + dnsPort);
    }

    /** Starts both servers, unless started already; HTTP-01 validations go to {@code httpPort}. */
    synchronized void start(int httpPort) throws Exception {
        if (!servers.isEmpty()) {
            return;
        }
        Files.writeString(dir.resolve("pebble.json"), """
                {"pebble": {"listenAddress": "127.0.0.1:%d", "managementListenAddress": "127.0.0.1:%d",
                  "certificate": "%s", "privateKey": "%s", "httpPort": %d, "tlsPort": %d,
                  "ocspResponderURL": "", "externalAccountBindingRequired": false}}"""
                .formatted(acmePort, managementPort, dir.resolve("pebble-chain.pem"),
                        dir.resolve("pebble-key.pem"), httpPort, freePort()));
        start(new ProcessBuilder("pebble-challtestsrv", "-dns01", "127.0.0.1:" + dnsPort, "-http01", "",
                "-https01", "", "-tlsalpn01", "", "-management", "127.0.0.1:" + dnsManagementPort,
                "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""), "challtestsrv.log");
        ProcessBuilder pebble = new ProcessBuilder("pebble", "-config", dir.resolve("pebble.json").toString(),
                "-dnsserver", "127.0.0.1:" + dnsPort);
        pebble.environment().put("PEBBLE_VA_NOSLEEP", "1");
        // every order gets fresh authorizations: a renewal proves control again, as with a real CA after 30 days
        pebble.environment().put("PEBBLE_AUTHZREUSE", "0");
        start(pebble, "pebble.log");
        awaitPort(acmePort);
        awaitPort(managementPort);
        awaitPort(dnsManagementPort);
    }

    void stop() {
        servers.forEach(Process::destroy);
    }

    String log() throws IOException {
        return Files.readString(dir.resolve("pebble.log"));
    }

    /** Publishes a TXT record at {@code name} (no final dot) in challtestsrv's DNS, beside any there. */
    void setTxt(String name, String value) throws Exception {
        manage("set-txt", "{\"host\":" + ServiceTestSupport.json(name + ".") + ",\"value\":"
                + ServiceTestSupport.json(value) + "}");
    }

    /** Removes every TXT record at {@code name}. */
    void clearTxt(String name) throws Exception {
        manage("clear-txt", "{\"host\":" + ServiceTestSupport.json(name + ".") + "}");
    }

    private void manage(String path, String body) throws Exception {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + dnsManagementPort + "/" + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as("challtestsrv /%s: %s", path, answer.body()).isEqualTo(200);
    }

    /** Pebble's root (made anew at each start), from its management endpoint. */
    Path root() throws Exception {
        Path root = dir.resolve("pebble-root.pem");
        String pem = ServiceTestSupport.curl("--cacert", dir.resolve("pebble-chain.pem").toString(),
                "https://127.0.0.1:" + managementPort + "/roots/0");
        assertThat(pem).startsWith("-----BEGIN CERTIFICATE-----");
        Files.writeString(root, pem);
        return root;
    }

    /** The serial of the certificate a TLS port serves for {@code host} (by SNI), checked against {@code root}. */
    static BigInteger servedSerial(String host, int port, Path root) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(root)) {
            trust.setCertificateEntry("root", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(host)));
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    private void openssl(String name, String altNames) throws Exception {
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", dir.resolve(name + "-key.pem").toString(), "-out",
                dir.resolve(name + "-chain.pem").toString(), "-days", "2", "-subj", "/CN=" + name,
                "-addext", "subjectAltName=" + altNames).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("openssl failed: " + out);
        }
    }

    private void start(ProcessBuilder builder, String log) throws IOException {
        Process p = builder.redirectErrorStream(true).redirectOutput(dir.resolve(log).toFile()).start();
        servers.add(p);
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));   // a test JVM stopped early leaves none behind
    }

    private void awaitPort(int port) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < end) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("pebble did not start: " + log());
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
