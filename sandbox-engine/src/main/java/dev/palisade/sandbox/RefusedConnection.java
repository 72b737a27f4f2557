package dev.palisade.sandbox;

import java.time.Instant;

/**
 * A connection the sandbox's network policy refused: a security event.
 *
 * @param at          when the kernel refused it
 * @param protocol    {@code tcp}, {@code udp}, {@code icmp}, … as the kernel logged it
 * @param destination the address the program tried to reach
 * @param port        its destination port, 0 when the protocol has none
 * @param reason      {@code policy} (a destination the policy refuses) or {@code limit} (past the
 *                    sandbox's connection bounds)
 */
public record RefusedConnection(Instant at, String protocol, String destination, int port, String reason) {

    /** One line for logs and events: {@code tcp 169.254.169.254:80 (policy)}. */
    public String describe() {
        return protocol + " " + destination + (port > 0 ? ":" + port : "") + " (" + reason + ")";
    }
}
