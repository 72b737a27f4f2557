package dev.palisade.platform.image;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Reads and unpacks a generated docker save stream with one layer holding a file of
 * {@code args[1]} bytes, in a JVM started with a small heap by {@link LargeImageUploadTests}:
 * nothing of the archive may be held in memory. Prints the bytes read and the heap's peak.
 */
public final class LargeImageUpload {

    private LargeImageUpload() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long fileBytes = Long.parseLong(args[1]);
        // a dry run of the layer gives its size and digest, which the config and the outer entry need first
        DigestCounter dry = new DigestCounter();
        writeLayer(dry, fileBytes);
        String diffId = "sha256:" + HexFormat.of().formatHex(dry.digest.digest());
        long layerSize = dry.count;
        byte[] config = ("{\"config\":{\"Cmd\":[\"/big\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffId + "\"]}}")
                .getBytes(StandardCharsets.UTF_8);
        byte[] manifest = "[{\"Config\":\"config.json\",\"Layers\":[\"big/layer.tar\"]}]".getBytes(StandardCharsets.UTF_8);

        PipedInputStream in = new PipedInputStream(1 << 16);
        PipedOutputStream out = new PipedOutputStream(in);
        Thread writer = new Thread(() -> {
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                TarArchiveEntry layer = new TarArchiveEntry("big/layer.tar");
                layer.setSize(layerSize);
                tar.putArchiveEntry(layer);
                writeLayer(new NoClose(tar), fileBytes);
                tar.closeArchiveEntry();
                for (var f : java.util.Map.of("config.json", config, "manifest.json", manifest).entrySet()) {
                    TarArchiveEntry e = new TarArchiveEntry(f.getKey());
                    e.setSize(f.getValue().length);
                    tar.putArchiveEntry(e);
                    tar.write(f.getValue());
                    tar.closeArchiveEntry();
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        writer.start();
        OciImages.Parsed parsed = OciImages.read(in, dir.resolve("scratch"), fileBytes + (64L << 20));
        OciImages.unpack(parsed, dir.resolve("rootfs"), 1000, fileBytes + (64L << 20));
        writer.join();
        long unpacked = Files.size(dir.resolve("rootfs/big"));
        long peak = 0;
        for (var pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == java.lang.management.MemoryType.HEAP && pool.getPeakUsage() != null) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.println("unpacked=" + unpacked + " layer=" + layerSize + " heapPeak=" + peak + " maxHeap="
                + Runtime.getRuntime().maxMemory());
    }

    /** A layer: one file of {@code n} bytes of a repeating pattern. */
    private static void writeLayer(OutputStream sink, long n) throws IOException {
        try (TarArchiveOutputStream layer = new TarArchiveOutputStream(sink)) {
            layer.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            TarArchiveEntry e = new TarArchiveEntry("big");
            e.setSize(n);
            e.setMode(0100644);
            e.setModTime(0); // the dry run and the real one must make the same bytes
            layer.putArchiveEntry(e);
            byte[] chunk = new byte[1 << 16];
            for (int i = 0; i < chunk.length; i++) {
                chunk[i] = (byte) (i * 31);
            }
            for (long left = n; left > 0; left -= chunk.length) {
                layer.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
            layer.closeArchiveEntry();
        }
    }

    private static final class DigestCounter extends OutputStream {
        final MessageDigest digest = OciImages.sha256();
        long count;

        @Override
        public void write(int b) {
            digest.update((byte) b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            digest.update(b, off, len);
            count += len;
        }
    }

    /** The outer entry stays open when the layer's own stream is closed. */
    private static final class NoClose extends OutputStream {
        private final OutputStream out;

        NoClose(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() {
            // the outer entry goes on
        }
    }
}
