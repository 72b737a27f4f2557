package dev.palisade.platform.logs;

import dev.palisade.platform.dispatch.WorkloadStore.LogChunk;
import dev.palisade.web.workload.LogFollowing.Follower;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * One open stream: where it is in the log, and the start of a line not yet ended. Only its
 * channel's delivery touches the position, one delivery at a time.
 *
 * <p>An event's id is {@code seq:offset}: everything up to byte {@code offset} of chunk
 * {@code seq} was sent, followed, for a line stored with them, by {@code :millis:stream} (its
 * time in epoch milliseconds, and stdout, stderr or palisade), which the console shows. Lines
 * are cut at newline bytes (never inside a UTF-8 character), so a resumed stream starts exactly
 * after the last line the client has.
 */
final class LogFollower {

    /** A line longer than this is sent in pieces, so a program printing no newline costs bounded memory. */
    static final int MAX_LINE = 64 * 1024;

    final Follower who;
    private final SseEmitter emitter;
    private final Function<String, String> stateLabel;
    private final AtomicBoolean gone = new AtomicBoolean();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    /** Every chunk up to this one was read. */
    private int after;
    /** The chunk a resumed stream starts inside, and how many of its bytes the client has. */
    private final int resumeSeq;
    private final int resumeOffset;
    private int lastLength;
    private String state;
    /** The time and stream of the line being assembled, when its chunk said. */
    private LogLines.Line lineMeta;

    LogFollower(Follower who, SseEmitter emitter, String lastEventId, Function<String, String> stateLabel) {
        this.who = who;
        this.emitter = emitter;
        this.stateLabel = stateLabel;
        int[] position = position(lastEventId);
        this.resumeSeq = position[0];
        this.resumeOffset = position[1];
        this.after = Math.max(0, resumeSeq - 1);
    }

    /** {@code seq:offset} as sent in an event's id; anything else starts from the beginning. */
    static int[] position(String eventId) {
        if (eventId != null) {
            String[] parts = eventId.split(":", -1);
            try {
                int seq = Integer.parseInt(parts[0]);
                int offset = Integer.parseInt(parts[1]);
                if (seq > 0 && offset >= 0) {
                    return new int[] {seq, offset};
                }
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException malformed) {
                // from the start
            }
        }
        return new int[] {0, 0};
    }

    int after() {
        return after;
    }

    /** Marks the stream gone; true the first time only. */
    boolean leave() {
        return gone.compareAndSet(false, true);
    }

    boolean gone() {
        return gone.get();
    }

    void state(String now) throws IOException {
        if (stateLabel != null && !now.equals(state)) {
            state = now;
            send(SseEmitter.event().name("state").data(stateLabel.apply(now), MediaType.TEXT_PLAIN));
        }
    }

    /**
     * Sends the lines of {@code chunks}, every chunk numbered above {@code readAfter} that the
     * store held when they were read, in order.
     */
    void deliver(List<LogChunk> chunks, int readAfter) throws IOException {
        for (LogChunk c : chunks) {
            boolean next = c.seq() == after + 1;
            // a gap in a read that covered this follower: a service's log ring dropped the chunks between
            boolean dropped = c.seq() > after + 1 && after >= readAfter;
            if (!next && !dropped) {
                continue; // read before this follower joined, or from a retried attempt's fresh log
            }
            if (dropped && line.size() > 0) {
                sendLine(after, lastLength);   // the unfinished line ends here; the ring's marker follows
            }
            byte[] data = c.data();
            java.util.List<LogLines.Line> meta = LogLines.read(c.lines());
            int start = c.seq() == resumeSeq ? Math.min(resumeOffset, data.length) : 0;
            if (line.size() == 0) {
                lineMeta = LogLines.at(meta, start);
            }
            for (int i = start; i < data.length; i++) {
                if (data[i] == '\n') {
                    line.write(data, start, i - start);
                    sendLine(c.seq(), i + 1);
                    start = i + 1;
                    lineMeta = LogLines.at(meta, start);
                } else if (line.size() + i - start >= MAX_LINE) {
                    line.write(data, start, i - start);
                    sendLine(c.seq(), i);
                    start = i;
                    lineMeta = LogLines.at(meta, start);
                }
            }
            line.write(data, start, data.length - start);
            after = c.seq();
            lastLength = data.length;
        }
    }

    /** The workload ended and every chunk was delivered: the unfinished line, then {@code end}. */
    void end(String finalState) throws IOException {
        if (line.size() > 0) {
            sendLine(after, lastLength);
        }
        send(SseEmitter.event().name("end").data(finalState, MediaType.TEXT_PLAIN));
        emitter.complete();
    }

    void heartbeat() throws IOException {
        send(SseEmitter.event().comment(""));
    }

    void close() {
        emitter.complete();
    }

    private void sendLine(int seq, int offset) throws IOException {
        // a carriage return would end the SSE line early; the log is text, not a terminal
        String text = line.toString(StandardCharsets.UTF_8).replace("\r", "");
        line.reset();
        LogLines.Line m = lineMeta;
        String id = seq + ":" + offset + (m == null ? "" : ":" + m.millis() + ":" + m.stream().label());
        send(SseEmitter.event().id(id).name("log").data(text, MediaType.TEXT_PLAIN));
    }

    private void send(SseEmitter.SseEventBuilder event) throws IOException {
        if (gone.get()) {
            throw new IOException("stream closed");
        }
        emitter.send(event);
    }
}
