/**
 * Retention: how long a tenant keeps its finished workloads (their logs, inputs and artifacts go
 * with them), and the scheduled purge that deletes what is older, so that PostgreSQL does not
 * grow for ever. Each tenant has its days ({@code tenant_retention}, else
 * {@code palisade.retention.default-days}); a db-scheduler recurring task runs the purge on one
 * instance at a time, in batches. The newest deployment of each service is kept whatever its
 * age (a stopped service can be started again from it), and a month's usage stays as it was.
 */
package dev.palisade.platform.retention;
