/**
 * The platform's embedded PostgreSQL: with no {@code spring.datasource.url} configured, the
 * platform runs a real PostgreSQL server of its own whose data stays in the data directory, so
 * that a restart loses nothing. Nobody reaches it without the password kept in a file that only
 * the platform's account can read, and a lock on the data directory tells a server left by a
 * killed platform, which is stopped, from one in use. {@link EmbeddedCluster} runs further servers
 * the same way (the tenants' databases).
 */
package dev.palisade.platform.db;
