/**
 * The portal's Secrets page: a tenant's secrets by name, version and when they changed (never a
 * value), set and deleted by its admins through {@link dev.palisade.web.secret.SecretActions},
 * which the platform application implements with the REST API's own operations.
 */
package dev.palisade.web.secret;
