package dev.palisade.platform.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.sandbox.FileTrees;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A 2 GiB image archive streams through reading, digest checks and unpacking in a JVM whose
 * heap is 64 MiB: no part of it is ever held whole in memory.
 */
class LargeImageUploadTests {

    static final long TWO_GIB = 2L << 30;

    @Test
    void aTwoGigabyteImageIsReadAndUnpackedWithinA64MegabyteHeap() throws Exception {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "large-image");
        try {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(List.of(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                    LargeImageUpload.class.getName(), dir.toString(), Long.toString(TWO_GIB)))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile()).start();
            assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("finished within 10 minutes").isTrue();
            String out = Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("unpacked=" + TWO_GIB);
            System.out.println("LargeImageUpload: " + out.trim());
        } finally {
            FileTrees.delete(dir);
        }
    }
}
