package dev.palisade.sandbox.nativeinterop;

import dev.palisade.sandbox.abi.SyscallNr;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * Raw libc calls the KVM platform needs, bound with JNA direct mapping ({@code Native.register}):
 * primitive arguments only, so {@code ioctl(KVM_RUN)} on the hot path costs a plain JNI call.
 * Callers read {@link Native#getLastError()} after a failing call; {@link KvmException} wraps it.
 */
public final class KvmNative {
    static {
        Native.register(KvmNative.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private KvmNative() {
    }

    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int PROT_EXEC = 4;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int MADV_DONTNEED = 4;
    public static final int MADV_REMOVE = 9;
    public static final long MAP_FAILED = -1L;

    public static native int open(String path, int flags);

    public static native int close(int fd);

    public static native int ioctl(int fd, long request, long arg);

    public static native long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    public static native int munmap(long addr, long length);

    public static native int madvise(long addr, long length, int advice);

    public static native long syscall(long number, long a0, long a1, long a2);

    public static native int getpid();

    public static int gettid() {
        return (int) syscall(SyscallNr.GETTID, 0, 0, 0);
    }

    /** Sends {@code signal} to one thread of this process. */
    public static int tgkill(int tid, int signal) {
        return (int) syscall(SyscallNr.TGKILL, getpid(), tid, signal);
    }

    public static int lastError() {
        return Native.getLastError();
    }
}
