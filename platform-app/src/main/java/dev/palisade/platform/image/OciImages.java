package dev.palisade.platform.image;

import dev.palisade.sandbox.FileTrees;
import dev.palisade.platform.workload.Archives;
import dev.palisade.platform.workload.Archives.ArchiveException;
import java.io.BufferedInputStream;
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
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads an OCI image archive and unpacks it into a root filesystem: {@code docker save} output
 * ({@code manifest.json} naming the config and layers) or an OCI image layout ({@code index.json}
 * → manifest → config and layers, the linux/amd64 one of an index), the archive and each layer
 * plain, gzip or zstd. Everything streams: the archive's files go to a scratch directory as they
 * arrive, hashed on the way (no file is held in memory but the small JSON documents).
 *
 * <p>Digests are checked: a blob named by its digest ({@code blobs/sha256/…}, or a config
 * {@code <hex>.json}) must hash to it, and each layer's uncompressed content must hash to its
 * {@code diff_id} in the image config. Layers are applied in order with their whiteouts
 * ({@code .wh.name} deletes, {@code .wh..wh..opq} empties a directory); names that leave the
 * root, writes through symbolic links, hard links to what is not a file of the image, device
 * files, and too many entries or bytes are refused, naming the layer; setuid and setgid bits
 * are dropped. Symbolic links may point anywhere: inside the sandbox they resolve within the
 * image, and unpacking never follows them.
 */
final class OciImages {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String WHITEOUT = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    /** The most bytes of one JSON document (manifest, index, config) read into memory. */
    private static final long MAX_DOCUMENT = 4L << 20;

    private OciImages() {
    }

    /** A file of the archive, stored in the scratch directory. */
    record Blob(Path file, String sha256, long size) {
    }

    /**
     * One layer: its name in the archive, its blob, and the digest of its uncompressed content
     * that the image config gives ({@code null} when the archive has no config).
     */
    record Layer(String name, Blob blob, String diffId) {
    }

    /**
     * A read archive: its config document ({@code null} when a docker save has none), that
     * document's digest, and its layers in order.
     */
    record Parsed(JsonNode config, String configDigest, List<Layer> layers) {

        long blobBytes() {
            return layers.stream().mapToLong(l -> l.blob().size()).sum();
        }
    }

