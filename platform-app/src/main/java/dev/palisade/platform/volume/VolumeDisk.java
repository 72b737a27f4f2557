package dev.palisade.platform.volume;

import dev.palisade.platform.config.PalisadeProperties;
import dev.palisade.platform.workload.Archives;
import dev.palisade.sandbox.FileTrees;
import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.VolumeImage;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.security.SecureRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The volumes on this node's disk, under {@code <data-dir>/volumes}: an image per volume in
 * {@code images/<id>.img} and, while the platform runs, its mount in {@code mnt/<id>} (mounted the
 * first time a workload needs it, unmounted when the volume is deleted or the platform stops).
 * The data directory's volume home ({@code volumes/home}, made once) names this disk: a volume
 * whose home it is lives here, whatever the node's id at this start.
 */
@Component
public class VolumeDisk {

    private static final Logger log = LoggerFactory.getLogger(VolumeDisk.class);

    private final Path images;
    private final Path mounts;
    private final String home;
    private final VolumeStore store;
    private final Map<UUID, Object> locks = new ConcurrentHashMap<>();
    /** The runs on this node that have each volume mounted in their sandbox. */
    private final Map<UUID, Set<UUID>> users = new ConcurrentHashMap<>();
    /** Volumes being exported or imported: no run may mount them meanwhile. */
    private final Set<UUID> busy = ConcurrentHashMap.newKeySet();

    VolumeDisk(PalisadeProperties palisade, VolumeStore store) {
        this.store = store;
        Path dir = palisade.dataDir().toAbsolutePath().normalize().resolve("volumes");
        this.images = dir.resolve("images");
        this.mounts = dir.resolve("mnt");
        this.home = readOrMakeHome(dir.resolve("home"));
        if (VolumeImage.unavailableReason() == null && Files.isDirectory(mounts)) {
            int left = VolumeImage.unmountAllUnder(mounts);
            if (left > 0) {
                log.info("Unmounted {} volume(s) that a stopped process left mounted under {}", left, mounts);
            }
        }
    }

    /** This data directory's volume home. */
    public String home() {
        return home;
    }

    /** Where the images live (to keep the host path out of messages for the tenant). */
    Path imageRoot() {
        return images.getParent();
    }

    /** Why this node cannot hold volumes, or null. */
    public String unavailableReason() {
        return VolumeImage.unavailableReason();
    }

    private Path image(UUID id) {
        return images.resolve(id + ".img");
    }

    private Path mountPoint(UUID id) {
        return mounts.resolve(id.toString());
    }

    /** A volume this node cannot serve; the message is for the tenant (no host path in it). */
    public static final class VolumeUnavailable extends SandboxException {
        VolumeUnavailable(String message) {
            super(message);
        }
    }

    /**
     * The host directory where the volume is mounted for the run {@code workload}, made and
     * mounted first if need be, its top directory owned by {@code uid}. Refused for a volume whose
     * home is another node's, and while it is being exported or imported. {@link #release} ends
     * the run's use of it.
     */
    public Path open(VolumeStore.Volume v, int uid, UUID workload) {
        synchronized (locks.computeIfAbsent(v.id(), k -> new Object())) {
            if (busy.contains(v.id())) {
                throw new VolumeUnavailable("volume '" + v.name() + "' is being exported or imported; try again when "
                        + "that is done");
            }
            Path mnt = mounted(v, uid);
            users.computeIfAbsent(v.id(), k -> ConcurrentHashMap.newKeySet()).add(workload);
            return mnt;
        }
    }

    /** The run is over: it no longer uses any volume. */
    public void release(UUID workload) {
        users.values().forEach(s -> s.remove(workload));
    }

    private Path mounted(VolumeStore.Volume v, int uid) {
        String why = unavailableReason();
        if (why != null) {
            throw new VolumeUnavailable("volume '" + v.name() + "' cannot be mounted on this node: " + why);
        }
        synchronized (locks.computeIfAbsent(v.id(), k -> new Object())) {
            String at = v.home() != null ? v.home() : store.claimHome(v.id(), home);
            if (!home.equals(at)) {
                throw new VolumeUnavailable("volume '" + v.name() + "' lives on another node");
            }
            Path mnt = mountPoint(v.id());
            if (VolumeImage.mounted(mnt)) {
                return mnt;
            }
            boolean made = v.made() || store.made(v.id());
            if (!made) {
                make(v, uid);
            } else if (!Files.isRegularFile(image(v.id()))) {
                throw new VolumeUnavailable("volume '" + v.name() + "': its image is missing from its node's disk");
            }
            ensureDirs();
            VolumeImage.mount(image(v.id()), mnt, uid, uid);
            return mnt;
        }
    }

