package dev.palisade.platform.service;

import dev.palisade.platform.api.ApiTestSupport;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The application on a real port with a worker that runs services, for tests through the real ingress. */
abstract class ServiceTestSupport extends ApiTestSupport {

    @DynamicPropertySource
    static void workDir(DynamicPropertyRegistry registry) throws Exception {
        Path dir = Files.createTempDirectory("palisade-service-tests");
        registry.add("palisade.data-dir", dir::toString);
        registry.add("palisade.dispatcher.heartbeat", () -> "300ms");
        registry.add("palisade.dispatcher.capacity", () -> "16");
        registry.add("palisade.dispatcher.shutdown-grace", () -> "1s");
    }

    /** Services run until stopped: each test stops what it started, so that the node has room for the next. */
    @AfterEach
    void stopEveryService() {
        jdbc.update("update workload set cancel_requested = true where kind = 'SERVICE' and state = 'RUNNING'");
        jdbc.update("update workload set state = 'CANCELLED', finished_at = now() where kind = 'SERVICE' and state = 'QUEUED'");
    }

    @LocalServerPort
    int port;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
}
