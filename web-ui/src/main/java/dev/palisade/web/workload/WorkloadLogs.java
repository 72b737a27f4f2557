package dev.palisade.web.workload;

import dev.palisade.web.support.CurrentUser;
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

    /** The whole log as text so far (for a download), each line with its time and stream. */
    String text(UUID id) {
        return following.text(id, true);
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

}
