package dev.palisade.model.service;

/**
 * How a deployment is doing, beside its workload's state (RUNNING while the platform keeps it).
 * PENDING (queued) → STARTING (sandbox up, not yet answering) → HEALTHY (answers; the ingress
 * routes to it) → BACKOFF (its program ended, restart pending) → STARTING …; CRASH_LOOP when it
 * kept ending soon after each start (restarts go on, further apart); IDLE when a service that
 * scales to zero was stopped for want of requests (the next one starts it: STARTING → HEALTHY);
 * STOPPED when it ended.
 */
public enum ServiceStatus {
    PENDING, STARTING, HEALTHY, IDLE, BACKOFF, CRASH_LOOP, STOPPED
}
