package dev.palisade.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.json.JsonMapper;

/**
 * The packaged application started as a user starts it: {@code java -jar palisade.jar}, on a free
 * port, with its own data directory, stdout and stderr captured to a file.
 */
final class PalisadeProcess implements AutoCloseable {

    private static final HttpClient API = HttpClient.newHttpClient();
    private static final JsonMapper JSON = new JsonMapper();

    private final Process process;
    private final Path log;
    final int port;

    private PalisadeProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    static PalisadeProcess start(Path dataDir, Map<String, String> env) throws IOException {
        Path jar = Path.of(System.getProperty("palisade.jar", "../platform-app/target/palisade.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no application jar at " + jar.toAbsolutePath() + "; run mvn verify");
        }
        int port = freePort();
        // kept under target/ so that a failed run can be read afterwards
        Path logs = Files.createDirectories(Path.of(System.getProperty("palisade.it.logs", "target/it-logs")));
        Path log = Files.createTempFile(logs, "palisade-", ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-jar", jar.toAbsolutePath().toString(),
                "--server.port=" + port, "--palisade.data-dir=" + dataDir));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        // as on a fresh machine: no database and no admin password configured unless given here
        builder.environment().keySet().removeIf(k -> k.startsWith("SPRING_") || k.startsWith("PALISADE_"));
        builder.environment().putAll(env);
        PalisadeProcess app = new PalisadeProcess(builder.start(), log, port);
        // generous: on a loaded 2-core CI machine the first start (unpacking PostgreSQL) can take minutes
        app.awaitHealthy(Duration.ofMinutes(6));
        return app;
    }

    String baseUrl() {
        return "http://localhost:" + port;
    }

    /** A bearer token of the user, minted over HTTP Basic as a DevOps script does. */
    String token(String username, String password) throws IOException, InterruptedException {
        HttpResponse<String> minted = API.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/api/v1/tokens"))
                .header("Authorization", "Basic " + Base64.getEncoder()
                        .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"acceptance-test\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(minted.statusCode()).as(minted.body()).isEqualTo(201);
        return JSON.readTree(minted.body()).get("token").asString();
    }

    /** A call of the REST API with a bearer token and a JSON body (or none); an answer of 500 or more fails the test. */
    HttpResponse<String> api(String method, String path, String token, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> response = API.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("%s %s: %s", method, path, response.body()).isLessThan(500);
        return response;
    }

    String output() throws IOException {
        return Files.readString(log);
    }

    private void awaitHealthy(Duration timeout) throws IOException {
        HttpClient client = HttpClient.newHttpClient();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the application exited with " + process.exitValue() + ":\n" + output());
            }
            try {
                HttpResponse<String> health = client.send(
                        HttpRequest.newBuilder(URI.create(baseUrl() + "/actuator/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200 && health.body().contains("\"UP\"")) {
                    return;
                }
            } catch (IOException notYetListening) {
                // keep waiting
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(500);
        }
        throw new IllegalStateException("the application did not become healthy within " + timeout + ":\n" + output());
    }

    /** A normal stop (SIGTERM), as systemd or Ctrl-C would do; the embedded PostgreSQL shuts down with it. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    long pid() {
        return process.pid();
    }

    /** A crash: SIGKILL ({@code kill -9}), as the OOM killer would do; nothing shuts down cleanly. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
