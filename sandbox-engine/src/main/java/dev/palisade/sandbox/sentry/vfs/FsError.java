package dev.palisade.sandbox.sentry.vfs;

import dev.palisade.sandbox.abi.Errno;

/** A filesystem operation failed with an errno the program will see. */
public final class FsError extends Exception {
    private final Errno errno;

    public FsError(Errno errno) {
        super(errno.name(), null, false, false);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
