package dev.palisade.model.token;

import dev.palisade.model.user.Role;

/**
 * Who a valid token acts for: its owner with role and tenant (tenant null for a platform admin),
 * and what the token may do of that.
 */
public record TokenOwner(long tokenId, long userId, String username, Role role, Long tenantId, String tenantSlug,
        TokenScope scope) {
}
