package dev.palisade.platform.db;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on {@code <data-dir>/palisade.lock}, held for the life of the process. The
 * operating system drops it when the process dies however it dies, so holding it proves that no
 * other Palisade uses this data directory, and that a PostgreSQL still running on it is a leftover.
 */
final class DataDirectoryLock implements AutoCloseable {

    private final FileChannel channel;
    private final FileLock lock;

    private DataDirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static DataDirectoryLock acquire(Path dataDir) throws IOException {
        return acquire(dataDir, "palisade.lock");
    }

    /** Holds {@code <dataDir>/<fileName>}, or fails when another process holds it. */
    static DataDirectoryLock acquire(Path dataDir, String fileName) throws IOException {
        Path file = dataDir.resolve(fileName);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock();
        if (lock == null) {
            channel.close();
            throw new IllegalStateException("The data directory " + dataDir
                    + " is in use by another running Palisade; stop it or choose another palisade.data-dir");
        }
        return new DataDirectoryLock(channel, lock);
    }

    @Override
    public void close() throws IOException {
        lock.release();
        channel.close();
    }
}
