/**
 * The engine's API: run an untrusted Linux x86-64 program in a sandbox under the Sentry. A caller
 * describes the run in a {@link SandboxSpec} (command, root, binds, workspace, {@link Limits},
 * {@link NetworkPolicy}) and starts it with {@link SandboxEngine}, which picks the platform
 * ({@link PlatformChoice}; for {@code auto} by the rule of {@link AutoChoice}); the running
 * {@link Sandbox} ends in a {@link SandboxResult} that says why ({@link Termination}) and carries
 * the security events ({@link DeniedCall}, {@link RefusedConnection}). {@link BoundedWorkspace}
 * and {@link VolumeImage} are the bounded host disks a caller gives a sandbox.
 */
package dev.palisade.sandbox;
