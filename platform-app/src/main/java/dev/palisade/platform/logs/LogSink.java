package dev.palisade.platform.logs;

import dev.palisade.platform.dispatch.WorkloadStore;
import dev.palisade.platform.logs.LogLines.Stream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One running workload's log: the lines of stdout and stderr (each stream's assembled apart, so
 * that a line is one stream's) in the order they end, each with its time and stream
 * ({@link LogLines}), kept in the database in chunks of whole lines (so any instance can serve or
 * follow it) within a cap. A job's log keeps its head and its tail: the first half of the cap
 * as it was written, then the newest lines within the other half, with a marker where lines
 * were dropped between saying how many. A service's log is a ring: it keeps the newest chunks
 * within the cap, and begins with a marker saying that older lines were dropped. Flushed when a
 * chunk fills, on the dispatcher's tick, and at the end.
 */
public final class LogSink {

    static final int CHUNK = 64 * 1024;
    /** A line longer than this is stored in pieces, so a program printing no newline costs bounded memory. */
    static final int MAX_LINE = 64 * 1024;
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
    private final boolean ring;
    /** A job's head: what it keeps of the first lines; the rest of the cap is its tail (a ring). */
    private final long headCap;
    private final long ringCap;
    private final int chunkSize;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final ByteArrayOutputStream index = new ByteArrayOutputStream();
    /** Each stream's line not yet ended, and when its first byte came. */
    private final Map<Stream, ByteArrayOutputStream> partial = new EnumMap<>(Stream.class);
    private final Map<Stream, Long> partialSince = new EnumMap<>(Stream.class);
    /** The ring's stored chunks, oldest first: number, bytes, lines. */
    private final ArrayDeque<long[]> stored = new ArrayDeque<>();
    private int lines;
    private long headBytes;
    /** A job whose head is full: what comes now is its tail, from the chunk after {@code headLast}. */
    private boolean inTail;
    private int headLast;
    private long kept;
    private long droppedBytes;
    private long droppedLines;
    private boolean truncated;
    private int seq;

    /** A job's log: its first and last lines within {@code cap} bytes. */
    public LogSink(WorkloadStore store, UUID workload, long cap) {
        this(store, workload, cap, false);
    }

    private LogSink(WorkloadStore store, UUID workload, long cap, boolean ring) {
        this.store = store;
        this.workload = workload;
        this.cap = cap;
        this.ring = ring;
        this.headCap = ring ? 0 : cap / 2;
        this.ringCap = cap - headCap;
        // a small cap's tail still keeps several chunks, so that it is not one chunk or none
        this.chunkSize = ring ? CHUNK : (int) Math.max(16, Math.min(CHUNK, ringCap / 4));
    }

    /** A service's log: its newest {@code cap} bytes (at least one chunk), however long it runs. */
    public static LogSink ring(WorkloadStore store, UUID workload, long cap) {
        return new LogSink(store, workload, Math.max(cap, CHUNK), true);
    }

    /** Copies a stream of the program into the log on a pooled thread, until the stream ends. */
    public Future<?> pumpInBackground(Stream stream, InputStream in) {
        return PUMPS.submit(() -> pump(stream, in));
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

    /** Copies a stream of the program into the log until it ends; its last line, unended, is ended then. */
    public void pump(Stream stream, InputStream in) {
        byte[] b = new byte[8192];
        try {
            for (int n; (n = in.read(b)) >= 0; ) {
                append(stream, b, n);
            }
        } catch (IOException closed) {
            // the sandbox ended and closed its end
        } finally {
            ended(stream);
        }
    }

    /** A line of the platform's own (a restart, a wake), in the log at once. */
    public synchronized void note(String text) {
        byte[] b = (text.endsWith("\n") ? text : text + "\n").getBytes(StandardCharsets.UTF_8);
        line(Stream.PLATFORM, System.currentTimeMillis(), b, 0, b.length);
        flush();
    }

    synchronized void append(Stream stream, byte[] b, int n) {
        ByteArrayOutputStream p = partial.computeIfAbsent(stream, s -> new ByteArrayOutputStream());
        long now = System.currentTimeMillis();
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (b[i] == '\n' || p.size() + i - start >= MAX_LINE) {
                int end = b[i] == '\n' ? i + 1 : i;
                long since = p.size() > 0 ? partialSince.get(stream) : now;
                if (p.size() == 0) {
                    line(stream, since, b, start, end - start);
                } else {
                    p.write(b, start, end - start);
                    byte[] whole = p.toByteArray();
                    p.reset();
                    line(stream, since, whole, 0, whole.length);
                }
                start = end;
            }
        }
        if (start < n) {
            if (p.size() == 0) {
                partialSince.put(stream, now);
            }
            p.write(b, start, n - start);
        }
    }

    /** A stream ended: its unended last line is a line now. */
    synchronized void ended(Stream stream) {
        ByteArrayOutputStream p = partial.get(stream);
        if (p != null && p.size() > 0) {
            p.write('\n');
            byte[] whole = p.toByteArray();
            p.reset();
            line(stream, partialSince.get(stream), whole, 0, whole.length);
        }
    }

    private void line(Stream stream, long millis, byte[] b, int off, int len) {
        if (!ring && !inTail) {
            if (headBytes + len <= headCap) {
                put(stream, millis, b, off, len);
                headBytes += len;
                if (buffer.size() >= chunkSize) {
                    flush();
                }
                return;
            }
            // the head is full: kept as it is, and what comes now is the tail
            flush();
            inTail = true;
            headLast = seq;
        }
        put(stream, millis, b, off, len);
        if (buffer.size() >= chunkSize) {
            flush();
        }
    }

    private void put(Stream stream, long millis, byte[] b, int off, int len) {
        LogLines.add(index, buffer.size(), millis, stream);
        buffer.write(b, off, len);
        lines++;
    }

    /** Writes what is buffered as the next chunk. */
    public synchronized void flush() {
        if (buffer.size() == 0) {
            return;
        }
        byte[] chunk = buffer.toByteArray();
        byte[] chunkLines = index.toByteArray();
        int count = lines;
        buffer.reset();
        index.reset();
        lines = 0;
        seq++;
        if (!ring && !inTail) {
            store.appendLog(workload, seq, chunk, chunkLines, headBytes);
            return;
        }
        kept += chunk.length;
        stored.addLast(new long[] {seq, chunk.length, count});
        long droppedThrough = 0;
        while (kept > ringCap && stored.size() > 1) {
            long[] oldest = stored.removeFirst();
            kept -= oldest[1];
            droppedBytes += oldest[1];
            droppedLines += oldest[2];
            droppedThrough = oldest[0];
        }
        store.appendLog(workload, seq, chunk, chunkLines, headBytes + kept);
        if (droppedThrough > 0) {
            truncated = true;
            String marker = ring
                    ? "[palisade: older lines dropped; this log keeps the newest " + cap + " bytes]\n"
                    : "[palisade: " + droppedLines + " lines (" + droppedBytes + " bytes) dropped here; this log keeps "
                            + "the first " + headCap + " and the last " + ringCap + " bytes]\n";
            ByteArrayOutputStream markerLines = new ByteArrayOutputStream();
            LogLines.add(markerLines, 0, System.currentTimeMillis(), Stream.PLATFORM);
            store.dropLog(workload, ring ? 0 : headLast + 1, (int) droppedThrough,
                    marker.getBytes(StandardCharsets.UTF_8), markerLines.toByteArray());
        }
    }

    /** Whether lines were dropped: a job's between its head and tail, a service's oldest. */
    public synchronized boolean truncated() {
        return truncated;
    }
}
