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
 * kept in the database in chunks (so any instance can serve or follow it), within a cap. A job's
 * log keeps its first bytes up to the cap, and a visible marker says how much was kept (the job
 * ends there). A service's log is a ring: it keeps the newest chunks within the cap, the oldest
 * dropped as new ones come, and begins with a marker saying that older lines were dropped.
 * Flushed when a chunk fills, on the dispatcher's tick, and at the end.
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
    private final boolean ring;
    /** A ring's stored chunks, oldest first: their numbers and sizes. */
    private final java.util.ArrayDeque<long[]> stored = new java.util.ArrayDeque<>();
    private long accepted;
    private long kept;
    private boolean truncated;
    private int seq;

    /** A job's log: its first {@code cap} bytes. */
    public LogSink(WorkloadStore store, UUID workload, long cap) {
        this(store, workload, cap, false);
    }

    private LogSink(WorkloadStore store, UUID workload, long cap, boolean ring) {
        this.store = store;
        this.workload = workload;
        this.cap = cap;
        this.ring = ring;
    }

    /** A service's log: its newest {@code cap} bytes (at least one chunk), however long it runs. */
    public static LogSink ring(WorkloadStore store, UUID workload, long cap) {
        return new LogSink(store, workload, Math.max(cap, CHUNK), true);
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
        if (ring) {
            buffer.write(b, 0, n);
            accepted += n;
            if (buffer.size() >= CHUNK) {
                flush();
            }
            return;
        }
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
        if (!ring) {
            store.appendLog(workload, ++seq, chunk, accepted);
            return;
        }
        kept += chunk.length;
        stored.addLast(new long[] {++seq, chunk.length});
        long droppedThrough = 0;
        while (kept > cap && stored.size() > 1) {
            long[] oldest = stored.removeFirst();
            kept -= oldest[1];
            droppedThrough = oldest[0];
        }
        store.appendLog(workload, seq, chunk, kept);
        if (droppedThrough > 0) {
            truncated = true;
            store.dropLogBefore(workload, (int) droppedThrough + 1, ("[palisade: older lines dropped; this log keeps "
                    + "the newest " + cap + " bytes]\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    public synchronized boolean truncated() {
        return truncated;
    }
}
