package dev.palisade.model.user;

public enum Role {
    /** Runs the platform; belongs to no tenant and sees every tenant. */
    PLATFORM_ADMIN,
    /** Manages the members of one tenant. */
    TENANT_ADMIN,
    /** Uses one tenant: reads its quota, manages only its own tokens. */
    TENANT_MEMBER;

    public boolean isTenantRole() {
        return this != PLATFORM_ADMIN;
    }
}
