/**
 * The portal's API tokens page: the signed-in user's own tokens, minted with a name, a lifetime
 * in days and a scope, and revoked. A new token's secret is shown once, on the page after the
 * redirect, and never again.
 */
package dev.palisade.web.token;
