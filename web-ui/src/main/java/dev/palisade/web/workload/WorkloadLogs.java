package dev.palisade.web.workload;

import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.Locale;
import org.springframework.context.MessageSource;
import org.springframework.context.i18n.LocaleContextHolder;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * A workload's log for the pages, read from the platform's log store (the {@code workload_log}
 * table: stdout and stderr interleaved, in chunks, written by whichever node runs it). Following
 * a log polls that table from a small shared pool, so an open page holds no request thread and
 * any app instance can serve any log. Lines are sent as server-sent events named {@code log};
 * {@code state} carries the workload's state when it changes (name and label, for the badge);
 * {@code end} says the workload finished and everything it wrote was sent.
 */
@Component
class WorkloadLogs {

    static final long POLL_MILLIS = 250;
    static final int CHUNKS_PER_POLL = 256;
    static final long FOLLOW_FOR_MILLIS = 60 * 60 * 1000L;

    private final NamedParameterJdbcTemplate jdbc;
    private final MessageSource messages;
    private final ScheduledExecutorService poller;

    WorkloadLogs(NamedParameterJdbcTemplate jdbc, MessageSource messages) {
        this.jdbc = jdbc;
        this.messages = messages;
        AtomicInteger n = new AtomicInteger();
        this.poller = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "console-log-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @PreDestroy
    void stop() {
        poller.shutdownNow();
    }

    /** The whole log as text so far (for a download), with invalid UTF-8 replaced. */
    String text(UUID id) {
        List<byte[]> chunks = jdbc.query("select data from workload_log where workload_id = :id order by seq",
                new MapSqlParameterSource("id", id), (rs, n) -> rs.getBytes(1));
        Decoder decoder = new Decoder();
        StringBuilder out = new StringBuilder();
        chunks.forEach(c -> out.append(decoder.decode(c, false)));
        return out.append(decoder.decode(new byte[0], true)).toString();
    }

    Optional<byte[]> artifacts(UUID id) {
        return jdbc.query("select data from workload_file where workload_id = :id and kind = 'artifacts'",
                new MapSqlParameterSource("id", id), (rs, n) -> rs.getBytes(1)).stream().findFirst();
    }

    SseEmitter follow(UUID id) {
        SseEmitter emitter = new SseEmitter(FOLLOW_FOR_MILLIS);
        Follower follower = new Follower(id, emitter, LocaleContextHolder.getLocale());
        ScheduledFuture<?> task = poller.scheduleWithFixedDelay(follower, 0, POLL_MILLIS, TimeUnit.MILLISECONDS);
        follower.task = task;
        emitter.onCompletion(() -> task.cancel(false));
        emitter.onTimeout(() -> task.cancel(false));
        emitter.onError(e -> task.cancel(false));
        return emitter;
    }

    private final class Follower implements Runnable {

        private final UUID id;
        private final SseEmitter emitter;
        private final Locale locale;
        private String lastState;
        private final Decoder decoder = new Decoder();
        private final StringBuilder partial = new StringBuilder();
        private int lastSeq = -1;
        private volatile ScheduledFuture<?> task;
        private boolean done;

        Follower(UUID id, SseEmitter emitter, Locale locale) {
            this.id = id;
            this.emitter = emitter;
            this.locale = locale;
        }

        @Override
        public void run() {
            if (done) {
                return;
            }
            try {
                // the state first: whatever was written before it ended is in the chunks read after
                String state = jdbc.query("select state from workload where id = :id",
                        new MapSqlParameterSource("id", id), (rs, n) -> rs.getString(1)).stream().findFirst()
                        .orElse("GONE");
                if (!state.equals(lastState)) {
                    lastState = state;
                    send("state", state + " " + messages.getMessage("state." + state, null, state, locale));
                }
                List<Object[]> chunks = jdbc.query("""
                        select seq, data from workload_log where workload_id = :id and seq > :seq order by seq limit :n
                        """, new MapSqlParameterSource("id", id).addValue("seq", lastSeq).addValue("n", CHUNKS_PER_POLL),
                        (rs, n) -> new Object[] {rs.getInt(1), rs.getBytes(2)});
                for (Object[] chunk : chunks) {
                    lastSeq = (Integer) chunk[0];
                    partial.append(decoder.decode((byte[]) chunk[1], false));
                    sendCompleteLines();
                }
                boolean ended = !state.equals("QUEUED") && !state.equals("RUNNING");
                if (ended && chunks.size() < CHUNKS_PER_POLL) {
                    partial.append(decoder.decode(new byte[0], true));
                    if (partial.length() > 0) {
                        send("log", partial.toString());
                        partial.setLength(0);
                    }
                    send("end", state);
                    finish();
                    emitter.complete();
                }
            } catch (IOException | IllegalStateException gone) {
                // the page was closed
                finish();
            } catch (RuntimeException e) {
                finish();
                emitter.completeWithError(e);
            }
        }

        private void sendCompleteLines() throws IOException {
            int start = 0;
            for (int i = 0; i < partial.length(); i++) {
                if (partial.charAt(i) == '\n') {
                    send("log", partial.substring(start, i));
                    start = i + 1;
                }
            }
            partial.delete(0, start);
        }

        private void send(String event, String data) throws IOException {
            // a carriage return would end the SSE line early; the page shows text, not a terminal
            emitter.send(SseEmitter.event().name(event).data(data.replace("\r", "")));
        }

        private void finish() {
            done = true;
            ScheduledFuture<?> t = task;
            if (t != null) {
                t.cancel(false);
            }
        }
    }

    /** UTF-8 across chunk boundaries: a character split between two chunks is decoded whole. */
    private static final class Decoder {
        private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        private byte[] carry = new byte[0];

        String decode(byte[] bytes, boolean last) {
            ByteBuffer in = ByteBuffer.allocate(carry.length + bytes.length).put(carry).put(bytes).flip();
            CharBuffer out = CharBuffer.allocate(in.remaining() + 16);
            utf8.decode(in, out, last);
            if (last) {
                utf8.flush(out);
            }
            carry = new byte[in.remaining()];
            in.get(carry);
            return out.flip().toString();
        }
    }
}
