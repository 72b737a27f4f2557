package dev.palisade.platform.image;

import dev.palisade.sandbox.FileTrees;
import dev.palisade.platform.workload.Archives;
import dev.palisade.platform.workload.Archives.ArchiveException;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Unpacks an OCI image archive into a root filesystem: {@code docker save} output
 * ({@code manifest.json} naming the layers) or an OCI image layout ({@code index.json} →
 * manifest → layers, the linux/amd64 one of an index). Layers are applied in order with their
 * whiteouts ({@code .wh.name} deletes, {@code .wh..wh..opq} empties a directory); names that
 * leave the root, writes through symbolic links, and too many entries or bytes are refused;
 * devices are skipped; setuid and setgid bits are dropped. Symbolic links may point anywhere:
 * inside the sandbox they resolve within the image, and unpacking never follows them.
 */
final class OciImages {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String WHITEOUT = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";

    private OciImages() {
    }

    /** Unpacks with the default bounds (used on nodes that unpack an image admitted elsewhere). */
    static void unpack(byte[] archive, Path rootfs) {
        unpack(archive, rootfs, 200_000, 2L << 30);
    }

    static void unpack(byte[] archive, Path rootfs, int maxEntries, long maxBytes) {
        try {
            Map<String, byte[]> files = outerFiles(archive);
            List<byte[]> layers = layers(files);
            FileTrees.delete(rootfs);
            Files.createDirectories(rootfs);
            long[] budget = {maxBytes, maxEntries};
            for (byte[] layer : layers) {
                apply(layer, rootfs.toAbsolutePath().normalize(), budget);
            }
            // the sandbox mounts over these: they must be plain directories, never links out
            for (String d : List.of("proc", "dev", "tmp", "workspace")) {
                Path p = rootfs.resolve(d);
                if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    FileTrees.delete(p);
                }
                Files.createDirectories(p);
            }
        } catch (IOException e) {
            throw new ArchiveException("image archive is damaged: " + e.getMessage());
        }
    }

    private static InputStream maybeGunzip(byte[] data) throws IOException {
        InputStream in = new ByteArrayInputStream(data);
        if (data.length >= 2 && (data[0] & 0xff) == 0x1f && (data[1] & 0xff) == 0x8b) {
            return new GzipCompressorInputStream(in);
        }
        if (data.length >= 4 && (data[0] & 0xff) == 0x28 && (data[1] & 0xff) == 0xb5) {
            throw new ArchiveException("zstd-compressed layers are not supported; use gzip");
        }
        return in;
    }

    /** The archive's regular files by name (blobs, manifests). */
    private static Map<String, byte[]> outerFiles(byte[] archive) throws IOException {
        Map<String, byte[]> files = new HashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new BufferedInputStream(maybeGunzip(archive)))) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                if (e.isFile()) {
                    files.put(strip(e.getName()), tar.readAllBytes());
                }
            }
        }
        if (files.isEmpty()) {
            throw new ArchiveException("not an image archive (a tar from docker save, or an OCI image layout)");
        }
        return files;
    }

    private static List<byte[]> layers(Map<String, byte[]> files) {
        List<byte[]> layers = new ArrayList<>();
        if (files.containsKey("manifest.json")) {
            JsonNode manifest = JSON.readTree(files.get("manifest.json"));
            JsonNode first = manifest.isArray() ? manifest.get(0) : null;
            if (first == null || !first.has("Layers")) {
                throw new ArchiveException("manifest.json names no layers");
            }
            for (JsonNode l : first.get("Layers")) {
                layers.add(need(files, strip(l.asString())));
            }
            return layers;
        }
        if (files.containsKey("index.json")) {
            JsonNode node = JSON.readTree(files.get("index.json"));
            for (int depth = 0; node.has("manifests") && depth < 4; depth++) {
                JsonNode chosen = null;
                for (JsonNode m : node.get("manifests")) {
                    JsonNode p = m.get("platform");
                    if (p == null || ("linux".equals(p.path("os").asString()) && "amd64".equals(p.path("architecture").asString()))) {
                        chosen = m;
                        break;
                    }
                }
                if (chosen == null) {
                    throw new ArchiveException("the image index has no linux/amd64 manifest");
                }
                node = JSON.readTree(need(files, blob(chosen.path("digest").asString())));
            }
            if (!node.has("layers")) {
                throw new ArchiveException("the image manifest names no layers");
            }
            for (JsonNode l : node.get("layers")) {
                layers.add(need(files, blob(l.path("digest").asString())));
            }
            return layers;
        }
        throw new ArchiveException("neither manifest.json (docker save) nor index.json (OCI layout) in the archive");
    }

    private static String blob(String digest) {
        if (!digest.matches("sha256:[0-9a-f]{64}")) {
            throw new ArchiveException("bad digest '" + digest + "'");
        }
        return "blobs/sha256/" + digest.substring(7);
    }

    private static byte[] need(Map<String, byte[]> files, String name) {
        byte[] data = files.get(name);
        if (data == null) {
            throw new ArchiveException("the archive lacks '" + name + "'");
        }
        return data;
    }

    private static String strip(String name) {
        return name.startsWith("./") ? name.substring(2) : name;
    }

    private static void apply(byte[] layer, Path root, long[] budget) throws IOException {
        byte[] buf = new byte[16384];
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new BufferedInputStream(maybeGunzip(layer)))) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                if (--budget[1] < 0) {
                    throw new ArchiveException("image has too many entries");
                }
                String name = e.getName();
                Path target = Archives.inside(root, name);
                if (target == null) {
                    continue;
                }
                Archives.refuseLinksOnTheWay(root, target, name);
                String base = target.getFileName().toString();
                if (base.equals(OPAQUE)) {
                    emptyDir(target.getParent());
                    continue;
                }
                if (base.startsWith(WHITEOUT)) {
                    FileTrees.delete(target.resolveSibling(base.substring(WHITEOUT.length())));
                    continue;
                }
                if (e.isDirectory()) {
                    if (Files.isSymbolicLink(target) || (Files.exists(target, LinkOption.NOFOLLOW_LINKS)
                            && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS))) {
                        FileTrees.delete(target);
                    }
                    Files.createDirectories(target);
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(perms(e.getMode() | 0700)));
                    continue;
                }
                Files.createDirectories(target.getParent());
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    FileTrees.delete(target);
                }
                if (e.isSymbolicLink()) {
                    Files.createSymbolicLink(target, Path.of(e.getLinkName()));
                } else if (e.isLink()) {
                    Path source = Archives.inside(root, e.getLinkName());
                    if (source == null || !Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)) {
                        throw new ArchiveException("entry '" + name + "': hard link to a missing file '" + e.getLinkName() + "'");
                    }
                    Archives.refuseLinksOnTheWay(root, source, e.getLinkName());
                    Files.createLink(target, source);
                } else if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
                    continue; // the sandbox has its own /dev
                } else {
                    try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                        for (int n; (n = tar.read(buf)) > 0; ) {
                            budget[0] -= n;
                            if (budget[0] < 0) {
                                throw new ArchiveException("image unpacks to too many bytes");
                            }
                            out.write(buf, 0, n);
                        }
                    }
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(perms(e.getMode())));
                }
            }
        }
    }

    /** rwx bits only: no setuid, setgid or sticky from an image. */
    private static String perms(int mode) {
        String rwx = "rwxrwxrwx";
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 9; i++) {
            b.append((mode & (0400 >> i)) != 0 ? rwx.charAt(i) : '-');
        }
        return b.toString();
    }

    private static void emptyDir(Path dir) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
            for (Path c : children) {
                FileTrees.delete(c);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
