/**
 * The portal's Databases page: a tenant's PostgreSQL databases by name, size bound, use and state
 * (writable, or read-only past the bound), the secret holding each one's connection string and
 * how to wire a service to it; created and deleted by its admins through
 * {@link dev.palisade.web.database.DatabaseActions}, which the platform application implements with
 * the REST API's own operations.
 */
package dev.palisade.web.database;
