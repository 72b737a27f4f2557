/**
 * The storage quota as what occupies bytes for a while (a tenant's images, its volumes) checks
 * it: under the same per-tenant lock that admission takes, so that uploads, volumes and submits
 * of one tenant see each other's bytes.
 */
package dev.palisade.platform.storage;
