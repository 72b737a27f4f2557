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

    /** The name that logs this user in and names them in a session: {@code name@tenant}, or a platform admin's name. */
    public String loginName() {
        return tenantSlug == null ? username : username + "@" + tenantSlug;
    }

    static LoginUser of(User u) {
        var t = u.getTenant();
        return new LoginUser(u.getId(), u.getUsername(), u.getPasswordHash(), u.getRole(),
                t == null ? null : t.getId(), t == null ? null : t.getSlug(),
                t == null || t.isActive());
    }
}
