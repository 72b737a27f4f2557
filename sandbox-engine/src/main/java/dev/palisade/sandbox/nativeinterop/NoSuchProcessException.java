package dev.palisade.sandbox.nativeinterop;

/** The target process or thread is gone (ESRCH). */
public class NoSuchProcessException extends NativeCallException {
    public NoSuchProcessException(String operation, int errno) {
        super(operation, errno);
    }
}
