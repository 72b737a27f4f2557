/**
 * Workloads in both front ends: the portal's list, submit form, detail page with the live log,
 * cancel, and log and artifact downloads for the signed-in user's tenant, and the console's view
 * of every tenant's workloads; a service's detail page also stops and starts it. Reads are SQL
 * here ({@link WorkloadQueries}); submitting, cancelling, following a log and a service's stop and
 * start go through {@link WorkloadActions}, {@link LogFollowing} and {@link ServiceActions}, which
 * the platform application implements.
 */
package dev.palisade.web.workload;
