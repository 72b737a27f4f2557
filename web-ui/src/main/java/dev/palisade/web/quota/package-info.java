/**
 * The console's quota page: a platform admin edits a tenant's quota in seconds and MiB, which are
 * stored in milliseconds and bytes.
 */
package dev.palisade.web.quota;