    /** Makes the volume's image here (its home must be this node's); a half-made one is made again. */
    public void make(VolumeStore.Volume v, int uid) {
        ensureDirs();
        try {
            Files.deleteIfExists(image(v.id()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        VolumeImage.create(image(v.id()), v.sizeBytes(), uid, uid);
        store.markMade(v.id());
    }

    /** Unmounts the volume and removes its image: its data is gone. */
    public void destroy(UUID id) {
        synchronized (locks.computeIfAbsent(id, k -> new Object())) {
            if (!users.getOrDefault(id, Set.of()).isEmpty() || busy.contains(id)) {
                throw new VolumeInUse("the volume is in use on its node");
            }
            if (VolumeImage.unavailableReason() == null && !VolumeImage.unmount(mountPoint(id))) {
                throw new VolumeInUse("the volume is in use on its node");
            }
            FileTrees.delete(mountPoint(id));
            try {
                Files.deleteIfExists(image(id));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        locks.remove(id);
    }

    /** No run on this node has the volume mounted (a sandbox that could change its files while we read them). */
    public static final class VolumeInUse extends RuntimeException {
        VolumeInUse(String message) {
            super(message);
        }
    }

    /**
     * Runs {@code work} on the volume's mounted directory while no run of this node has it
     * mounted and none may mount it: the platform walks the tree as root, so no program may
     * swap a directory for a link under it meanwhile.
     */
    private <T> T alone(VolumeStore.Volume v, int uid, java.util.function.Function<Path, T> work) {
        Path mnt;
        synchronized (locks.computeIfAbsent(v.id(), k -> new Object())) {
            Set<UUID> using = users.getOrDefault(v.id(), Set.of());
            if (!using.isEmpty() || !busy.add(v.id())) {
                throw new VolumeInUse("volume '" + v.name() + "' is in use; stop what mounts it first");
            }
            try {
                mnt = mounted(v, uid);
            } catch (RuntimeException e) {
                busy.remove(v.id());
                throw e;
            }
        }
        try {
            return work.apply(mnt);
        } finally {
            busy.remove(v.id());
        }
    }

    /** Writes the volume's files as a tar stream (directories, regular files, symbolic links as links). */
    public void export(VolumeStore.Volume v, int uid, OutputStream out) {
        alone(v, uid, mnt -> {
            Archives.writeTar(mnt, out, Long.MAX_VALUE, name -> name.equals("lost+found"));
            return null;
        });
    }

    /**
     * Replaces the volume's files with those of a tar (or tar.gz) stream, owned by {@code uid};
     * refused past the volume's size. Returns the bytes written.
     */
    public long importTar(VolumeStore.Volume v, int uid, InputStream in, int maxEntries) {
        return alone(v, uid, mnt -> importInto(mnt, v, uid, in, maxEntries));
    }

    private long importInto(Path mnt, VolumeStore.Volume v, int uid, InputStream in, int maxEntries) {
        try (var entries = Files.list(mnt)) {
            for (Path p : entries.toList()) {
                if (!p.getFileName().toString().equals("lost+found")) {
                    FileTrees.delete(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long bytes = Archives.extract(in, mnt, maxEntries, v.sizeBytes());
        Archives.chown(mnt, uid, uid);
        try {
            Files.setAttribute(mnt.resolve("lost+found"), "unix:uid", 0);
            Files.setAttribute(mnt.resolve("lost+found"), "unix:gid", 0);
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("lost+found of {}: {}", v.id(), e.toString());
        }
        return bytes;
    }

    /**
     * Removes the images (and mounts) of volumes that no longer exist: a volume deleted through
     * another instance than its home's leaves its image here until this sweep. Returns how many.
     */
    public int sweep() {
        if (!Files.isDirectory(images)) {
            return 0;
        }
        int n = 0;
        try (var files = Files.list(images)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (!name.endsWith(".img")) {
                    continue;
                }
                UUID id;
                try {
                    id = UUID.fromString(name.substring(0, name.length() - 4));
                } catch (IllegalArgumentException e) {
                    continue;
                }
                if (!store.exists(id)) {
                    destroy(id);
                    n++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return n;
    }

    private void ensureDirs() {
        try {
            Files.createDirectories(images);
            Files.createDirectories(mounts);
            Files.setPosixFilePermissions(images, PosixFilePermissions.fromString("rwx------"));
            // the tenant's uid may pass through to its own volume (whose top directory is its alone)
            Files.setPosixFilePermissions(mounts, PosixFilePermissions.fromString("rwx--x--x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** At shutdown every volume nothing uses any more is unmounted (the images stay; the next start unmounts the rest). */
    @PreDestroy
    void unmountAll() {
        if (VolumeImage.unavailableReason() == null && Files.isDirectory(mounts)) {
            VolumeImage.unmountAllUnder(mounts);
        }
    }

    private static String readOrMakeHome(Path file) {
        try {
            if (Files.isRegularFile(file)) {
                String h = Files.readString(file, StandardCharsets.US_ASCII).strip();
                if (h.matches("[0-9a-f]{16}")) {
                    return h;
                }
            }
            Files.createDirectories(file.getParent());
            byte[] b = new byte[8];
            new SecureRandom().nextBytes(b);
            String h = HexFormat.of().formatHex(b);
            Files.writeString(file, h + "\n", StandardCharsets.US_ASCII);
            return h;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or make the volume home " + file, e);
        }
    }
}
