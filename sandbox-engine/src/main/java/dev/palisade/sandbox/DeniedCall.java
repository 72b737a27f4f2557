package dev.palisade.sandbox;

/**
 * One system call the Sentry refused, or whose handler failed: a security event.
 *
 * @param pid     the caller in the sandbox's own pid space
 * @param number  the x86-64 system call number as the kernel would dispatch it
 * @param name    its name from the syscall table, or {@code "unknown_<nr>"}
 * @param errno   the errno returned (0 when the action was to kill, or a fault)
 * @param action  "deny", "kill", or "fault" (an exception escaped the call's handler: a Sentry bug
 *                that ended the sandbox)
 * @param detail  arguments as far as registers show them
 */
public record DeniedCall(int pid, int number, String name, int errno, String action, String detail) {
}
