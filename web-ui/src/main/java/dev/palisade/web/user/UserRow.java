package dev.palisade.web.user;

import dev.palisade.model.user.Role;
import java.time.Instant;

/** A line of the users list: a user with their tenant; pages name a user by {@code publicId}, never {@code id}. */
public record UserRow(long id, String username, Role role, String tenant, Instant createdAt, java.util.UUID publicId) {
}
