/**
 * Workloads in REST API v1 and the portal: submission ({@link WorkloadSubmissions}: validated,
 * its input archive checked, admitted and queued in one transaction, then this instance's worker
 * woken), reads in plain SQL scoped by the tenant, cancels ({@link WorkloadCancels}), logs,
 * artifacts, and the security events of sandboxed programs for platform admins.
 * {@link Archives} unpacks archives nobody vetted and packs what a program left, refusing what
 * would escape the directory or exceed a bound.
 */
package dev.palisade.platform.workload;
