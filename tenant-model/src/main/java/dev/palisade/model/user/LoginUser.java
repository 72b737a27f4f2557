package dev.palisade.model.user;

/** What authentication needs to know about a user, read in one query. */
public record LoginUser(
        long id,
        String username,
        String passwordHash,
        Role role,
        Long tenantId,
        String tenantSlug,
        boolean tenantActive) {

    static LoginUser of(User u) {
        var t = u.getTenant();
        return new LoginUser(u.getId(), u.getUsername(), u.getPasswordHash(), u.getRole(),
                t == null ? null : t.getId(), t == null ? null : t.getSlug(),
                t == null || t.isActive());
    }
}
