package dev.palisade.sandbox.cli;

import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The command-line contract: options, exit statuses, --stats JSON. */
class MainTest {

    record Cli(int status, String out, String err) {
    }

    static Cli cli(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = Main.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true), new PrintStream(err, true));
        return new Cli(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void platform() {
        var why = new PtracePlatform().unavailableReason();
        assumeTrue(why.isEmpty(), () -> "ptrace platform unavailable on this host: " + why.orElse(""));
    }

    @Test
    void parsesTheContractsOptions() {
        var p = Main.parse(new String[]{"run", "--platform", "ptrace", "--bind", "/tmp:/data:ro", "--workdir", "/tmp",
                "--cpu-ms", "1", "--wall-ms", "2", "--memory", "3", "--pids", "4", "--fsize", "5", "--output", "6",
                "--net", "loopback", "--env", "A=b=c", "--trace", "--", "prog", "--not-an-option"});
        assertThat(p.spec().command()).containsExactly("prog", "--not-an-option");
        assertThat(p.spec().limits()).isEqualTo(new dev.palisade.sandbox.Limits(1, 2, 3, 4, 5, 6));
        assertThat(p.spec().environment()).containsEntry("A", "b=c");
        assertThat(p.spec().binds()).singleElement().satisfies(b -> assertThat(b.readOnly()).isTrue());
        assertThat(p.spec().trace()).isTrue();
        assertThat(p.spec().workdir()).isEqualTo("/tmp");
    }

    @Test
    void exitStatusIsTheProgramsAndStdioIsTheProgramsToo() {
        var c = cli("from stdin\n", "run", "--", "/bin/sh", "-c", "cat; echo err >&2; exit 42");
        assertThat(c.status()).isEqualTo(42);
        assertThat(c.out()).isEqualTo("from stdin\n");
        assertThat(c.err()).isEqualTo("err\n");
    }

    @Test
    void aSignalGives128PlusN() {
        assertThat(cli("", "run", "--", "/bin/sh", "-c", "kill -TERM $$").status()).isEqualTo(128 + 15);
    }

    @Test
    void anEngineFailureGives125WithOneLine() {
        var c = cli("", "run", "--root", "/nonexistent-root", "--", "/bin/true");
        assertThat(c.status()).isEqualTo(125);
        assertThat(c.err().lines()).singleElement().asString().contains("/nonexistent-root");
    }

    @Test
    void statsAreWrittenAsJson(@TempDir Path dir) throws Exception {
        Path stats = dir.resolve("r.json");
        var c = cli("", "run", "--stats", stats.toString(), "--", "/bin/sh", "-c", "uname -n; /bin/mount -t tmpfs x /tmp 2>/dev/null");
        assertThat(c.out()).isEqualTo("sandbox\n");
        String json = Files.readString(stats);
        assertThat(json).contains("\"termination\": \"EXITED\"")
                .contains("\"uname\": ").contains("\"name\": \"mount\"").contains("\"action\": \"deny\"");
        // auto chose by this node's figures: the platform that ran it is the one the reason names
        var chosen = java.util.regex.Pattern.compile("\"platform\": \"(\\w+)\"").matcher(json);
        assertThat(chosen.find()).isTrue();
        assertThat(json).contains("\"platformReason\": \"auto: " + chosen.group(1) + " — ");
    }

    @Test
    void traceShowsEachTrappedCallAndTheDecision() {
        var c = cli("", "run", "--trace", "--", "/bin/sh", "-c", "uname -n >/dev/null; /bin/mount -t tmpfs x /tmp 2>/dev/null; true");
        assertThat(c.err()).contains("uname(").contains("(emulate)").contains("mount(").contains("= -EPERM (deny)")
                .contains("-> pass").containsPattern("palisade-sandbox: platform (\\w+) \\(auto: \\1 — ");
    }

    @Test
    void usageErrorsSayWhat() {
        var c = cli("", "run", "--pids");
        assertThat(c.status()).isEqualTo(2);
        assertThat(c.err()).contains("needs a value").contains("usage:");
    }
}
