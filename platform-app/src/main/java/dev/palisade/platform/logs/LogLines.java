package dev.palisade.platform.logs;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The index of the lines that begin in one chunk of a log: where each begins, when it was
 * written and by which stream, stored beside the chunk's bytes ({@code workload_log.lines}).
 */
public final class LogLines {

    /** Who wrote a line: the program's stdout or stderr, or the platform (restarts, markers). */
    public enum Stream {
        STDOUT('o'), STDERR('e'), PLATFORM('p');

        private final char code;

        Stream(char code) {
            this.code = code;
        }

        static Stream of(byte code) {
            return switch (code) {
                case 'e' -> STDERR;
                case 'p' -> PLATFORM;
                default -> STDOUT;
            };
        }

        /** As logs show it: stdout, stderr, palisade. */
        public String label() {
            return this == PLATFORM ? "palisade" : name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** One line: its offset in the chunk, its time (epoch milliseconds) and stream. */
    public record Line(int offset, long millis, Stream stream) {

        public Instant time() {
            return Instant.ofEpochMilli(millis);
        }
    }

    private static final int ENTRY = 13;

    private LogLines() {
    }

    /** Appends one entry to an index being built. */
    static void add(ByteArrayOutputStream index, int offset, long millis, Stream stream) {
        index.writeBytes(ByteBuffer.allocate(ENTRY).putInt(offset).putLong(millis).put((byte) stream.code).array());
    }

    /** The entries of a stored index; none for null or a malformed one (a chunk from before). */
    public static List<Line> read(byte[] index) {
        if (index == null || index.length % ENTRY != 0) {
            return List.of();
        }
        List<Line> lines = new ArrayList<>(index.length / ENTRY);
        ByteBuffer b = ByteBuffer.wrap(index);
        while (b.remaining() >= ENTRY) {
            lines.add(new Line(b.getInt(), b.getLong(), Stream.of(b.get())));
        }
        return lines;
    }

    /**
     * A log as text, in order: the chunks' bytes, each line after its time and stream when asked
     * ({@code 2026-12-06T09:30:01.123Z stderr …}) and known; invalid UTF-8 replaced.
     */
    public static String render(List<dev.palisade.platform.dispatch.WorkloadStore.LogChunk> chunks, boolean timestamps) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (var c : chunks) {
            List<Line> lines = timestamps ? read(c.lines()) : List.of();
            byte[] data = c.data();
            int from = 0;
            for (int k = 0; k < lines.size(); k++) {
                Line l = lines.get(k);
                int start = Math.min(Math.max(l.offset(), from), data.length);
                int end = k + 1 < lines.size() ? Math.min(Math.max(lines.get(k + 1).offset(), start), data.length)
                        : data.length;
                out.write(data, from, start - from);
                out.writeBytes((l.time() + " " + l.stream().label() + " ").getBytes(StandardCharsets.UTF_8));
                out.write(data, start, end - start);
                from = end;
            }
            out.write(data, from, data.length - from);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The line that holds byte {@code offset} of the chunk: the last beginning at or before it; null when none. */
    public static Line at(List<Line> lines, int offset) {
        Line found = null;
        for (Line l : lines) {
            if (l.offset() > offset) {
                break;
            }
            found = l;
        }
        return found;
    }
}
