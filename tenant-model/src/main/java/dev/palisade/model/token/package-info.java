/**
 * API tokens: each acts for one user, limited by a {@link TokenScope} ({@code FULL}, or
 * {@code DEPLOY} for CI pipelines). {@link TokenService} mints, checks and revokes them; only a
 * token's SHA-256 is stored, and its secret exists only in the {@link MintedToken} shown once.
 * A valid token resolves to a {@link TokenOwner}: its owner's role and tenant and what it may do.
 */
package dev.palisade.model.token;
