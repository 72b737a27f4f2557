/**
 * The ptrace platform: {@link PtracePlatform} runs any Linux x86-64 program in fresh namespaces as
 * an unprivileged uid (rootless, in a user namespace, when started without root), traced from its
 * first instruction under a seccomp-bpf filter compiled from the Sentry's table, which lets
 * pass-through calls run natively and sends the rest to the Sentry. The tracer's stop loop
 * ({@code Tracer}) builds the sandbox's namespaces and mounts by injecting calls into its first
 * processes, with no helper binary, and carries out the Sentry's decisions; the path-serving
 * thread ({@code PathServer}) serves path calls through seccomp user notification; cgroups, CPU
 * sets and Landlock bound it. {@link HostSurface} says how much of the host kernel a program
 * reaches through the filter.
 */
package dev.palisade.sandbox.platform.ptrace;
