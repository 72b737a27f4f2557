package dev.palisade.sandbox;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code nativeinterop} is the only package that touches JNA (as OSHI enforces for its bindings). */
class NativeBoundaryTest {

    @Test
    void onlyNativeinteropImportsJna() throws Exception {
        Path main = Path.of("src/main/java");
        List<Path> offenders;
        try (Stream<Path> files = Files.walk(main)) {
            offenders = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> !p.toString().contains("/nativeinterop/"))
                    .filter(p -> {
                        try {
                            return Files.readString(p).contains("com.sun.jna");
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }).toList();
        }
        assertThat(offenders).isEmpty();
    }
}
