package dev.palisade.acceptance.drill;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One instance of the packaged application in a drill: {@code java -jar palisade.jar} with a role,
 * on its own HTTP and management ports, against the drill's shared PostgreSQL. It can be killed
 * hard ({@code kill -9}), stopped normally (SIGTERM) and started again on the same ports.
 */
final class AppProcess {

    final String name;
    final String role;
    final int port;
    final int managementPort;
    private final Map<String, String> env;
    private final List<String> extraArgs;
    private final Path log;
    private Process process;

    AppProcess(String name, String role, Map<String, String> env, List<String> extraArgs) throws IOException {
        this.name = name;
        this.role = role;
        this.env = env;
        this.extraArgs = extraArgs;
        this.port = freePort();
        this.managementPort = freePort();
        this.log = Files.createTempFile("palisade-drill-" + name + "-", ".log");
    }

    /** Starts the process (without waiting for it to be ready). */
    void start(Path dataDir) throws IOException {
        Path jar = Path.of(System.getProperty("palisade.jar", "../platform-app/target/palisade.jar"));
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Xss512k",
                "-jar", jar.toAbsolutePath().toString(),
                "--server.port=" + port, "--management.server.port=" + managementPort,
                "--palisade.data-dir=" + dataDir, "--palisade.node.role=" + role));
        command.addAll(extraArgs);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().keySet().removeIf(k -> k.startsWith("SPRING_") || k.startsWith("PALISADE_"));
        builder.environment().putAll(env);
        process = builder.start();
    }

    /** Runs the jar with these arguments only (no ports, no role) until it exits; returns its exit status. */
    int runToExit(List<String> args, Duration timeout) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("palisade.jar", "../platform-app/target/palisade.jar"));
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-jar", jar.toAbsolutePath().toString()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().keySet().removeIf(k -> k.startsWith("SPRING_") || k.startsWith("PALISADE_"));
        builder.environment().putAll(env);
        process = builder.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(name + " did not exit within " + timeout + ":\n" + tail());
        }
        return process.exitValue();
    }

    /** Waits until readiness answers UP on the management port. */
    void awaitReady(Duration timeout) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + tail());
            }
            try {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(managementUrl() + "/actuator/health/readiness"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // keep waiting
            }
            Thread.sleep(300);
        }
        throw new IllegalStateException(name + " not ready within " + timeout + ":\n" + tail());
    }

    /** {@code kill -9}: no shutdown hook, no hand-back, leases simply stop being renewed. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** A normal stop (SIGTERM), as systemd or Kubernetes would do. */
    void stop() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    String managementUrl() {
        return "http://127.0.0.1:" + managementPort;
    }

    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    Path logFile() {
        return log;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
