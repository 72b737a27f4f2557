package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;

import java.util.Objects;

/**
 * One x86-64 system call and what the Sentry does with it.
 *
 * @param number the number the kernel dispatches on ({@code orig_rax})
 * @param name   its name in {@code asm/unistd_64.h}
 * @param action what the Sentry does
 * @param errno  the error returned for {@link Action#DENY}, else {@code null}
 * @param note   why, in a few words (empty when plain pass-through)
 */
public record Syscall(int number, String name, Action action, Errno errno, String note) {

    /** What the Sentry does with a call. */
    public enum Action {
        /** The host kernel runs it; under ptrace the seccomp filter lets it through without a stop. */
        PASS,
        /** The Sentry answers (or checks, then lets the kernel run it) in Java. */
        EMULATE,
        /** Answered with {@link Syscall#errno()} without running; recorded as a security event. */
        DENY,
        /** Ends the whole sandbox; recorded as a security event. */
        KILL
    }

    public Syscall {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(action, "action");
        note = note == null ? "" : note;
        if ((action == Action.DENY) != (errno != null)) {
            throw new IllegalArgumentException(name + ": an errno goes with deny and only with deny");
        }
        if (number < 0) {
            throw new IllegalArgumentException(name + ": negative number");
        }
    }

    public static Syscall pass(int number, String name) {
        return new Syscall(number, name, Action.PASS, null, "");
    }

    public static Syscall pass(int number, String name, String note) {
        return new Syscall(number, name, Action.PASS, null, note);
    }

    public static Syscall emulate(int number, String name, String note) {
        return new Syscall(number, name, Action.EMULATE, null, note);
    }

    public static Syscall deny(int number, String name, Errno errno, String note) {
        return new Syscall(number, name, Action.DENY, Objects.requireNonNull(errno, "errno"), note);
    }

    public static Syscall kill(int number, String name, String note) {
        return new Syscall(number, name, Action.KILL, null, note);
    }

    /** Whether the tracer must see this call (everything but plain pass-through). */
    public boolean trapped() {
        return action != Action.PASS;
    }
}
