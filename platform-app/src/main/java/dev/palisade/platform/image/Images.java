package dev.palisade.platform.image;

import dev.palisade.platform.config.PalisadeProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Root filesystems by image name: {@code host} is the host userland read-only with secrets left
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

    Images(JdbcClient jdbc, PalisadeProperties properties) {
        this.jdbc = jdbc;
        this.dir = properties.dataDir().toAbsolutePath().normalize().resolve("images");
    }

    public boolean exists(String name) {
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
                Path staging = dir.resolve(name).resolve("rootfs.tmp");
                OciImages.unpack(archive, staging);
                Files.move(staging, rootfs);
            }
            return Optional.of(rootfs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
