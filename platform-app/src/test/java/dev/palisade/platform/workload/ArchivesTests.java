package dev.palisade.platform.workload;

import static dev.palisade.platform.TestArchives.tarGz;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile archives are refused with the entry and the reason; nothing lands outside the workspace. */
class ArchivesTests {

    @TempDir
    Path tmp;

    static void file(TarArchiveOutputStream tar, String name, String content) throws Exception {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setSize(data.length);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    static void link(TarArchiveOutputStream tar, String name, String target, byte type) throws Exception {
        TarArchiveEntry e = new TarArchiveEntry(name, type, true);
        e.setLinkName(target);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    Path ws() {
        return tmp.resolve("ws");
    }

    @Test
    void anOrdinaryArchiveUnpacks() throws Exception {
        byte[] a = tarGz(tar -> {
            file(tar, "./a/b.txt", "hello");
            link(tar, "a/c", "b.txt", TarArchiveEntry.LF_SYMLINK);
            link(tar, "d.txt", "a/b.txt", TarArchiveEntry.LF_LINK);
        });
        assertThat(Archives.extract(a, ws(), 100, 1000)).isEqualTo(10);
        assertThat(Files.readString(ws().resolve("a/b.txt"))).isEqualTo("hello");
        assertThat(Files.readSymbolicLink(ws().resolve("a/c")).toString()).isEqualTo("b.txt");
        assertThat(Files.readString(ws().resolve("d.txt"))).isEqualTo("hello");
    }

    @Test
    void dotDotIsRefused() throws Exception {
        byte[] a = tarGz(tar -> file(tar, "a/../../evil", "x"));
        assertThatThrownBy(() -> Archives.extract(a, ws(), 100, 1000)).hasMessageContaining("'..'");
        assertThat(tmp.resolve("evil")).doesNotExist();
    }

    @Test
    void absolutePathsAreRefused() throws Exception {
        byte[] a = tarGz(tar -> file(tar, "/tmp/evil", "x"));
        assertThatThrownBy(() -> Archives.extract(a, ws(), 100, 1000)).hasMessageContaining("absolute");
    }

    @Test
    void symlinksOutOfTheWorkspaceAreRefused() throws Exception {
        byte[] abs = tarGz(tar -> link(tar, "etc", "/etc", TarArchiveEntry.LF_SYMLINK));
        assertThatThrownBy(() -> Archives.extract(abs, ws(), 100, 1000)).hasMessageContaining("symbolic link out");
        byte[] rel = tarGz(tar -> link(tar, "a/up", "../../..", TarArchiveEntry.LF_SYMLINK));
        assertThatThrownBy(() -> Archives.extract(rel, tmp.resolve("ws2"), 100, 1000)).hasMessageContaining("symbolic link out");
    }

    @Test
    void nothingIsWrittenThroughASymlink() throws Exception {
        Files.createDirectories(tmp.resolve("outside"));
        byte[] a = tarGz(tar -> {
            link(tar, "here", ".", TarArchiveEntry.LF_SYMLINK);
            file(tar, "here/x", "through a link");
        });
        assertThatThrownBy(() -> Archives.extract(a, ws(), 100, 1000)).hasMessageContaining("through a symbolic link");
    }

    @Test
    void hardLinksToFilesOutsideAreRefused() throws Exception {
        byte[] a = tarGz(tar -> link(tar, "shadow", "/etc/shadow", TarArchiveEntry.LF_LINK));
        assertThatThrownBy(() -> Archives.extract(a, ws(), 100, 1000)).hasMessageContaining("absolute");
        byte[] b = tarGz(tar -> link(tar, "shadow", "missing", TarArchiveEntry.LF_LINK));
        assertThatThrownBy(() -> Archives.extract(b, tmp.resolve("ws2"), 100, 1000)).hasMessageContaining("hard link");
    }

    @Test
    void devicesAreRefused() throws Exception {
        byte[] a = tarGz(tar -> {
            TarArchiveEntry e = new TarArchiveEntry("sda", TarArchiveEntry.LF_BLK);
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
        });
        assertThatThrownBy(() -> Archives.extract(a, ws(), 100, 1000)).hasMessageContaining("special files");
    }

    @Test
    void tooManyEntriesAreRefused() throws Exception {
        byte[] a = tarGz(tar -> {
            for (int i = 0; i < 11; i++) {
                file(tar, "f" + i, "");
            }
        });
        assertThatThrownBy(() -> Archives.extract(a, ws(), 10, 1000)).hasMessageContaining("more than 10 entries");
    }

    @Test
    void aZipBombStopsAtTheByteLimitWhateverItsHeadersSay() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
            ZipArchiveEntry e = new ZipArchiveEntry("bomb");
            zip.putArchiveEntry(e);
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 20; i++) {
                zip.write(zeros);
            }
            zip.closeArchiveEntry();
        }
        assertThat(bytes.size()).isLessThan(100_000);
        assertThatThrownBy(() -> Archives.extract(bytes.toByteArray(), ws(), 100, 1 << 20))
                .hasMessageContaining("more than 1048576 bytes");
    }

    @Test
    void garbageIsRefused() {
        assertThatThrownBy(() -> Archives.extract("not an archive".getBytes(), ws(), 100, 1000))
                .hasMessageContaining(".tar.gz");
    }

    @Test
    void packingNeverFollowsALink() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.writeString(out.resolve("ok.txt"), "ok");
        Files.createSymbolicLink(out.resolve("passwd"), Path.of("/etc/passwd"));
        byte[] packed = Archives.packTarGz(out, 1 << 20);
        Path back = tmp.resolve("back");
        // the link comes back as a link (absolute links are refused on the way in, which shows it was not followed)
        assertThatThrownBy(() -> Archives.extract(packed, back, 100, 1 << 20)).hasMessageContaining("passwd");
        assertThat(Archives.packTarGz(tmp.resolve("none"), 100)).isNull();
    }
}
