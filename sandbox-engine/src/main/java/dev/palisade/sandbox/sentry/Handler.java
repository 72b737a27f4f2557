package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.sentry.vfs.FsError;

import java.io.Serializable;

/**
 * A Java implementation of one system call, the same on every platform. A handler checks its
 * arguments as Linux does and bounds what it allocates, copies or walks by what the task owns;
 * an {@link FsError} is its errno, a {@link BadAddress} is EFAULT, any other exception is a
 * Sentry fault (a bug) that ends the sandbox. Serializable only so that a test can name the
 * method each table entry refers to.
 */
@FunctionalInterface
public interface Handler extends Serializable {

    /** Returned by a handler that has checked the call and lets the host kernel run it (ptrace only). */
    long RUN_NATIVELY = Long.MIN_VALUE;

    /** Returned by a served handler that has answered the call itself (a descriptor installed with its number). */
    long ANSWERED = Long.MIN_VALUE + 2;

    /** The value for rax (a result, or a negated errno), or {@link #RUN_NATIVELY}. */
    long call(SyscallContext c) throws FsError;
}
