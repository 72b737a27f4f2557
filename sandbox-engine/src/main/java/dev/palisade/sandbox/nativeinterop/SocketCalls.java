package dev.palisade.sandbox.nativeinterop;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * Direct-mapped libc socket calls (sys/socket.h, unistd.h) behind {@link TcpListener} and
 * {@link TcpConnection}: a plain JNI transition per call, as in {@link PtraceDirect}. Raw:
 * callers check the return value and read {@link Native#getLastError()}.
 */
final class SocketCalls {

    static {
        Native.register(SocketCalls.class, NativeLibrary.getInstance("c"));
    }

    // Linux x86-64 values
    static final int AF_INET = 2, AF_INET6 = 10;
    static final int SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_RCVTIMEO = 20, SO_SNDTIMEO = 21;
    static final int IPPROTO_TCP = 6, TCP_NODELAY = 1, TCP_DEFER_ACCEPT = 9, TCP_QUICKACK = 12;
    static final int SHUT_WR = 1, SHUT_RDWR = 2;
    static final int F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0x800;
    static final int MSG_PEEK = 2, MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;
    static final long FIONREAD = 0x541B;
    /** {@code sizeof(struct sockaddr_storage)}. */
    static final int SOCKADDR_SIZE = 128;

    private SocketCalls() {
    }

    static native int socket(int domain, int type, int protocol);

    static native int setsockopt(int fd, int level, int name, int[] value, int length);

    /** With a {@code struct timeval} ({@code {seconds, microseconds}}) as the value. */
    static native int setsockopt(int fd, int level, int name, long[] value, int length);

    static native int bind(int fd, byte[] address, int length);

    static native int listen(int fd, int backlog);

    static native int getsockname(int fd, byte[] address, int[] length);

    static native int accept4(int fd, byte[] address, int[] length, int flags);

    static native int connect(int fd, byte[] address, int length);

    static native long read(int fd, Pointer buffer, long count);

    static native long recv(int fd, Pointer buffer, long length, int flags);

    static native int ioctl(int fd, long request, int[] value);

    static native long send(int fd, Pointer buffer, long length, int flags);

    static native int shutdown(int fd, int how);

    static native int close(int fd);

    static native int fcntl(int fd, int cmd, int arg);
}
