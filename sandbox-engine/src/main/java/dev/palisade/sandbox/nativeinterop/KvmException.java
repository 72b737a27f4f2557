package dev.palisade.sandbox.nativeinterop;

/** A KVM or memory call failed; the message names the operation and the errno. */
public class KvmException extends RuntimeException {
    private final int errno;

    public KvmException(String operation, int errno) {
        super(operation + " failed: errno " + errno + " (" + errnoName(errno) + ")");
        this.errno = errno;
    }

    public KvmException(String message) {
        super(message);
        this.errno = 0;
    }

    public int errno() {
        return errno;
    }

    static String errnoName(int e) {
        return switch (e) {
            case 1 -> "EPERM";
            case 2 -> "ENOENT";
            case 4 -> "EINTR";
            case 9 -> "EBADF";
            case 12 -> "ENOMEM";
            case 13 -> "EACCES";
            case 14 -> "EFAULT";
            case 16 -> "EBUSY";
            case 17 -> "EEXIST";
            case 19 -> "ENODEV";
            case 22 -> "EINVAL";
            case 25 -> "ENOTTY";
            case 38 -> "ENOSYS";
            default -> "errno " + e;
        };
    }
}
