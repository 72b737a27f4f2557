package dev.palisade.sandbox.nativeinterop;

import dev.palisade.sandbox.abi.OpenFlags;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Entering another process's namespace: {@code open(2)} of {@code /proc/PID/ns/…} and
 * {@code setns(2)} for the calling thread only. A socket keeps the network namespace it was
 * created in, so a thread that entered a sandbox's namespace can make sockets there and hand
 * them to any other thread.
 */
public final class Namespaces {

    /** {@code CLONE_NEWNET}: the nstype of a network namespace. */
    public static final int CLONE_NEWNET = 0x40000000;

    interface Raw extends Library {
        Raw INSTANCE = Native.load("c", Raw.class);

        int open(String path, int flags);

        int setns(int fd, int nstype);

        int close(int fd);
    }

    private Namespaces() {
    }

    /** Opens {@code /proc/<pid>/ns/net}; the descriptor keeps the namespace alive until closed. */
    public static int openNetNamespace(int pid) {
        String path = "/proc/" + pid + "/ns/net";
        int fd = Raw.INSTANCE.open(path, OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC);
        if (fd < 0) {
            throw NativeCallException.of("open(" + path + ")", Native.getLastError());
        }
        return fd;
    }

    /** Moves the calling thread (only it) into the network namespace {@code fd} refers to. */
    public static void enterNetNamespace(int fd) {
        if (Raw.INSTANCE.setns(fd, CLONE_NEWNET) < 0) {
            throw NativeCallException.of("setns(" + fd + ", CLONE_NEWNET)", Native.getLastError());
        }
    }

    public static void close(int fd) {
        Raw.INSTANCE.close(fd);
    }
}
