/**
 * The caller's own API tokens in REST API v1 ({@code /api/v1/tokens}): minted always for the
 * caller, whatever the body says, listed and revoked; another user's token answers 404.
 */
package dev.palisade.platform.api.token;
