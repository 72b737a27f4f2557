/**
 * Cron jobs: a tenant's workload spec started at every firing of a cron expression in a time
 * zone, with Kubernetes CronJob's concurrency policy, starting deadline and suspension. The
 * firings come from db-scheduler over PostgreSQL, which hands each one to exactly one instance;
 * a firing submits an ordinary workload (admission, quota, logs) and records what it did.
 */
package dev.palisade.platform.cron;
