package dev.palisade.model.tenant;

public enum TenantStatus {
    ACTIVE,
    /** Every user and token of the tenant is refused until it is active again. */
    SUSPENDED
}
