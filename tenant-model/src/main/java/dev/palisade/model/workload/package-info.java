/**
 * Workloads: a tenant's program run in the sandbox, from {@code QUEUED} to a final
 * {@link WorkloadState}. {@link WorkloadService} submits a {@link NewWorkload} through admission
 * control, which refuses what would pass the tenant's quota with an {@link AdmissionException},
 * and reads workloads only within their tenant; running, cancelling and finishing them belong to
 * the platform application's dispatcher.
 */
package dev.palisade.model.workload;
