/**
 * Per-tenant secrets (issue 20): named values sealed at rest with AES-256-GCM
 * ({@link dev.palisade.platform.secret.SecretKeys}), write-only through the API and the portal
 * (only a name, a version and when it changed ever come back), given to jobs and services as
 * environment variables or as files under {@code /run/secrets}
 * ({@link dev.palisade.platform.secret.SecretFiles}), every read by the platform audited
 * ({@code secret.read}). The key comes from configuration ({@code palisade.secrets.key}) or, by
 * default, from a key file made {@code 0600} in the data directory; rotation re-seals every
 * value under the new key.
 */
package dev.palisade.platform.secret;
