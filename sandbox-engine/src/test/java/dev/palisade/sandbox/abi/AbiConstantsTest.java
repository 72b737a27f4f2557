package dev.palisade.sandbox.abi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every Linux constant in {@code abi/} against the headers of this machine: a C program,
 * generated from the Java constants and compiled with gcc, prints what the headers say, and
 * each value must match. Nothing is listed by hand, so a constant added to {@code abi/} is
 * checked from then on.
 */
class AbiConstantsTest {

    /** The C expression for a Java constant whose header name differs. */
    private static final Map<String, String> SPELLED = Map.of("NSIG", "(_NSIG - 1)");

    @Test
    void everyConstantMatchesTheKernelHeaders(@TempDir Path dir) throws Exception {
        assumeTrue(onPath("gcc"), "gcc not installed: the headers cannot be read");
        Map<String, Long> java = new LinkedHashMap<>();
        for (Class<?> k : new Class<?>[] {SyscallNr.class, Signal.class, OpenFlags.class, Ioctl.class}) {
            for (Field f : k.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                    String c = k == SyscallNr.class ? "__NR_" + f.getName().toLowerCase() : f.getName();
                    java.put(c, (long) f.getInt(null));
                }
            }
        }
        for (Errno e : Errno.values()) {
            if (e.value() < 512) {   // 512 and up are the kernel's own (include/linux/errno.h), in no header a program sees
                java.put(e.name(), (long) e.value());
            }
        }
        assertThat(java).hasSizeGreaterThan(200);

        StringBuilder src = new StringBuilder("""
                #define _GNU_SOURCE
                #include <stdio.h>
                #include <errno.h>
                #include <fcntl.h>
                #include <signal.h>
                #include <sys/ioctl.h>
                #include <linux/sockios.h>
                #include <asm/unistd_64.h>
                int main(void) {
                """);
        for (String name : java.keySet()) {
            String expr = SPELLED.getOrDefault(name, name);
            src.append("#ifdef ").append(SPELLED.containsKey(name) ? "_NSIG" : name).append('\n')
                    .append("    printf(\"%s %ld\\n\", \"").append(name).append("\", (long) (").append(expr).append("));\n")
                    .append("#else\n    printf(\"%s missing\\n\", \"").append(name).append("\");\n#endif\n");
        }
        src.append("    return 0;\n}\n");
        Path c = dir.resolve("abi.c");
        Files.writeString(c, src);
        Path exe = dir.resolve("abi");
        Process cc = new ProcessBuilder("gcc", "-o", exe.toString(), c.toString()).redirectErrorStream(true).start();
        String log = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(cc.waitFor()).as(log).isZero();
        Process run = new ProcessBuilder(exe.toString()).start();
        Map<String, String> header = new TreeMap<>();
        for (String line : new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            String[] f = line.split(" ");
            header.put(f[0], f[1]);
        }
        assertThat(run.waitFor()).isZero();

        Map<String, String> expected = new TreeMap<>();
        java.forEach((k, v) -> expected.put(k, Long.toString(v)));
        assertThat(header).as("the headers' values of the abi constants").isEqualTo(expected);
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
