package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.abi.SyscallNr;
import dev.palisade.sandbox.nativeinterop.HostCalls;
import dev.palisade.sandbox.nativeinterop.NativeScratch;
import dev.palisade.sandbox.sentry.vfs.FsError;

import java.util.Arrays;
import java.util.function.LongSupplier;

import static dev.palisade.sandbox.abi.OpenFlags.AT_FDCWD;
import static dev.palisade.sandbox.abi.OpenFlags.O_NONBLOCK;

/**
 * The socket calls that may name a path, served where the host kernel keeps the sockets (ptrace):
 * {@code connect}, {@code bind}, and {@code sendto} with an address. The seccomp filter cannot
 * read a socket address, so every such call comes here.
 *
 * <p>What an address means is decided by the socket's family, not by the address's family field:
 * the kernel hands the address to the socket's own protocol, and only an {@code AF_UNIX} socket
 * looks a path up. So the Sentry takes the program's socket (the same open file) and asks its
 * family. Any other socket (TCP, UDP…) is let run by the kernel in the program, whatever its
 * address says and whatever another thread writes there meanwhile. On an {@code AF_UNIX} socket
 * the Sentry reads the address once and makes the call itself on that socket with its copy, every
 * form included (path, abstract name, autobind, a bad address), relative paths from the
 * program's working directory; the serving thread's root is the sandbox's and its identity the
 * program's, and the kernel records the same {@code sun_path} as it would natively. A
 * {@code sendto} on a stream or seqpacket Unix socket is the kernel's: those never look the name
 * up. A call that may wait on its peer (a blocking stream connect, a blocking datagram send) is
 * handed to another thread of the Sentry ({@link HostTask#handOff}).
 */
final class SysUnixSocket {
    private static final int AF_UNIX = 1, SOCK_DGRAM = 2;
    private static final int SOL_SOCKET = 1, SO_TYPE = 3, SO_SNDBUF = 7, SO_DOMAIN = 39;
    private static final int NR_CONNECT = 42, NR_SENDTO = 44, NR_BIND = 49, NR_GETSOCKOPT = 55, NR_FCNTL = 72, F_GETFL = 3;
    private static final int MSG_DONTWAIT = 0x40;
    /** sizeof(struct sockaddr_storage): the kernel refuses a longer address before reading it. */
    private static final int SOCKADDR_MAX = 128;
    /** offsetof(struct sockaddr_un, sun_path), and the kernel's datagram overhead against SO_SNDBUF. */
    private static final int SUN_PATH = 2, DGRAM_OVERHEAD = 32;
    private static final long MAX_RW_COUNT = 0x7ffff000L, USER_PTR_MAX = 0x7fffffffefffL;
    /** sizeof(sun_path). */
    private static final int SUN_PATH_MAX = 108;
    /** Per call: iovecs, an option and its length, the address (the kernel's bound on its length). */
    private static final int IOV = 0, OPT = 32, OPTLEN = 40, ADDR = 64, SIZE = ADDR + SOCKADDR_MAX;
    /** The serving thread's working directory between calls: the sandbox's root. */
    private static final NativeScratch ROOT = new NativeScratch(2);

    static {
        ROOT.putByte(0, (byte) '/');
    }

    private SysUnixSocket() {
    }

    /** Connect implements Linux syscall connect(2). */
    static long connect(SyscallContext c) throws FsError {
        return serve(c, NR_CONNECT, c.arg(1), (int) c.arg(2), 0, 0, 0);
    }

    /** Bind implements Linux syscall bind(2): the socket's inode gets the program's umask. */
    static long bind(SyscallContext c) throws FsError {
        return serve(c, NR_BIND, c.arg(1), (int) c.arg(2), 0, 0, 0);
    }

    /** Sendto implements Linux syscall sendto(2) with an address (the filter lets a null one through). */
    static long sendto(SyscallContext c) throws FsError {
        if (c.arg(4) == 0) {
            return Handler.RUN_NATIVELY;
        }
        return serve(c, NR_SENDTO, c.arg(4), (int) c.arg(5), c.arg(1), c.arg(2), (int) c.arg(3));
    }

