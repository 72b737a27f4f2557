/**
 * The only package that touches JNA: the libc, ptrace, seccomp and KVM calls the engine makes,
 * behind Java types. {@link LibC} with its checked facade {@link Posix} serves set-up and ordinary
 * calls; direct-mapped bindings ({@link PtraceDirect}, {@link KvmNative}, {@link HostCalls}) serve
 * the hot paths of the tracer, the KVM run loop and path serving, and {@link SeccompListener}
 * answers seccomp user notifications. The KVM descriptors ({@link KvmSystem}, {@link VmFd},
 * {@link VcpuFd}) and the host TCP sockets of the platform's ingress port and
 * {@code Sandbox.connect} ({@link TcpListener}, {@link TcpConnection}) live here too.
 */
package dev.palisade.sandbox.nativeinterop;
