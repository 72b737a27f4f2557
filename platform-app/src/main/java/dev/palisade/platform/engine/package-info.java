/**
 * Where the platform meets the sandbox engine: the engine with the platforms this node offers, and
 * a claimed workload made into a sandbox run. {@link SandboxSpecs} turns a workload into a
 * {@link dev.palisade.sandbox.SandboxSpec} (a bounded workspace from {@link Workspaces}, the
 * image's root, limits, secrets, and the tenant's own uid from {@link TenantIdentity});
 * {@link WorkloadRunner} runs a job to its end, storing its log, artifacts, result and security
 * events, and hands a service to {@link ServiceRuns}, which keeps it running.
 */
package dev.palisade.platform.engine;