    private static long serve(SyscallContext c, int nr, long addrVa, int addrLen, long bufVa, long len, int flags) throws FsError {
        HostTask t = c.hostTask();
        // the kernel's first check too: a number that is not open is EBADF, whatever the address
        long sock = t.takeDescriptor((int) c.arg(0));
        if (sock == Errno.EPERM.negated()) {
            // a program that made itself not dumpable lends nothing to the Sentry's identity: as before
            // serving, the kernel runs the call in its root at its identity (TCP keeps working)
            return Handler.RUN_NATIVELY;
        }
        if (sock < 0) {
            return sock;
        }
        long base = AT_FDCWD;
        boolean handedOff = false;
        NativeScratch s = new NativeScratch(SIZE);
        Datagram data = null;
        try {
            long domain = option(sock, SO_DOMAIN, s);
            if (domain < 0) {
                return domain; // ENOTSOCK
            }
            if (domain != AF_UNIX) {
                // the socket's protocol reads the address: no other family looks a path up
                return Handler.RUN_NATIVELY;
            }
            long type = option(sock, SO_TYPE, s);
            if (nr == NR_SENDTO && type != SOCK_DGRAM) {
                // unix stream and seqpacket sends refuse or ignore a name, never look it up
                return Handler.RUN_NATIVELY;
            }
            if (nr == NR_SENDTO && !userRange(bufVa, len)) {
                return Errno.EFAULT.negated(); // the kernel checks the data's range before the address
            }
            // the address, read once; outside 0..128 the kernel refuses the length before reading
            if (addrLen > 0 && addrLen <= SOCKADDR_MAX) {
                byte[] a = c.memory().read(addrVa, addrLen);
                s.write(ADDR, a, 0, addrLen);
            }
            data = nr == NR_SENDTO ? datagram(t, sock, s, bufVa, len) : null;
            if (data != null && data.bytes() == null) {
                return Errno.EFAULT.negated();
            }
            if (!t.stillValid()) {
                return Handler.ANSWERED;
            }
            byte[] path = path(s, addrLen);
            int given = addrLen;
            if (path != null && nr == NR_BIND) {
                // the kernel records the string bound: it is used as the program wrote it
                base = path[0] == '/' ? AT_FDCWD : SysPath.base(t, AT_FDCWD, path, false);
                SysPath.programUmask(t);
            } else if (path != null) {
                // a connect or send records nothing of the name: the program's own /proc names are made explicit
                SysPath.Where w = SysPath.socketPath(t, path);
                base = w.dirfd();
                if (!Arrays.equals(w.path(), path) && w.path().length < SUN_PATH_MAX) {
                    s.write(ADDR + SUN_PATH, w.path(), 0, w.path().length);
                    s.putByte(ADDR + SUN_PATH + w.path().length, (byte) 0);
                    given = SUN_PATH + w.path().length + 1;
                }
            }
            long fd = sock, dir = base;
            int alen = given;
            Datagram d = data;
            LongSupplier call = () -> inDirectory(dir, () -> switch (nr) {
                case NR_BIND -> HostCalls.call(NR_BIND, fd, s.at(ADDR), alen);
                case NR_CONNECT -> HostCalls.call(NR_CONNECT, fd, s.at(ADDR), alen);
                default -> HostCalls.call(NR_SENDTO, fd, d.bytes().at(0), d.length(), flags & 0xffffffffL, s.at(ADDR), alen);
            });
            if (mayWait(sock, nr, type, flags)) {
                handedOff = true;
                return t.handOff(() -> {
                    try {
                        return call.getAsLong();
                    } finally {
                        HostCalls.close(fd);
                        SysPath.release(dir);
                        free(s, d);
                    }
                });
            }
            return call.getAsLong();
        } finally {
            if (!handedOff) {
                HostCalls.close(sock);
                SysPath.release(base);
                free(s, data);
            }
        }
    }

    private static void free(NativeScratch s, Datagram d) {
        s.close();
        if (d != null && d.bytes() != null) {
            d.bytes().close();
        }
    }

