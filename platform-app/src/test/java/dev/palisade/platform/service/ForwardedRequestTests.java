package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.platform.ops.InternalListener;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The receiving end of a request another node forwarded (its internal listener): an instance
 * here that no longer accepts connections gives way to another instance here, and when none is
 * left the answer is 421, on which the edge looks on other nodes, rather than a 503 page that
 * would reach the client while the service may still run elsewhere.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ForwardedRequestTests extends ServiceTestSupport {

    private static final String SECRET = "forwarded-request-tests-secret-0123456789";

    /** Answers every GET with "still here"; GET /close answers, then closes its listening socket and stays alive. */
    static final String CLOSER = """
            import socket, sys, time
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('127.0.0.1', int(sys.argv[1])))
            s.listen(16)
            while True:
                c, _ = s.accept()
                line = c.recv(65536).split(b'\\r\\n', 1)[0]
                body = b'closed' if line.startswith(b'GET /close ') else b'still here'
                c.sendall(b'HTTP/1.0 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n' % len(body) + body)
                c.close()
                if body == b'closed':
                    s.close()
                    time.sleep(3600)
            """;

    @DynamicPropertySource
    static void internalListener(DynamicPropertyRegistry registry) {
        registry.add("palisade.node.internal-secret", () -> SECRET);
        registry.add("palisade.node.internal-port", () -> "0");
    }

    @Autowired
    InternalListener internal;

    @Autowired
    ServiceRegistry registry;

    @BeforeEach
    void tenant() throws Exception {
        newTenantWithAdmin();
    }

    private HttpResponse<String> forwarded(String service, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + internal.address().orElseThrow() + path))
                .header(InternalListener.SECRET_HEADER, SECRET).header("X-Palisade-Service", tenant + "/" + service)
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String closer(String name, int instances) {
        return "{\"name\":\"%s\",\"port\":8000,\"instances\":%d,\"command\":[\"python3\",\"-c\",%s,\"8000\"]}"
                .formatted(name, instances, json(CLOSER));
    }

    private void awaitRouted(String service, int n) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (registry.instances(tenant, service).size() != n) {
            assertThat(System.nanoTime()).as("%d instances of %s routed", n, service).isLessThan(end);
            Thread.sleep(20);
        }
    }

    @Test
    void anInstanceThatStoppedAcceptingGivesWayToAnotherOnTheSameNode() throws Exception {
        deploy(owner, tenant, closer("pair", 2));
        awaitRouted("pair", 2);
        assertThat(forwarded("pair", "/close").body()).isEqualTo("closed");

        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = forwarded("pair", "/");
            answers.add(r.statusCode() + " " + r.body());
        }
        assertThat(answers).as("every forwarded request answered by the instance still accepting")
                .containsOnly("200 still here");
        assertThat(registry.instances(tenant, "pair")).as("the closed one was tried, and is out of rotation").hasSize(1);
    }

    @Test
    void withNoInstanceHereThatAcceptsTheEdgeIsToldToLookElsewhere() throws Exception {
        deploy(owner, tenant, closer("lone", 1));
        awaitRouted("lone", 1);
        assertThat(forwarded("lone", "/close").body()).isEqualTo("closed");

        HttpResponse<String> r = forwarded("lone", "/");
        assertThat(r.statusCode()).as("misdirected: the edge looks on other nodes").isEqualTo(421);
        assertThat(r.body()).contains("cannot be reached on this node");
        assertThat(registry.instances(tenant, "lone")).isEmpty();
    }
}
