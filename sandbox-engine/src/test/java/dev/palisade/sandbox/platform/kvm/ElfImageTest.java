package dev.palisade.sandbox.platform.kvm;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Malformed or dynamic executables are refused with a clear message, never a crash. */
class ElfImageTest {

    @Test
    void garbage_is_not_an_elf() {
        byte[] junk = new byte[4096];
        new Random(1).nextBytes(junk);
        assertThatThrownBy(() -> ElfImage.parse(junk)).isInstanceOf(ElfImage.ElfException.class)
                .hasMessageContaining("not an ELF");
        assertThatThrownBy(() -> ElfImage.parse(new byte[0])).isInstanceOf(ElfImage.ElfException.class);
    }

    @Test
    void dynamic_executables_are_refused_naming_the_interpreter() throws Exception {
        byte[] ls = Files.readAllBytes(Path.of("/bin/ls"));
        assertThatThrownBy(() -> ElfImage.parse(ls)).isInstanceOf(ElfImage.ElfException.class)
                .hasMessageContaining("dynamically linked").hasMessageContaining("ld-linux");
    }

    @Test
    void truncated_and_corrupted_headers_are_refused() throws Exception {
        byte[] ls = Files.readAllBytes(Path.of("/bin/ls"));
        byte[] cut = java.util.Arrays.copyOf(ls, 100);
        assertThatThrownBy(() -> ElfImage.parse(cut)).isInstanceOf(ElfImage.ElfException.class).hasMessageContaining("malformed");
        byte[] bad = ls.clone();
        bad[18] = 3;   // e_machine = i386
        assertThatThrownBy(() -> ElfImage.parse(bad)).isInstanceOf(ElfImage.ElfException.class).hasMessageContaining("x86-64");
        byte[] b32 = ls.clone();
        b32[4] = 1;
        assertThatThrownBy(() -> ElfImage.parse(b32)).isInstanceOf(ElfImage.ElfException.class).hasMessageContaining("64-bit");
        // fuzz: random byte flips in the header never throw anything but ElfException
        Random r = new Random(7);
        for (int i = 0; i < 2000; i++) {
            byte[] f = java.util.Arrays.copyOf(ls, 8192);
            for (int k = 0; k < 4; k++) {
                f[r.nextInt(64 + 56 * 13)] = (byte) r.nextInt();
            }
            try {
                ElfImage.parse(f);
            } catch (ElfImage.ElfException expected) {
                // refused with a message
            }
        }
    }
}
