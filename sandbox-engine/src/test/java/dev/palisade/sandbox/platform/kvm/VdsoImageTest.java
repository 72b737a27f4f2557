package dev.palisade.sandbox.platform.kvm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.have;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The committed vDSO image is what its source builds to, and has what glibc's loader looks for:
 * the five functions by name with version LINUX_2.6, both hash tables, one read+exec load
 * segment at address 0 (its file bytes are the image), no relocations and nothing writable.
 */
class VdsoImageTest {
    private static String sh(Path dir, List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ":\n" + out).isZero();
        return out;
    }

    @Test
    void the_committed_image_is_what_the_source_builds(@TempDir Path dir) throws Exception {
        assumeTrue(have("gcc") && have("objcopy"), "gcc and objcopy are needed to rebuild the vDSO");
        Path out = dir.resolve("vdso.so");
        sh(dir, List.of("sh", Path.of("src/main/vdso/build.sh").toAbsolutePath().toString(), out.toString()));
        assertThat(Files.readAllBytes(out))
                .as("src/main/vdso builds to other bytes than the committed resource: run src/main/vdso/build.sh and commit vdso.so")
                .isEqualTo(VdsoClock.image());
    }

    @Test
    void the_image_exports_what_glibc_looks_up(@TempDir Path dir) throws Exception {
        assumeTrue(have("readelf"), "readelf is needed to read the vDSO");
        Path so = dir.resolve("vdso.so");
        Files.write(so, VdsoClock.image());
        String all = sh(dir, List.of("readelf", "-W", "-h", "-l", "-d", "-r", "--dyn-syms", "-V", so.toString()));
        assertThat(all).contains("DYN (Shared object file)", "Library soname: [linux-vdso.so.1]", "(HASH)", "(GNU_HASH)",
                "(VERDEF)", "(VERSYM)", "Name: LINUX_2.6", "There are no relocations in this file.");
        for (String f : List.of("__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time", "__vdso_getcpu", "__vdso_clock_getres")) {
            assertThat(all).containsPattern("FUNC +GLOBAL +DEFAULT +\\d+ " + f + "@@LINUX_2\\.6");
        }
        List<String> loads = all.lines().filter(l -> l.trim().startsWith("LOAD")).toList();
        assertThat(loads).hasSize(1);
        String[] f = loads.get(0).trim().split("\\s+");
        // LOAD offset vaddr paddr filesz memsz flags align
        assertThat(Long.decode(f[1])).isZero();
        assertThat(Long.decode(f[2])).isZero();
        assertThat(Long.decode(f[4])).isEqualTo(Long.decode(f[5])).isLessThanOrEqualTo(GuestLayout.VDSO_SIZE);
        assertThat(loads.get(0)).contains(" R E ");
        assertThat(VdsoClock.image().length).isLessThanOrEqualTo((int) GuestLayout.VDSO_SIZE);
    }
}
