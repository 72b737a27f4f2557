package dev.palisade.model.token;

/**
 * What a token may do within its owner's rights: {@code FULL}, everything the owner may;
 * {@code DEPLOY}, only deploy and read services and images (and read workloads and their logs),
 * for CI pipelines: never members, quotas, tokens, secrets or anything of another tenant.
 */
public enum TokenScope {
    FULL,
    DEPLOY
}
