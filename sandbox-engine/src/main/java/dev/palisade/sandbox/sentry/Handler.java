package dev.palisade.sandbox.sentry;

/** A Java implementation of one system call. One signature for all. */
@FunctionalInterface
public interface Handler {

    /** Returned by a handler that has checked the call and lets the host kernel run it. */
    long RUN_NATIVELY = Long.MIN_VALUE;

    /** The value for rax (a result, or a negated errno), or {@link #RUN_NATIVELY}. */
    long call(SyscallContext c);
}
