package dev.palisade.platform.cron;

/** What a firing does while a run it started earlier is still queued or running (as Kubernetes' CronJob). */
public enum ConcurrencyPolicy {
    /** start another run beside it */
    ALLOW,
    /** skip this firing */
    FORBID,
    /** cancel the earlier run and start this one */
    REPLACE
}
