package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;

import java.util.Objects;

/**
 * One x86-64 system call, what the Sentry does with it on each platform, and the handler that
 * implements it (one for both platforms).
 *
 * @param number  the number the kernel dispatches on ({@code orig_rax})
 * @param name    its name in {@code asm/unistd_64.h}
 * @param action  what the Sentry does on ptrace (deny and kill hold on every platform)
 * @param errno   the error returned for {@link Action#DENY}, else {@code null}
 * @param note    why, in a few words (empty when plain pass-through)
 * @param handler the implementation; null when no platform calls one
 * @param kvm     how much of the call the handler implements on KVM, where every call is the Sentry's
 * @param kvmNote what a {@link KvmSupport#PARTIAL} handler leaves out
 * @param served  on ptrace, the handler that serves this path call in the Sentry (the filter sends
 *                it by seccomp user notification), or null; a served call runs natively only
 *                where path serving is off
 */
public record Syscall(int number, String name, Action action, Errno errno, String note, Handler handler,
                      KvmSupport kvm, String kvmNote, Handler served) {

    public Syscall(int number, String name, Action action, Errno errno, String note, Handler handler,
                   KvmSupport kvm, String kvmNote) {
        this(number, name, action, errno, note, handler, kvm, kvmNote, null);
    }

    /** What the Sentry does with a call on ptrace. */
    public enum Action {
        /** The host kernel runs it; under ptrace the seccomp filter lets it through without a stop. */
        PASS,
        /**
         * As {@link #PASS} when an argument register holds a value of its {@link ArgumentCheck}
         * (checked in the seccomp filter, no stop); any other value is refused and recorded.
         */
        CHECK,
        /** The Sentry answers (or checks, then lets the kernel run it) in Java. */
        EMULATE,
        /** Answered with {@link Syscall#errno()} without running; recorded as a security event. */
        DENY,
        /** Ends the whole sandbox; recorded as a security event. */
        KILL
    }

    /** How much of a call the KVM platform (no host kernel behind the program) implements. */
    public enum KvmSupport {
        /** As Linux does, within the sandbox's view. */
        FULL,
        /** Implemented with the limits {@link Syscall#kvmNote()} names. */
        PARTIAL,
        /** Answered with ENOSYS. */
        NONE
    }

    public Syscall {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(kvm, "kvm");
        note = note == null ? "" : note;
        kvmNote = kvmNote == null ? "" : kvmNote;
        if ((action == Action.DENY) != (errno != null)) {
            throw new IllegalArgumentException(name + ": an errno goes with deny and only with deny");
        }
        if (number < 0) {
            throw new IllegalArgumentException(name + ": negative number");
        }
        if ((action == Action.DENY || action == Action.KILL) && (handler != null || kvm != KvmSupport.NONE)) {
            throw new IllegalArgumentException(name + ": a denied call has no handler");
        }
        if (action == Action.EMULATE && handler == null) {
            throw new IllegalArgumentException(name + ": an emulated call needs its handler");
        }
        if ((kvm != KvmSupport.NONE) != (handler != null) && action != Action.EMULATE) {
            throw new IllegalArgumentException(name + ": a handler goes with KVM support");
        }
        if (served != null && action != Action.PASS) {
            throw new IllegalArgumentException(name + ": only a call the kernel would otherwise run is served");
        }
        if ((kvm == KvmSupport.PARTIAL) == kvmNote.isEmpty()) {
            throw new IllegalArgumentException(name + ": a partial KVM handler (and only one) says what it leaves out");
        }
    }

    public static Syscall pass(int number, String name) {
        return new Syscall(number, name, Action.PASS, null, "", null, KvmSupport.NONE, "");
    }

    public static Syscall pass(int number, String name, String note) {
        return new Syscall(number, name, Action.PASS, null, note, null, KvmSupport.NONE, "");
    }

    /** Passed on ptrace when its {@link ArgumentChecks argument check} allows the value; {@code note} says what is checked. */
    public static Syscall check(int number, String name, String note) {
        return new Syscall(number, name, Action.CHECK, null, note, null, KvmSupport.NONE, "");
    }

    /** Emulated on ptrace by {@code handler}; on KVM too unless a later {@link #notOnKvm()}. */
    public static Syscall emulate(int number, String name, String note, Handler handler) {
        return new Syscall(number, name, Action.EMULATE, null, note, handler, KvmSupport.FULL, "");
    }

    public static Syscall deny(int number, String name, Errno errno, String note) {
        return new Syscall(number, name, Action.DENY, Objects.requireNonNull(errno, "errno"), note, null, KvmSupport.NONE, "");
    }

    public static Syscall kill(int number, String name, String note) {
        return new Syscall(number, name, Action.KILL, null, note, null, KvmSupport.NONE, "");
    }

    /** This entry, implemented in full on KVM by {@code h}. */
    public Syscall kvm(Handler h) {
        return new Syscall(number, name, action, errno, note, h, KvmSupport.FULL, "", served);
    }

    /** This entry, implemented on KVM by {@code h} except for what {@code leavesOut} says. */
    public Syscall kvm(Handler h, String leavesOut) {
        return new Syscall(number, name, action, errno, note, h, KvmSupport.PARTIAL, leavesOut, served);
    }

    /** This emulated entry, partial on KVM. */
    public Syscall kvmPartial(String leavesOut) {
        return new Syscall(number, name, action, errno, note, handler, KvmSupport.PARTIAL, leavesOut, served);
    }

    /** This emulated entry, not offered on KVM (its handler lets the host kernel finish the call). */
    public Syscall notOnKvm() {
        return new Syscall(number, name, action, errno, note, handler, KvmSupport.NONE, "", served);
    }

    /**
     * This pass entry, served on ptrace by {@code h}: a path call (the Sentry resolves the path and
     * acts on the host through descriptors it holds), or a call naming a task (the Sentry makes it
     * on the host tid of a task of the sandbox).
     */
    public Syscall served(Handler h) {
        return new Syscall(number, name, action, errno, note, handler, kvm, kvmNote, h);
    }

    /** Whether the tracer sees every call of this number (an argument-checked call stops only when refused). */
    public boolean trapped() {
        return action != Action.PASS && action != Action.CHECK;
    }
}
