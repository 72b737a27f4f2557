/**
 * A tenant's quota: the {@link QuotaLimits} checked at admission (concurrent workloads, CPU
 * seconds per month, storage) and the per-workload ceilings the sandbox enforces while a workload
 * runs. {@link QuotaService} gives every new tenant the default quota, replaces it (audited) and
 * says when the month's CPU seconds are used up.
 */
package dev.palisade.model.quota;
