package dev.palisade.platform.workload;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * Unpacking archives nobody vetted, and packing what a program left behind, on the host as a
 * privileged process. Unpacking refuses (with the entry's name) {@code ..}, absolute names,
 * symlinks pointing out of the directory, hard links to anything but an earlier file, devices,
 * too many entries and too many bytes, counted as they are actually decompressed; it never
 * writes through a symbolic link. Packing never follows one.
 */
public final class Archives {

    private Archives() {
    }

    /** A refused archive; the message says which entry and why. */
    public static final class ArchiveException extends IllegalArgumentException {
        public ArchiveException(String message) {
            super(message);
        }
    }

    /** Unpacks a {@code .tar.gz}, {@code .tar} or {@code .zip} into {@code dir}; returns the bytes written. */
    public static long extract(byte[] archive, Path dir, int maxEntries, long maxBytes) {
        return extract(new ByteArrayInputStream(archive), dir, maxEntries, maxBytes);
    }

    /** Unpacks a {@code .tar.gz}, {@code .tar} or {@code .zip} stream into {@code dir}; returns the bytes written. */
    public static long extract(InputStream stream, Path dir, int maxEntries, long maxBytes) {
        try (InputStream raw = new java.io.BufferedInputStream(stream, 65536)) {
            raw.mark(512);
            byte[] head = raw.readNBytes(262 + 5);
            raw.reset();
            ArchiveInputStream<? extends ArchiveEntry> in;
            if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
                in = new TarArchiveInputStream(new GzipCompressorInputStream(raw));
            } else if (head.length >= 4 && head[0] == 'P' && head[1] == 'K') {
                in = new ZipArchiveInputStream(raw);
            } else if (head.length >= 262 + 5 && new String(head, 257, 5, java.nio.charset.StandardCharsets.US_ASCII).equals("ustar")) {
                in = new TarArchiveInputStream(raw);
            } else {
                throw new ArchiveException("input must be a .tar.gz, .tar or .zip archive");
            }
            return extract(in, dir.toAbsolutePath().normalize(), maxEntries, maxBytes);
        } catch (IOException e) {
            // a file system error names the host path it failed on: the tenant sees the entry's own path
            String root = dir.toAbsolutePath().normalize() + "/";
            String why = e instanceof java.nio.file.FileSystemException f && f.getFile() != null
                    ? "entry '" + f.getFile().replace(root, "") + "': " + (f.getReason() == null
                            ? e.getClass().getSimpleName() : f.getReason())
                    : String.valueOf(e.getMessage()).replace(root, "");
            throw new ArchiveException("input archive is damaged: " + why);
        }
    }

    private static long extract(ArchiveInputStream<? extends ArchiveEntry> in, Path dir, int maxEntries, long maxBytes)
            throws IOException {
        Files.createDirectories(dir);
        long total = 0;
        int entries = 0;
        byte[] buf = new byte[16384];
        for (ArchiveEntry e; (e = in.getNextEntry()) != null; ) {
            if (++entries > maxEntries) {
                throw new ArchiveException("input archive has more than " + maxEntries + " entries");
            }
            String name = e.getName();
            Path target = inside(dir, name);
            if (target == null) {
                continue; // "." or "./"
            }
            refuseLinksOnTheWay(dir, target, name);
            if (e instanceof TarArchiveEntry t && (t.isSymbolicLink() || t.isLink())) {
                String link = t.getLinkName();
                if (t.isSymbolicLink()) {
                    if (link.startsWith("/") || !target.getParent().resolve(link).normalize().startsWith(dir)) {
                        throw new ArchiveException("entry '" + name + "': symbolic link out of the workspace (" + link + ")");
                    }
                    Files.deleteIfExists(target);
                    Files.createSymbolicLink(target, Path.of(link));
                } else {
                    Path source = inside(dir, link);
                    if (source == null || !Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)) {
                        throw new ArchiveException("entry '" + name + "': hard link to '" + link
                                + "', which is not an earlier file of the archive");
                    }
                    refuseLinksOnTheWay(dir, source, link);
                    total += Files.size(source);
                    if (total > maxBytes) {
                        throw tooBig(maxBytes);
                    }
                    Files.deleteIfExists(target);
                    Files.copy(source, target, LinkOption.NOFOLLOW_LINKS);
                }
                continue;
            }
            if (e instanceof TarArchiveEntry t && !t.isDirectory() && !regular(t)) {
                throw new ArchiveException("entry '" + name + "': devices, fifos and other special files are not accepted");
            }
            if (e instanceof ZipArchiveEntry z && z.isUnixSymlink()) {
                throw new ArchiveException("entry '" + name + "': symbolic links in zip archives are not accepted");
            }
            if (e.isDirectory()) {
                if (Files.isSymbolicLink(target)) {
                    throw new ArchiveException("entry '" + name + "': would replace a symbolic link");
                }
                Files.createDirectories(target);
                continue;
            }
            Files.createDirectories(target.getParent());
            if (Files.isSymbolicLink(target)) {
                Files.delete(target);
            }
            try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    total += n;
                    if (total > maxBytes) {
                        throw tooBig(maxBytes);
                    }
                    out.write(buf, 0, n);
                }
            }
            boolean exec = e instanceof TarArchiveEntry t ? (t.getMode() & 0100) != 0
                    : e instanceof ZipArchiveEntry z && (z.getUnixMode() & 0100) != 0;
            Files.setPosixFilePermissions(target, exec ? RWXR_XR_X : RW_R_R);
        }
        return total;
    }

    private static boolean regular(TarArchiveEntry t) {
        byte flag = t.getLinkFlag();
        return (flag == TarArchiveEntry.LF_NORMAL || flag == TarArchiveEntry.LF_OLDNORM || flag == TarArchiveEntry.LF_CONTIG)
                && !t.getName().endsWith("/");
    }

    private static final Set<PosixFilePermission> RW_R_R = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
    private static final Set<PosixFilePermission> RWXR_XR_X = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE);

    private static ArchiveException tooBig(long max) {
        return new ArchiveException("input archive unpacks to more than " + max + " bytes");
    }

    /** Where an entry lands, or null for the directory itself; refuses names that leave it. */
    public static Path inside(Path dir, String name) {
        if (name == null || name.length() > 4096 || name.indexOf('\0') >= 0 || name.indexOf('\\') >= 0) {
            throw new ArchiveException("entry '" + name + "': name not accepted");
        }
        if (name.startsWith("/")) {
            throw new ArchiveException("entry '" + name + "': absolute paths are not accepted");
        }
        for (String part : name.split("/")) {
            if (part.equals("..")) {
                throw new ArchiveException("entry '" + name + "': '..' is not accepted");
            }
        }
        Path target = dir.resolve(name).normalize();
        if (!target.startsWith(dir)) {
            throw new ArchiveException("entry '" + name + "': outside the workspace");
        }
        return target.equals(dir) ? null : target;
    }

    /** Never write through a symbolic link an earlier entry made. */
    public static void refuseLinksOnTheWay(Path dir, Path target, String name) {
        for (Path p = target.getParent(); p != null && !p.equals(dir); p = p.getParent()) {
            if (Files.isSymbolicLink(p)) {
                throw new ArchiveException("entry '" + name + "': goes through a symbolic link");
            }
        }
    }

    /**
     * Packs {@code dir} as a {@code .tar.gz}: directories, regular files, and symbolic links as
     * links (never followed). Empty when {@code dir} does not exist; refused past {@code maxBytes}.
     */
    public static byte[] packTarGz(Path dir, long maxBytes) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GzipCompressorOutputStream gz = new GzipCompressorOutputStream(bytes)) {
            writeTar(dir, gz, maxBytes, name -> false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Writes {@code dir} to {@code out} as a tar: directories, regular files, and symbolic links
     * as links (never followed), leaving out the top-level entries {@code skipTop} names; refused
     * past {@code maxBytes}. {@code out} stays open.
     */
    public static void writeTar(Path dir, OutputStream out, long maxBytes, java.util.function.Predicate<String> skipTop) {
        try {
            TarArchiveOutputStream tar = new TarArchiveOutputStream(out); // finished, never closed: out is the caller's
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            long[] total = {0};
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    if (!d.equals(dir)) {
                        if (d.getParent().equals(dir) && skipTop.test(d.getFileName().toString())) {
                            return FileVisitResult.SKIP_SUBTREE;
                        }
                        TarArchiveEntry e = new TarArchiveEntry(dir.relativize(d).toString() + "/");
                        e.setMode(040755);
                        tar.putArchiveEntry(e);
                        tar.closeArchiveEntry();
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                    String name = dir.relativize(f).toString();
                    if (f.getParent().equals(dir) && skipTop.test(name)) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (attrs.isSymbolicLink()) {
                        TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
                        e.setLinkName(Files.readSymbolicLink(f).toString());
                        tar.putArchiveEntry(e);
                        tar.closeArchiveEntry();
                    } else if (attrs.isRegularFile()) {
                        total[0] += attrs.size();
                        if (total[0] > maxBytes) {
                            throw new ArchiveException("artifacts larger than " + maxBytes + " bytes");
                        }
                        TarArchiveEntry e = new TarArchiveEntry(name);
                        e.setSize(attrs.size());
                        boolean exec = Files.isExecutable(f);
                        e.setMode(exec ? 0100755 : 0100644);
                        tar.putArchiveEntry(e);
                        try (InputStream in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS)) {
                            long copied = in.transferTo(tar);
                            if (copied != attrs.size()) {
                                throw new IOException("file changed while packing: " + name);
                            }
                        }
                        tar.closeArchiveEntry();
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
            tar.finish();
            tar.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Gives a tree to uid/gid (the tenant's identity), links included, never following them. */
    public static void chown(Path dir, int uid, int gid) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    own(d);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                    own(f);
                    return FileVisitResult.CONTINUE;
                }

                private void own(Path p) throws IOException {
                    Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
