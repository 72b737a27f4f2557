package dev.palisade.platform.logs;

import dev.palisade.platform.dispatch.WorkloadStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One running workload's log: stdout and stderr appended in the order the program writes them,
 * kept in the database in chunks (so any instance can serve or follow it), up to a cap after
 * which a visible marker says how much was kept. Flushed when a chunk fills, on the
 * dispatcher's tick, and at the end.
 */
public final class LogSink {

    static final int CHUNK = 64 * 1024;
    /**
     * The threads copying the programs' stdout and stderr into their logs, reused from run to run:
     * two new threads per workload were a visible share of a worker's CPU at dozens of runs a second.
     */
    private static final ExecutorService PUMPS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "palisade-log-pump");
        t.setDaemon(true);
        return t;
    });

    private final WorkloadStore store;
    private final UUID workload;
    private final long cap;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private long accepted;
    private boolean truncated;
    private int seq;

    public LogSink(WorkloadStore store, UUID workload, long cap) {
        this.store = store;
        this.workload = workload;
        this.cap = cap;
    }

    /** Copies a stream of the program into the log on a pooled thread, until the stream ends. */
    public Future<?> pumpInBackground(InputStream in) {
        return PUMPS.submit(() -> pump(in));
    }

    /**
     * Waits up to {@code millis} for a background pump to reach its stream's end (a grandchild of
     * the program may hold it open longer: the log keeps what was read, the pump ends when the
     * stream closes).
     */
    public static void awaitPump(Future<?> pump, long millis) throws InterruptedException {
        try {
            pump.get(millis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // see above
        }
    }

    /** Copies a stream of the program into the log until it ends. */
    public void pump(InputStream in) {
        byte[] b = new byte[8192];
        try {
            for (int n; (n = in.read(b)) >= 0; ) {
                append(b, n);
            }
        } catch (IOException closed) {
            // the sandbox ended and closed its end
        }
    }

    synchronized void append(byte[] b, int n) {
        if (truncated) {
            return;
        }
        int keep = (int) Math.min(n, cap - accepted);
        buffer.write(b, 0, keep);
        accepted += keep;
        if (keep < n) {
            truncated = true;
            buffer.writeBytes(("\n[palisade: output truncated after " + cap + " bytes]\n").getBytes(StandardCharsets.UTF_8));
        }
        if (buffer.size() >= CHUNK) {
            flush();
        }
    }

    /** Writes what is buffered as the next chunk. */
    public synchronized void flush() {
        if (buffer.size() == 0) {
            return;
        }
        byte[] chunk = buffer.toByteArray();
        buffer.reset();
        store.appendLog(workload, ++seq, chunk, accepted);
    }

    public synchronized boolean truncated() {
        return truncated;
    }
}