    /**
     * Reads the archive from {@code in} into {@code scratch} (created; the caller deletes it),
     * refusing more than {@code maxBytes} of files, and checks what it says of itself.
     */
    static Parsed read(InputStream in, Path scratch, long maxBytes) {
        try {
            Files.createDirectories(scratch);
            Map<String, Blob> files = new HashMap<>();
            long total = 0;
            byte[] buf = new byte[65536];
            try (TarArchiveInputStream tar = new TarArchiveInputStream(decompressed(in))) {
                for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                    if (!e.isFile()) {
                        continue;
                    }
                    if (files.size() >= 100_000) {
                        throw new ArchiveException("the image archive has too many files");
                    }
                    Path f = scratch.resolve("f" + files.size());
                    MessageDigest d = sha256();
                    long size = 0;
                    try (OutputStream out = Files.newOutputStream(f, StandardOpenOption.CREATE_NEW)) {
                        for (int n; (n = tar.read(buf)) > 0; ) {
                            size += n;
                            total += n;
                            if (total > maxBytes) {
                                throw new ArchiveException("image archive larger than " + maxBytes + " bytes");
                            }
                            d.update(buf, 0, n);
                            out.write(buf, 0, n);
                        }
                    }
                    files.put(strip(e.getName()), new Blob(f, "sha256:" + HexFormat.of().formatHex(d.digest()), size));
                }
            }
            if (files.isEmpty()) {
                throw new ArchiveException("not an image archive (a tar from docker save, or an OCI image layout)");
            }
            return parse(files);
        } catch (IOException e) {
            throw new ArchiveException("image archive is damaged: " + e.getMessage());
        }
    }

    private static Parsed parse(Map<String, Blob> files) throws IOException {
        if (files.containsKey("manifest.json")) {
            JsonNode manifest = document(need(files, "manifest.json"), "manifest.json");
            JsonNode first = manifest.isArray() ? manifest.get(0) : null;
            if (first == null || !first.has("Layers")) {
                throw new ArchiveException("manifest.json names no layers");
            }
            JsonNode config = null;
            String configDigest = null;
            if (first.hasNonNull("Config") && files.containsKey(strip(first.get("Config").asString()))) {
                String name = strip(first.get("Config").asString());
                Blob c = files.get(name);
                checkNamedDigest(name, c);
                config = document(c, name);
                configDigest = c.sha256();
            }
            List<String> names = new ArrayList<>();
            for (JsonNode l : first.get("Layers")) {
                names.add(strip(l.asString()));
            }
            return new Parsed(config, configDigest, layers(files, names, config));
        }
        if (files.containsKey("index.json")) {
            JsonNode node = document(need(files, "index.json"), "index.json");
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
                node = document(blobOf(files, chosen.path("digest").asString()), "manifest " + chosen.path("digest").asString());
            }
            if (!node.has("layers")) {
                throw new ArchiveException("the image manifest names no layers");
            }
            JsonNode config = null;
            String configDigest = null;
            if (node.has("config")) {
                configDigest = node.path("config").path("digest").asString();
                config = document(blobOf(files, configDigest), "config " + configDigest);
            }
            List<String> names = new ArrayList<>();
            for (JsonNode l : node.get("layers")) {
                String digest = l.path("digest").asString();
                blobOf(files, digest);
                names.add(blobName(digest));
            }
            return new Parsed(config, configDigest, layers(files, names, config));
        }
        throw new ArchiveException("neither manifest.json (docker save) nor index.json (OCI layout) in the archive");
    }

    private static List<Layer> layers(Map<String, Blob> files, List<String> names, JsonNode config) {
        JsonNode diffIds = config == null ? null : config.path("rootfs").path("diff_ids");
        if (diffIds != null && diffIds.isArray() && diffIds.size() != names.size()) {
            throw new ArchiveException("the image config lists " + diffIds.size() + " layer digests for " + names.size()
                    + " layers");
        }
        List<Layer> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            Blob b = need(files, names.get(i));
            checkNamedDigest(names.get(i), b);
            String diffId = diffIds != null && diffIds.isArray() ? diffIds.get(i).asString() : null;
            if (diffId != null && !diffId.matches("sha256:[0-9a-f]{64}")) {
                throw new ArchiveException("layer " + (i + 1) + " (" + names.get(i) + "): bad digest '" + diffId + "'");
            }
            out.add(new Layer(names.get(i), b, diffId));
        }
        return out;
    }

    /** A blob whose name is its digest must hash to it. */
    private static void checkNamedDigest(String name, Blob b) {
        String hex = null;
        if (name.matches("blobs/sha256/[0-9a-f]{64}")) {
            hex = name.substring("blobs/sha256/".length());
        } else if (name.matches("[0-9a-f]{64}\\.json")) {
            hex = name.substring(0, 64);
        } else if (name.matches("[0-9a-f]{64}/layer\\.tar")) {
            return; // docker save's legacy directory is named by a v1 id, not a digest: the config's diff_id checks it
        }
        if (hex != null && !b.sha256().equals("sha256:" + hex)) {
            throw new ArchiveException("'" + name + "' does not match its digest: its content is " + b.sha256());
        }
    }

    private static String blobName(String digest) {
        if (!digest.matches("sha256:[0-9a-f]{64}")) {
            throw new ArchiveException("bad digest '" + digest + "'");
        }
        return "blobs/sha256/" + digest.substring(7);
    }

    private static Blob blobOf(Map<String, Blob> files, String digest) {
        String name = blobName(digest);
        Blob b = need(files, name);
        checkNamedDigest(name, b);
        return b;
    }

    private static Blob need(Map<String, Blob> files, String name) {
        Blob b = files.get(name);
        if (b == null) {
            throw new ArchiveException("the archive lacks '" + name + "'");
        }
        return b;
    }

    private static JsonNode document(Blob b, String what) throws IOException {
        if (b.size() > MAX_DOCUMENT) {
            throw new ArchiveException(what + " is larger than " + MAX_DOCUMENT + " bytes");
        }
        try {
            return JSON.readTree(Files.readAllBytes(b.file()));
        } catch (RuntimeException e) {
            throw new ArchiveException(what + " is not valid JSON");
        }
    }

    private static String strip(String name) {
        return name.startsWith("./") ? name.substring(2) : name;
    }

    /**
     * Applies the layers to a fresh {@code rootfs}, each checked against its {@code diff_id}; a
     * refusal names the layer.
     */
    static void unpack(Parsed image, Path rootfs, int maxEntries, long maxBytes) {
        List<LayerSource> sources = new ArrayList<>();
        for (Layer l : image.layers()) {
            sources.add(new LayerSource(l.name(), l.diffId(), () -> Files.newInputStream(l.blob().file())));
        }
        unpackLayers(sources, rootfs, maxEntries, maxBytes);
    }

    /** Where a layer's bytes come from (a scratch file, or the database on another node). */
    interface LayerStream {
        InputStream open() throws IOException;
    }

    record LayerSource(String name, String diffId, LayerStream stream) {
    }

    static void unpackLayers(List<LayerSource> layers, Path rootfs, int maxEntries, long maxBytes) {
        try {
            FileTrees.delete(rootfs);
            Files.createDirectories(rootfs);
            long[] budget = {maxBytes, maxEntries};
            for (int i = 0; i < layers.size(); i++) {
                LayerSource l = layers.get(i);
                String label = "layer " + (i + 1) + " (" + (l.diffId() != null ? l.diffId() : l.name()) + ")";
                try (InputStream in = l.stream().open()) {
                    String digest = apply(in, rootfs.toAbsolutePath().normalize(), budget);
                    if (l.diffId() != null && !l.diffId().equals(digest)) {
                        throw new ArchiveException("its content does not match its digest: the image says " + l.diffId()
                                + ", the content is " + digest);
                    }
                } catch (ArchiveException e) {
                    throw new ArchiveException(label + ": " + e.getMessage());
                } catch (IOException e) {
                    throw new ArchiveException(label + " is damaged: " + e.getMessage());
                }
            }
            // the sandbox mounts over these: they must be plain directories, never links out
            for (String d : List.of("proc", "dev", "tmp", "workspace", "run")) {
                Path p = rootfs.resolve(d);
                if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    FileTrees.delete(p);
                }
                Files.createDirectories(p);
            }
        } catch (IOException e) {
            throw new ArchiveException("image could not be unpacked: " + e.getMessage());
        }
    }

    /** Plain, gzip or zstd, by the stream's first bytes. */
    static InputStream decompressed(InputStream raw) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 65536);
        in.mark(4);
        byte[] magic = in.readNBytes(4);
        in.reset();
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return new BufferedInputStream(new GzipCompressorInputStream(in, true), 65536);
        }
        if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5 && (magic[2] & 0xff) == 0x2f
                && (magic[3] & 0xff) == 0xfd) {
            return new BufferedInputStream(new ZstdCompressorInputStream(in), 65536);
        }
        return in;
    }

    /** Applies one layer; returns the sha256 of its uncompressed content (read to its end). */
    private static String apply(InputStream compressed, Path root, long[] budget) throws IOException {
        byte[] buf = new byte[65536];
        DigestInputStream content = new DigestInputStream(decompressed(compressed), sha256()) {
            // the tar reader skips padding and end blocks: skipped bytes must be digested too
            @Override
            public long skip(long n) throws IOException {
                long done = 0;
                byte[] sink = new byte[8192];
                while (done < n) {
                    int r = read(sink, 0, (int) Math.min(sink.length, n - done));
                    if (r < 0) {
                        break;
                    }
                    done += r;
                }
                return done;
            }
        };
        TarArchiveInputStream tar = new TarArchiveInputStream(content);
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
            if (e.isCharacterDevice() || e.isBlockDevice()) {
                throw new ArchiveException("entry '" + name + "': device files are not accepted (the sandbox has its own /dev)");
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
            } else if (e.isFIFO()) {
                continue; // a named pipe carries nothing; the program can make its own
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
        // the digest covers the whole layer, the tar's end blocks included
        while (content.read(buf) >= 0) {
            // drained
        }
        return "sha256:" + HexFormat.of().formatHex(content.getMessageDigest().digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
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
