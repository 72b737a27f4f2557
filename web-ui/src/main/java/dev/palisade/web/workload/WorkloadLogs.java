package dev.palisade.web.workload;

import dev.palisade.web.support.CurrentUser;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.springframework.context.MessageSource;
import org.springframework.context.i18n.LocaleContextHolder;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * A workload's log for the pages, read from the platform's log store (the {@code workload_log}
 * table: stdout and stderr interleaved, in chunks, written by whichever node runs it). Following
 * goes through the platform's {@link LogFollowing}: lines as {@code log} events, {@code state}
 * with the workload's state when it changes (name and label, for the badge), {@code end} when
 * the workload finished and everything it wrote was sent.
 */
@Component
class WorkloadLogs {

    private final NamedParameterJdbcTemplate jdbc;
    private final MessageSource messages;
    private final LogFollowing following;

    WorkloadLogs(NamedParameterJdbcTemplate jdbc, MessageSource messages, LogFollowing following) {
        this.jdbc = jdbc;
        this.messages = messages;
        this.following = following;
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

    /** Follows the log live for a page: log lines, the state badge's changes, the end. */
    SseEmitter follow(UUID id, CurrentUser me, String lastEventId) {
        Locale locale = LocaleContextHolder.getLocale();
        return following.follow(id, new LogFollowing.Follower(me.id(), me.tenantId()), lastEventId,
                state -> state + " " + messages.getMessage("state." + state, null, state, locale));
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
