package dev.palisade.sandbox.nativeinterop;

import dev.palisade.sandbox.abi.Errno;

/** A libc or kernel call failed; names the operation and the errno. */
public class NativeCallException extends RuntimeException {

    private final String operation;
    private final int errno;

    public NativeCallException(String operation, int errno) {
        super(operation + " failed: " + Errno.nameOf(errno) + " ("
                + Errno.of(errno).map(Errno::description).orElse("unknown error") + ")");
        this.operation = operation;
        this.errno = errno;
    }

    public String operation() {
        return operation;
    }

    public int errno() {
        return errno;
    }

    /** Throws the most specific exception for this errno. */
    static NativeCallException of(String operation, int errno) {
        if (errno == Errno.EPERM.value() || errno == Errno.EACCES.value()) {
            return new NativePermissionException(operation, errno);
        }
        if (errno == Errno.ESRCH.value()) {
            return new NoSuchProcessException(operation, errno);
        }
        return new NativeCallException(operation, errno);
    }
}