    /** A datagram's copy and its length; no bytes: the program's buffer could not be read (EFAULT). */
    private record Datagram(NativeScratch bytes, long length) {
    }

    /**
     * The datagram's bytes, copied once from the program: as many as it names, but no more than
     * the socket's send buffer (which the kernel bounds), past which the kernel refuses the
     * datagram (EMSGSIZE) before reading it, so a larger one is passed on as that many unread bytes.
     */
    private static Datagram datagram(HostTask t, long sock, NativeScratch s, long bufVa, long len) {
        long sndbuf = option(sock, SO_SNDBUF, s);
        long fits = Math.max(0, sndbuf - DGRAM_OVERHEAD);
        boolean tooBig = Long.compareUnsigned(len, fits) > 0;
        int n = (int) (tooBig ? fits + 1 : len);
        NativeScratch data = new NativeScratch(Math.max(1, n));
        if (!tooBig && n > 0) {
            long got = HostCalls.copy(t.hostTid(), false, s.at(IOV), data.at(0), bufVa, n);
            if (got != n) {
                data.close();
                return new Datagram(null, 0);
            }
        }
        return new Datagram(data, n);
    }

    /**
     * Whether the kernel's access_ok passes a send's buffer: its range, at most MAX_RW_COUNT bytes,
     * ends below the top of user space (4-level paging), without wrapping.
     */
    private static boolean userRange(long va, long len) {
        long count = Long.compareUnsigned(len, MAX_RW_COUNT) > 0 ? MAX_RW_COUNT : len;
        long end = va + count;
        return Long.compareUnsigned(end, va) >= 0 && Long.compareUnsigned(end, USER_PTR_MAX) <= 0;
    }

    /** The path a Unix address names (up to its NUL or its length, as the kernel reads it), or null: none. */
    private static byte[] path(NativeScratch s, int addrLen) {
        if (addrLen <= SUN_PATH || addrLen > SOCKADDR_MAX) {
            return null;
        }
        byte[] a = new byte[addrLen];
        s.read(ADDR, a, 0, addrLen);
        if ((a[0] & 0xff | (a[1] & 0xff) << 8) != AF_UNIX || a[SUN_PATH] == 0) {
            return null; // another family (the kernel's EINVAL), or an abstract name: no path
        }
        int end = SUN_PATH;
        while (end < addrLen && a[end] != 0) {
            end++;
        }
        return Arrays.copyOfRange(a, SUN_PATH, end);
    }

    /** Whether the call may wait on its peer: a stream or seqpacket connect, or a datagram send, on a blocking socket. */
    private static boolean mayWait(long sock, int nr, long type, int flags) {
        boolean waits = switch (nr) {
            case NR_CONNECT -> type != SOCK_DGRAM;
            case NR_SENDTO -> (flags & MSG_DONTWAIT) == 0;
            default -> false;
        };
        if (!waits) {
            return false;
        }
        long fl = HostCalls.call(NR_FCNTL, sock, F_GETFL, 0);
        return fl >= 0 && (fl & O_NONBLOCK) == 0;
    }

    /**
     * Runs {@code op} with the thread's working directory at {@code dir} (a relative path's base,
     * the program's working directory), then back at the root; AT_FDCWD: where it is.
     */
    private static long inDirectory(long dir, LongSupplier op) {
        if (dir == AT_FDCWD) {
            return op.getAsLong();
        }
        long r = HostCalls.call(HostCalls.NR_FCHDIR, dir, 0, 0);
        if (r < 0) {
            return r;
        }
        try {
            return op.getAsLong();
        } finally {
            HostCalls.call(SyscallNr.CHDIR, ROOT.at(0), 0, 0);
        }
    }

    /** An int socket option at SOL_SOCKET, or -errno. */
    private static long option(long sock, int name, NativeScratch s) {
        s.putLong(OPT, 0);
        s.putLong(OPTLEN, 4);
        long r = HostCalls.call(NR_GETSOCKOPT, sock, SOL_SOCKET, name, s.at(OPT), s.at(OPTLEN));
        return r < 0 ? r : s.getInt(OPT);
    }
}
