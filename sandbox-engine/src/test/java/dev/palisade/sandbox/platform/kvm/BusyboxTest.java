package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Debian's static busybox applets over workspace files: the same output and status as natively. */
class BusyboxTest {
    static final Path BUSYBOX = Path.of("/bin/busybox");
    @TempDir
    static Path ws;

    @BeforeAll
    static void workspace() throws Exception {
        assumeKvm();
        assumeTrue(Files.isExecutable(BUSYBOX) && PLATFORM.canRun(SandboxSpec.builder(List.of(BUSYBOX.toString())).build()),
                "static /bin/busybox not installed (apt-get install busybox-static)");
        Files.writeString(ws.resolve("fruits.txt"), "banana\napple\ncherry\napple\ndate 42\nElderberry\n");
        Files.writeString(ws.resolve("nums.txt"), IntStream.rangeClosed(1, 3000).mapToObj(Integer::toString)
                .collect(Collectors.joining("\n", "", "\n")));
        byte[] blob = new byte[300_000];
        new Random(11).nextBytes(blob);
        Files.write(ws.resolve("blob.bin"), blob);
        Files.writeString(ws.resolve("csv.txt"), "a,b,c\n1,2,3\nx,y,z\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "echo hello sandbox world", "cat fruits.txt nums.txt", "wc fruits.txt nums.txt", "sort -r fruits.txt",
            "uniq -c fruits.txt", "sha256sum blob.bin fruits.txt", "md5sum blob.bin", "grep -n -i e fruits.txt",
            "grep -c 7 nums.txt", "sed -e s/a/A/g -e 3d fruits.txt", "awk -F, {print$2} csv.txt", "head -n 5 nums.txt",
            "tail -n 3 nums.txt", "ls -l", "base64 blob.bin", "tr a-z A-Z", "cut -d, -f2,3 csv.txt",
            "od -A x -t x1z fruits.txt", "grep nomatch fruits.txt", "cat missing.txt"})
    void applet_matches_native(String command) throws Exception {
        List<String> args = new ArrayList<>(Arrays.asList(command.split(" ")));
        List<String> cmd = new ArrayList<>(List.of(BUSYBOX.toString()));
        cmd.addAll(args);
        Native n = runNative(ws, cmd);
        Run r = run(SandboxSpec.builder(cmd).workspace(ws).build());
        assertThat(r.result().termination()).as(r.result().message()).isEqualTo(Termination.EXITED);
        assertThat(r.stdout()).as(command).isEqualTo(n.stdout());
        assertThat(r.result().exitCode()).as(command).isEqualTo(n.exit());
    }
}
