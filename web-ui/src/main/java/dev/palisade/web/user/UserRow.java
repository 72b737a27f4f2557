package dev.palisade.web.user;

import dev.palisade.model.user.Role;
import java.time.Instant;

/** A line of the users list: a user with their tenant. */
public record UserRow(long id, String username, Role role, String tenant, Instant createdAt) {
}
