/**
 * The seam between the engine and its platforms: {@link Platform} is one way of running a program
 * under the Sentry, implemented by the ptrace and KVM platforms of the subpackages as siblings, one
 * of which {@code SandboxEngine} picks per spec. {@link Results} is how every platform's sandbox
 * waits on its result.
 */
package dev.palisade.sandbox.platform;
