package dev.palisade.platform.image;

import dev.palisade.model.PlainText;
import dev.palisade.sandbox.FileTrees;
import dev.palisade.model.ConflictException;
import dev.palisade.platform.config.PalisadeProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.platform.workload.Archives;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Root filesystems by image name (a tenant's own images, {@link TenantImages}, come first for
 * that tenant): {@code host} is the host userland read-only with secrets left
 * out (the engine's default root), {@code scratch} an empty directory; an imported OCI image
 * is unpacked once per node under {@code <data-dir>/images/<name>/rootfs} from the archive kept
 * in the database.
 */
@Component
public class Images {

    public static final String HOST = "host";
    public static final String SCRATCH = "scratch";

    private final JdbcClient jdbc;
    private final Path dir;
    private final ImageProperties limits;
    private final AuditLog audit;
    private final TransactionTemplate tx;

    private final TenantImages tenantImages;

    Images(JdbcClient jdbc, PalisadeProperties properties, ImageProperties limits, AuditLog audit, TransactionTemplate tx,
            TenantImages tenantImages) {
        this.jdbc = jdbc;
        this.tenantImages = tenantImages;
        this.dir = properties.dataDir().toAbsolutePath().normalize().resolve("images");
        this.limits = limits;
        this.audit = audit;
        this.tx = tx;
    }

    /** An import refused as invalid; {@code field} (name, description or archive) is the part at fault. */
    public static final class ImportRefused extends IllegalArgumentException {
        private final String field;

        ImportRefused(String field, String message) {
            super(message);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    /**
     * Imports an OCI image, for the REST API and the console alike: the name and description are
     * checked, the archive unpacked here first (a bad archive is refused with the reason, and
     * nothing is stored), then kept in the database for the other nodes, and audited.
     *
     * @throws ImportRefused       a bad name, description or archive
     * @throws ConflictException   an image of that name exists
     */
    public void importOci(String actor, String name, String description, byte[] archive) {
        if (name == null || name.length() > 100 || !name.matches("[a-z0-9]([a-z0-9._-]*[a-z0-9])?")) {
            throw new ImportRefused("name", "lower-case letters, digits, '.', '_' and '-', at most 100");
        }
        if (exists(name)) {
            throw new ConflictException("image '" + name + "' already exists");
        }
        if (description != null && (description.length() > 500 || !PlainText.isPlain(description))) {
            throw new ImportRefused("description", "at most 500 characters, " + PlainText.MESSAGE);
        }
        if (archive.length == 0) {
            throw new ImportRefused("archive", "no image archive was sent");
        }
        if (archive.length > limits.maxSize().toBytes()) {
            throw new ImportRefused("archive", "image archive larger than " + limits.maxSize().toBytes() + " bytes");
        }
        try {
            FileTrees.delete(dir.resolve(name));
            unpack(archive, dir.resolve(name), limits.maxEntries(), limits.maxUnpacked().toBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Archives.ArchiveException e) {
            FileTrees.delete(dir.resolve(name));
            throw new ImportRefused("archive", e.getMessage());
        } catch (RuntimeException e) {
            FileTrees.delete(dir.resolve(name));
            throw e;
        }
        String digest = sha256(archive);
        tx.executeWithoutResult(status -> {
            jdbc.sql("""
                    insert into image (name, kind, description, digest, size_bytes, archive, created_by)
                    values (:name, 'oci', :description, :digest, :size, :archive, :actor)""")
                    .param("name", name).param("description", description).param("digest", digest)
                    .param("size", archive.length).param("archive", archive).param("actor", actor).update();
            audit.record(actor, (Long) null, null, "image.import", "image:" + name,
                    Map.of("digest", String.valueOf(digest)));
        });
    }

    /** Unpacks an archive kept whole into {@code imageDir/rootfs}, through a scratch directory beside it. */
    private static void unpack(byte[] archive, Path imageDir, int maxEntries, long maxBytes) throws IOException {
        Path scratch = imageDir.resolve("archive.tmp");
        Path staging = imageDir.resolve("rootfs.tmp");
        try {
            OciImages.Parsed parsed = OciImages.read(new java.io.ByteArrayInputStream(archive), scratch, maxBytes);
            OciImages.unpack(parsed, staging, maxEntries, maxBytes);
            Files.move(staging, imageDir.resolve("rootfs"));
        } finally {
            FileTrees.delete(scratch);
        }
    }

    private static String sha256(byte[] data) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The images a tenant may run on (null: the shared ones only): the shared ones, then its own. */
    public java.util.List<String> names(Long tenantId) {
        java.util.List<String> out = new java.util.ArrayList<>(jdbc.sql("select name from image order by name")
                .query(String.class).list());
        if (tenantId != null) {
            tenantImages.list(tenantId).forEach(i -> out.add(i.name()));
        }
        return out;
    }

    /** Whether the tenant may run on the image: one of its own, or one every tenant has. */
    public boolean exists(long tenantId, String name) {
        return tenantImages.find(tenantId, name).isPresent() || exists(name);
    }

    /** The image's config the runtime honours: a tenant's own image's, none for the others. */
    public TenantImages.ImageConfig config(long tenantId, String name) {
        return tenantImages.config(tenantId, name).orElse(TenantImages.ImageConfig.NONE);
    }

    /** The root to run the tenant's workload on: its own image of that name first, else the shared one. */
    public Optional<Path> root(long tenantId, String name) {
        Optional<Path> own = tenantImages.root(tenantId, name);
        return own.isPresent() ? own : root(name);
    }

    public boolean exists(String name) {
        if (HOST.equals(name) || SCRATCH.equals(name)) {
            return true;
        }
        return jdbc.sql("select count(*) from image where name = :name").param("name", name)
                .query(Long.class).single() > 0;
    }

    /** The root to run on: empty for the host userland. */
    public synchronized Optional<Path> root(String name) {
        if (HOST.equals(name)) {
            return Optional.empty();
        }
        try {
            if (SCRATCH.equals(name)) {
                Path scratch = dir.resolve("scratch");
                Files.createDirectories(scratch);
                return Optional.of(scratch);
            }
            Path rootfs = dir.resolve(name).resolve("rootfs");
            if (!Files.isDirectory(rootfs)) {
                byte[] archive = jdbc.sql("select archive from image where name = :name and kind = 'oci'")
                        .param("name", name).query(byte[].class).optional()
                        .orElseThrow(() -> new IllegalStateException("no image '" + name + "'"));
                unpack(archive, dir.resolve(name), 200_000, 2L << 30);
            }
            return Optional.of(rootfs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
