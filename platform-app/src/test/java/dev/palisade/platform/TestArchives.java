package dev.palisade.platform;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Tar archives built in tests, hostile ones included: entries are written exactly as given. */
public final class TestArchives {

    private TestArchives() {
    }

    /** Writes the entries of one archive. */
    public interface TarBody {
        void write(TarArchiveOutputStream tar) throws Exception;
    }

    public static byte[] tar(TarBody body) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        write(bytes, body);
        return bytes.toByteArray();
    }

    public static byte[] tarGz(TarBody body) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        write(new GzipCompressorOutputStream(bytes), body);
        return bytes.toByteArray();
    }

    private static void write(OutputStream out, TarBody body) throws Exception {
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            body.write(tar);
        }
    }

    /** One entry: a symbolic link when {@code link} is set, else a file with {@code data} (or a directory, data null). */
    public static void entry(TarArchiveOutputStream tar, String name, byte[] data, int mode, String link) throws Exception {
        TarArchiveEntry e = link != null ? new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK, true)
                : new TarArchiveEntry(name, true);
        e.setMode(mode);
        if (link != null) {
            e.setLinkName(link);
        } else if (data != null) {
            e.setSize(data.length);
        }
        tar.putArchiveEntry(e);
        if (data != null) {
            tar.write(data);
        }
        tar.closeArchiveEntry();
    }
}
