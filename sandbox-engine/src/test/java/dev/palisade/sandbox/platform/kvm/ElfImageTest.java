package dev.palisade.sandbox.platform.kvm;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Malformed executables are refused with a clear message, never a crash. */
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
    void dynamic_executables_name_their_interpreter_and_a_malformed_name_is_refused() throws Exception {
        byte[] ls = Files.readAllBytes(Path.of("/bin/ls"));
        ElfImage img = ElfImage.parse(ls);
        assertThat(img.dynamic()).isTrue();
        assertThat(img.interpreter).isEqualTo("/lib64/ld-linux-x86-64.so.2");
        int at = interpreterOffset(ls);
        byte[] unterminated = ls.clone();
        unterminated[at + "/lib64/ld-linux-x86-64.so.2".length()] = 'x';
        assertThatThrownBy(() -> ElfImage.parse(unterminated)).isInstanceOf(ElfImage.ElfException.class)
                .hasMessageContaining("interpreter name");
        byte[] relative = ls.clone();
        relative[at] = 'l';
        assertThatThrownBy(() -> ElfImage.parse(relative)).isInstanceOf(ElfImage.ElfException.class)
                .hasMessageContaining("interpreter name");
    }

    /** File offset of the PT_INTERP string, from the program headers. */
    private static int interpreterOffset(byte[] f) {
        var b = java.nio.ByteBuffer.wrap(f).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long phoff = b.getLong(32);
        for (int i = 0; i < (b.getShort(56) & 0xffff); i++) {
            int o = (int) (phoff + 56L * i);
            if (b.getInt(o) == ElfImage.PT_INTERP) {
                return (int) b.getLong(o + 8);
            }
        }
        throw new AssertionError("no PT_INTERP");
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
