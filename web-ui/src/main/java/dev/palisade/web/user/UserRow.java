package dev.palisade.web.user;

import dev.palisade.model.user.Role;
import java.time.Instant;

/** A line of the users list: a user with their tenant, and whether failed logins locked them. */
public record UserRow(long id, String username, Role role, String tenant, Instant createdAt, boolean locked) {
}
