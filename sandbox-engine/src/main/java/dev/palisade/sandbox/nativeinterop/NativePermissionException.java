package dev.palisade.sandbox.nativeinterop;

/** The kernel refused the call for lack of privilege (EPERM, EACCES). */
public class NativePermissionException extends NativeCallException {
    public NativePermissionException(String operation, int errno) {
        super(operation, errno);
    }
}
