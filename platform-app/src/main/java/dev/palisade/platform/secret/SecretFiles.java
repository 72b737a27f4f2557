package dev.palisade.platform.secret;

import dev.palisade.platform.config.PalisadeProperties;
import dev.palisade.sandbox.FileTrees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * A running workload's secret files: one directory per workload on a host tmpfs (by default
 * under {@code /dev/shm}, so values never reach a disk), owned by the tenant's uid, {@code 0500}
 * with files {@code 0400}, bound read-only at {@code /run/secrets} in its sandbox and removed
 * when the run ends. The directories of one data directory live apart ({@code <run-dir>/<hash
 * of the data directory>}) and are wiped at start, so a killed instance leaves none behind for
 * long.
 */
@Component
public class SecretFiles {

    /** Where the files appear inside the sandbox. */
    public static final String MOUNT = "/run/secrets";
    private static final Logger log = LoggerFactory.getLogger(SecretFiles.class);

    private final Path base;

    SecretFiles(SecretProperties properties, PalisadeProperties palisade) {
        this.base = properties.runDir().toAbsolutePath().normalize().resolve(hash(palisade.dataDir().toAbsolutePath()
                .normalize().toString()));
        FileTrees.delete(base);
    }

    /** Writes the file references of {@code resolved} for the workload; null when it has none. */
    public Path write(UUID workload, List<SecretVault.Resolved> resolved, int uid) throws IOException {
        List<SecretVault.Resolved> files = resolved.stream().filter(r -> r.ref().asFile()).toList();
        if (files.isEmpty()) {
            return null;
        }
        Files.createDirectories(base.getParent());
        Files.createDirectories(base);
        // others may pass through (the tenant's uid must reach its own directory), never list
        Files.setPosixFilePermissions(base.getParent(), PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx--x--x"));
        Path dir = base.resolve(workload.toString());
        FileTrees.delete(dir);
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        for (SecretVault.Resolved r : files) {
            Path f = dir.resolve(r.ref().name());
            Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(f, r.value());
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--------"));
            own(f, uid);
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-x------"));
        own(dir, uid);
        return dir;
    }

    /** Removes the workload's secret files, if any. */
    public void remove(UUID workload) {
        Path dir = base.resolve(workload.toString());
        if (Files.exists(dir)) {
            try {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            } catch (IOException | UnsupportedOperationException e) {
                log.debug("chmod {}: {}", dir, e.toString());
            }
            FileTrees.delete(dir);
        }
    }

    /** Hands the file to the tenant's uid; without root (a developer's machine) it stays the engine's. */
    private static void own(Path p, int uid) {
        try {
            Files.setAttribute(p, "unix:uid", uid);
            Files.setAttribute(p, "unix:gid", uid);
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("chown {}: {}", p, e.toString());
        }
    }

    private static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
