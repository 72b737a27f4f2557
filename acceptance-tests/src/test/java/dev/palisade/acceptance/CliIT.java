package dev.palisade.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The command-line client as a DevOps engineer runs it: {@code java -jar palisade-cli.jar …}
 * against the packaged platform, with a configuration directory of its own.
 */
class CliIT {

    private static final String ADMIN_PASSWORD = "cli-admin-password";

    /** What one run of the CLI printed and how it exited. */
    record Result(int status, String out, String err) {
    }

    private Path config;

    @Test
    void devOpsRunAWorkloadAndWaitForItsExitStatus(@TempDir Path dataDir, @TempDir Path home) throws Exception {
        assumeTrue(Host.runsAsRoot(), "workloads run in the ptrace sandbox, which needs root");
        config = home.resolve("palisade");
        try (PalisadeProcess app = PalisadeProcess.start(dataDir, Map.of("PALISADE_ADMIN_PASSWORD", ADMIN_PASSWORD))) {
            Result login = cli(ADMIN_PASSWORD + "\n", "login", "--url", app.baseUrl(), "--username", "admin",
                    "--password-stdin", "--tenant", "ops");
            assertThat(login.status()).as(login.toString()).isZero();
            Path file = config.resolve("config.json");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            assertThat(Files.readString(file)).contains("\"token\":\"pal_").doesNotContain(ADMIN_PASSWORD);

            assertThat(cli(null, "tenants", "create", "ops", "--display-name", "Operations").status()).isZero();
            Result tenants = cli(null, "tenants", "--output", "json");
            JsonNode listed = new JsonMapper().readTree(tenants.out());
            assertThat(listed.get("content").findValuesAsString("slug")).contains("ops");
            assertThat(cli(null, "tenants").out()).contains("SLUG").contains("Operations");

            Result answer = cli(null, "workloads", "run", "--wait", "--", "python3", "-c", "print(6*7)");
            assertThat(answer.status()).as(answer.toString()).isZero();
            assertThat(answer.out()).isEqualTo("42\n");

            Result failing = cli(null, "workloads", "run", "--wait", "--name", "three", "--", "/bin/sh", "-c",
                    "echo out; echo err >&2; exit 3");
            assertThat(failing.status()).as(failing.toString()).isEqualTo(3);
            assertThat(failing.out()).contains("out").contains("err");
            assertThat(failing.err()).contains("failed");

            Result followed = cli(null, "workloads", "run", "--wait", "--follow", "--", "/bin/sh", "-c",
                    "for i in 1 2 3; do echo line $i; sleep 0.2; done");
            assertThat(followed.status()).as(followed.toString()).isZero();
            assertThat(followed.out()).isEqualTo("line 1\nline 2\nline 3\n");

            Result list = cli(null, "workloads", "--output", "json");
            JsonNode workloads = new JsonMapper().readTree(list.out());
            String id = workloads.get("content").get(0).get("id").asString();
            assertThat(cli(null, "logs", id).out()).isEqualTo("line 1\nline 2\nline 3\n");

            // a problem from the API, printed as one plain line, exit 1
            Result missing = cli(null, "workloads", "get", "00000000-0000-0000-0000-000000000000");
            assertThat(missing.status()).isEqualTo(1);
            assertThat(missing.err().strip()).isEqualTo("error: Not Found: no workload 00000000-0000-0000-0000-000000000000");
            Result invalid = cli(null, "tenants", "create", "Not A Slug");
            assertThat(invalid.status()).isEqualTo(1);
            assertThat(invalid.err()).startsWith("error: Invalid request").contains("slug");

            assertThat(cli(null, "tokens").out()).contains("palisade-cli@");
            assertThat(cli(null, "generate-completion").out()).contains("complete -F");
        }
    }

    private Result cli(String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", Path.of(System.getProperty("palisade.cli.jar", "../cli/target/palisade-cli.jar")).toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(k -> k.startsWith("PALISADE_"));
        builder.environment().put("PALISADE_CONFIG_DIR", config.toString());
        Process process = builder.start();
        if (stdin != null) {
            process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        process.getOutputStream().close();
        var out = process.getInputStream().readAllBytes();
        var err = process.getErrorStream().readAllBytes();
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }
}
