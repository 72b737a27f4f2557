package dev.palisade.web.workload;

import java.time.Duration;
import java.util.UUID;
import java.util.function.Function;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Following a workload's log live, as server-sent events: the platform application implements
 * it (one fan-out per node); the pages and the API only depend on this. Each line is a
 * {@code log} event whose id resumes the stream after it ({@code Last-Event-ID}); {@code state}
 * events (when asked for) carry the workload's state; {@code end} closes the stream when the
 * workload has ended and everything it wrote was sent.
 */
public interface LogFollowing {

    /**
     * Who follows: the caps count per user, per tenant (null for a platform admin looking at a
     * tenant's workload, so that a tenant cannot use up the admin's share) and per node.
     */
    record Follower(long userId, Long tenantId) {
    }

    /**
     * Starts following. {@code lastEventId} is the id of the last event the client has (null
     * from the start); {@code stateLabel} turns a state into the label the page shows, null for
     * no {@code state} events.
     *
     * @throws TooManyFollowers when a cap is reached
     */
    SseEmitter follow(UUID workload, Follower follower, String lastEventId, Function<String, String> stateLabel);

    /**
     * The whole log so far as text, invalid UTF-8 replaced; with {@code timestamps} each line
     * begins with its time (ISO-8601, UTC) and stream (stdout, stderr, palisade) where known.
     */
    String text(UUID workload, boolean timestamps);

    /** A cap on open followers was reached: 429 with Retry-After. */
    final class TooManyFollowers extends ErrorResponseException {
        public TooManyFollowers(String which, Duration retryAfter) {
            super(HttpStatus.TOO_MANY_REQUESTS,
                    problem("Too many log followers open " + which + "; close one or retry later"), null);
            getHeaders().set(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, retryAfter.toSeconds())));
        }

        private static ProblemDetail problem(String detail) {
            return ProblemDetail.forStatusAndDetail(HttpStatus.TOO_MANY_REQUESTS, detail);
        }
    }
}
