package dev.palisade.platform.db;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the platform was killed hard (kill -9, OOM killer), its embedded PostgreSQL lives on,
 * orphaned, and holds the data directory, so the next start would fail. This stops such a
 * leftover server. (Its parent pid cannot tell: pg_ctl daemonizes every postmaster.)
 */
final class LeftoverPostmaster {

    private static final Logger log = LoggerFactory.getLogger(LeftoverPostmaster.class);

    private LeftoverPostmaster() {
    }

    /**
     * Stops the postmaster recorded in the data directory, if it still runs. Call only while
     * holding the {@link DataDirectoryLock}: then no live Palisade owns that server.
     */
    static void stop(Path pgData, Duration timeout) throws IOException {
        Optional<ProcessHandle> postmaster = running(pgData);
        if (postmaster.isEmpty()) {
            return;
        }
        ProcessHandle server = postmaster.get();
        log.warn("Stopping PostgreSQL (pid {}) left running by an earlier Palisade that did not shut down", server.pid());
        server.destroy(); // SIGTERM: its clients died with the old JVM, so it shuts down promptly
        try {
            server.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Leftover PostgreSQL (pid " + server.pid() + ") did not stop within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The postmaster named in postmaster.pid, if that process still runs and is a postgres. */
    static Optional<ProcessHandle> running(Path pgData) throws IOException {
        Path pidFile = pgData.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return Optional.empty();
        }
        List<String> lines = Files.readAllLines(pidFile);
        if (lines.isEmpty() || !lines.get(0).trim().matches("\\d+")) {
            return Optional.empty();
        }
        return ProcessHandle.of(Long.parseLong(lines.get(0).trim()))
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(false));
    }
}
