package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.net.SocketFile;
import dev.palisade.sandbox.sentry.net.UnixSocket;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.OpenFile;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static dev.palisade.sandbox.abi.OpenFlags.O_NONBLOCK;

/**
 * Socket calls: TCP over the sandbox's own {@link dev.palisade.sandbox.sentry.net.Loopback},
 * enough for a server that listens, accepts and talks to connections the platform opens with
 * {@code Sandbox.connect}. Outbound connect(2) is refused (and recorded): the sandbox reaches no
 * network. AF_UNIX sockets are {@link SysUnixSentry}'s; other families and types are not supported.
 */
final class SysSocket {
    private static final int SOCK_STREAM = 1, SOCK_NONBLOCK = 04000, SOCK_CLOEXEC = 02000000;
    private static final int MSG_PEEK = 2, MSG_DONTWAIT = 0x40, MSG_WAITALL = 0x100;
    static final int SO_RCVTIMEO = 20, SO_SNDTIMEO = 21;
    static final int SOL_SOCKET = 1, IPPROTO_TCP = 6, IPPROTO_IPV6 = 41, IPPROTO_IP = 0;

    private SysSocket() {
    }

    /** The Unix socket {@code fd} names, or null when it is another file (the TCP path then answers). */
    private static UnixSocket unix(SyscallContext c, long fd) throws FsError {
        return c.process().file(fd) instanceof UnixSocket u ? u : null;
    }

    private static SocketFile socket(SyscallContext c, long fd) throws FsError {
        OpenFile f = c.process().file(fd);
        if (!(f instanceof SocketFile s)) {
            throw new FsError(Errno.ENOTSOCK);
        }
        return s;
    }

    /** socket(2): AF_UNIX (any type Linux has), or AF_INET and AF_INET6 SOCK_STREAM (TCP). */
    static long socket(SyscallContext c) throws FsError {
        long domain = c.arg(0), type = c.arg(1), protocol = c.arg(2);
        if (domain != SocketFile.AF_INET && domain != SocketFile.AF_INET6 && domain != UnixSocket.AF_UNIX) {
            return Errno.EAFNOSUPPORT.negated();
        }
        if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC | 0xf)) != 0) {
            return Errno.EINVAL.negated();
        }
        if (domain == UnixSocket.AF_UNIX) {
            return SysUnixSentry.socket(c, type, protocol);
        }
        if ((type & 0xf) != SOCK_STREAM) {
            return Errno.ESOCKTNOSUPPORT.negated();
        }
        if (protocol != 0 && protocol != 6) {
            return Errno.EPROTONOSUPPORT.negated();
        }
        SocketFile s = new SocketFile(c.loopback(), (int) domain, c.process().nextSocketIno++);
        s.statusFlags = (type & SOCK_NONBLOCK) != 0 ? O_NONBLOCK : 0;
        return c.process().install(s, (type & SOCK_CLOEXEC) != 0, 0);
    }

    static long bind(SyscallContext c) throws FsError {
        long fd = c.arg(0), addr = c.arg(1), len = c.arg(2);
        UnixSocket u = unix(c, fd);
        if (u != null) {
            return SysUnixSentry.bind(c, u, addr, len);
        }
        SocketFile s = socket(c, fd);
        Address a = readAddress(c, s.family, addr, len);
        s.bind(a.ip, a.port);
        return 0;
    }

    static long listen(SyscallContext c) throws FsError {
        long fd = c.arg(0), backlog = c.arg(1);
        UnixSocket u = unix(c, fd);
        if (u != null) {
            return SysUnixSentry.listen(u, backlog);
        }
        socket(c, fd).listen((int) backlog);
        return 0;
    }

    /** Accept implements Linux syscall accept(2). */
    static long accept(SyscallContext c) throws FsError {
        return accept(c, 0);
    }

    /** Accept4 implements Linux syscall accept4(2). */
    static long accept4(SyscallContext c) throws FsError {
        return accept(c, c.arg(3));
    }

    private static long accept(SyscallContext c, long flags) throws FsError {
        long fd = c.arg(0), addr = c.arg(1), lenp = c.arg(2);
        if ((flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0) {
            return Errno.EINVAL.negated();
        }
        UnixSocket u = unix(c, fd);
        if (u != null) {
            return SysUnixSentry.accept(c, u, addr, lenp, flags);
        }
        SocketFile s = socket(c, fd);
        SocketFile conn = s.accept(c.process().nextSocketIno++);
        conn.statusFlags = (flags & SOCK_NONBLOCK) != 0 ? O_NONBLOCK : 0;
        if (addr != 0) {
            try {
                writeAddress(c, conn.family, loopbackOf(conn.family), conn.peerPort(), addr, lenp);
            } catch (BadAddress | FsError e) {
                conn.release();
                throw e instanceof FsError fe ? fe : new FsError(Errno.EFAULT);
            }
        }
        return c.process().install(conn, (flags & SOCK_CLOEXEC) != 0, 0);
    }

    /**
     * connect(2): the sandbox reaches nothing. A loopback address gets ECONNREFUSED (nothing
     * there takes connections from inside), anything else ENETUNREACH; recorded as denied.
     */
    static long connect(SyscallContext c) throws FsError {
        long fd = c.arg(0), addr = c.arg(1), len = c.arg(2);
        UnixSocket u = unix(c, fd);
        if (u != null) {
            return SysUnixSentry.connect(c, u, addr, len);
        }
        SocketFile s = socket(c, fd);
        Address a = readAddress(c, s.family, addr, len);
        Errno e = SocketFile.localAddress(a.ip) ? Errno.ECONNREFUSED : Errno.ENETUNREACH;
        return c.refuse(e, "outbound connect: the sandbox reaches no network");
    }

    static long getsockname(SyscallContext c) throws FsError {
        long fd = c.arg(0), addr = c.arg(1), lenp = c.arg(2);
        UnixSocket u = unix(c, fd);
        if (u != null) {
            return SysUnixSentry.getsockname(c, u, addr, lenp);
        }
        SocketFile s = socket(c, fd);
        writeAddress(c, s.family, s.localAddressBytes(), s.localPort(), addr, lenp);
        return 0;
    }

    static long getpeername(SyscallContext c) throws FsError {
        long fd = c.arg(0), addr = c.arg(1), lenp = c.arg(2);
        UnixSocket u = unix(c, fd);
        if (u != null) {
            return SysUnixSentry.getpeername(c, u, addr, lenp);
        }
        SocketFile s = socket(c, fd);
        writeAddress(c, s.family, loopbackOf(s.family), s.peerPort(), addr, lenp);
        return 0;
    }

    static long shutdown(SyscallContext c) throws FsError {
        long fd = c.arg(0), how = c.arg(1);
        UnixSocket u = unix(c, fd);
        if (u != null) {
            u.shutdown((int) how);
            return 0;
        }
        socket(c, fd).shutdown((int) how);
        return 0;
    }

    static long sendto(SyscallContext c) throws FsError {
        long fd = c.arg(0), buf = c.arg(1), len = c.arg(2), flags = c.arg(3), dest = c.arg(4);
        UnixSocket u = unix(c, fd);
        if (u != null) {
            return SysUnixSentry.sendto(c, u, buf, len, flags, dest, c.arg(5));
        }
        SocketFile s = socket(c, fd);
        if (!s.connected()) {
            return (dest != 0 ? Errno.EOPNOTSUPP : Errno.ENOTCONN).negated();   // no datagrams, no connects
        }
        int n = SysArgs.rwCount(buf, len);
        if (n == 0) {
            return 0;
        }
        return s.send(SysArgs.buffers(c.memory(), buf, n, false), dontWait(s, flags));
    }

    static long recvfrom(SyscallContext c) throws FsError {
        long fd = c.arg(0), buf = c.arg(1), len = c.arg(2), flags = c.arg(3), src = c.arg(4), srcLen = c.arg(5);
        UnixSocket u = unix(c, fd);
        if (u != null) {
            return SysUnixSentry.recvfrom(c, u, buf, len, flags, src, srcLen);
        }
        SocketFile s = socket(c, fd);
        int n = SysArgs.rwCount(buf, len);
        if (n == 0) {
            return 0;
        }
        long r = s.receive(SysArgs.buffers(c.memory(), buf, n, true), dontWait(s, flags), (flags & MSG_WAITALL) != 0,
                (flags & MSG_PEEK) != 0);
        if (src != 0 && srcLen != 0) {
            c.memory().writeInt(srcLen, 0);   // a connected stream: Linux leaves the address out
        }
        return r;
    }

    /** sendmsg(2): the iovecs of a msghdr; no ancillary data. */
    static long sendmsg(SyscallContext c) throws FsError {
        long fd = c.arg(0), msg = c.arg(1), flags = c.arg(2);
        UnixSocket u = unix(c, fd);
        if (u != null) {
            return SysUnixSentry.sendmsg(c, u, msg, flags);
        }
        SocketFile s = socket(c, fd);
        if (c.memory().readLong(msg + 40) != 0) {
            return Errno.EOPNOTSUPP.negated();   // control messages (descriptor passing): none here
        }
        if (!s.connected()) {
            return Errno.ENOTCONN.negated();
        }
        ByteBuffer[] b = SysArgs.iovecs(c.memory(), c.memory().readLong(msg + 16), c.memory().readLong(msg + 24), false).buffers();
        return b.length == 0 ? 0 : s.send(b, dontWait(s, flags));
    }

    /** recvmsg(2): the iovecs of a msghdr; reports no name, no control data, no flags. */
    static long recvmsg(SyscallContext c) throws FsError {
        long fd = c.arg(0), msg = c.arg(1), flags = c.arg(2);
        UnixSocket u = unix(c, fd);
        if (u != null) {
            return SysUnixSentry.recvmsg(c, u, msg, flags);
        }
        SocketFile s = socket(c, fd);
        ByteBuffer[] b = SysArgs.iovecs(c.memory(), c.memory().readLong(msg + 16), c.memory().readLong(msg + 24), true).buffers();
        long r = b.length == 0 ? 0 : s.receive(b, dontWait(s, flags), (flags & MSG_WAITALL) != 0, (flags & MSG_PEEK) != 0);
        c.memory().writeInt(msg + 8, 0);      // msg_namelen
        c.memory().writeLong(msg + 40, 0);    // msg_controllen
        c.memory().writeInt(msg + 48, 0);     // msg_flags
        return r;
    }

    private static boolean dontWait(SocketFile s, long flags) {
        return (flags & MSG_DONTWAIT) != 0 || (s.statusFlags & O_NONBLOCK) != 0;
    }

    /** setsockopt(2): the usual server options are accepted; the loopback has nothing to tune. */
    static long setsockopt(SyscallContext c) throws FsError {
        long fd = c.arg(0), level = c.arg(1), name = c.arg(2), val = c.arg(3), len = c.arg(4);
        UnixSocket u = unix(c, fd);
        if (u != null) {
            return SysUnixSentry.setsockopt(c, u, level, name, val, len);
        }
        SocketFile s = socket(c, fd);
        if (!known((int) level, (int) name)) {
            return Errno.ENOPROTOOPT.negated();
        }
        if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
            long ns = timeval(c, val, len);
            if (ns < 0) {
                return ns;
            }
            if (name == SO_RCVTIMEO) {
                s.receiveTimeout = ns;
            } else {
                s.sendTimeout = ns;
            }
            return 0;
        }
        if (len < 4) {
            return Errno.EINVAL.negated();
        }
        s.setOption((int) level, (int) name, c.memory().readInt(val));
        return 0;
    }

    /**
     * A socket timeout's struct timeval in ns (0: none; negative seconds: give up at once), or a
     * negated errno: EINVAL when shorter than a timeval, EDOM for microseconds outside [0, 1e6).
     */
    static long timeval(SyscallContext c, long val, long len) {
        if (len < 16) {
            return Errno.EINVAL.negated();
        }
        long sec = c.memory().readLong(val), usec = c.memory().readLong(val + 8);
        if (usec < 0 || usec >= 1_000_000) {
            return Errno.EDOM.negated();
        }
        return sec < 0 ? 1 : Math.min(sec, 1L << 31) * 1_000_000_000L + usec * 1000;   // Linux: a negative time gives up at once
    }

    /** getsockopt of a timeout: a struct timeval cut to *lenp. */
    static long putTimeval(SyscallContext c, long val, long lenp, long ns) {
        int len = c.memory().readInt(lenp);
        if (len < 0) {
            return Errno.EINVAL.negated();
        }
        byte[] b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(ns / 1_000_000_000L)
                .putLong((ns % 1_000_000_000L) / 1000).array();
        int n = Math.min(len, 16);
        c.memory().write(val, b, 0, n);
        c.memory().writeInt(lenp, n);
        return 0;
    }

    private static boolean known(int level, int name) {
        return switch (level) {
            // SO_REUSEADDR, SO_KEEPALIVE, SO_SNDBUF, SO_RCVBUF, SO_LINGER, SO_REUSEPORT, SO_RCVTIMEO, SO_SNDTIMEO
            case SOL_SOCKET -> name == 2 || name == 9 || name == 7 || name == 8 || name == 13 || name == 15 || name == 20
                    || name == 21;
            case IPPROTO_TCP -> name == 1 || name == 4 || name == 5 || name == 6 || name == 9 || name == 12;   // NODELAY, KEEP*, DEFER_ACCEPT, QUICKACK
            case IPPROTO_IPV6 -> name == 26;   // IPV6_V6ONLY
            case IPPROTO_IP -> name == 1;      // IP_TOS
            default -> false;
        };
    }

    static long getsockopt(SyscallContext c) throws FsError {
        long fd = c.arg(0), level = c.arg(1), name = c.arg(2), val = c.arg(3), lenp = c.arg(4);
        UnixSocket u = unix(c, fd);
        if (u != null) {
            return SysUnixSentry.getsockopt(c, u, level, name, val, lenp);
        }
        SocketFile s = socket(c, fd);
        if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
            return putTimeval(c, val, lenp, name == SO_RCVTIMEO ? s.receiveTimeout : s.sendTimeout);
        }
        Integer v = s.option((int) level, (int) name);
        if (v == null) {
            return known((int) level, (int) name) ? put(c, val, lenp, 0) : Errno.ENOPROTOOPT.negated();
        }
        return put(c, val, lenp, v);
    }

    private static long put(SyscallContext c, long val, long lenp, int v) {
        int len = c.memory().readInt(lenp);
        if (len < 0) {
            return Errno.EINVAL.negated();
        }
        byte[] b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
        c.memory().write(val, b, 0, Math.min(len, 4));
        c.memory().writeInt(lenp, Math.min(len, 4));
        return 0;
    }

    // ------------------------------------------------------------------ addresses

    private record Address(byte[] ip, int port) {
    }

    private static byte[] loopbackOf(int family) {
        byte[] b = new byte[family == SocketFile.AF_INET ? 4 : 16];
        if (family == SocketFile.AF_INET) {
            b[0] = 127;
            b[3] = 1;
        } else {
            b[15] = 1;
        }
        return b;
    }

    /** Reads a sockaddr_in (16 bytes) or sockaddr_in6 (28) of the socket's family. */
    private static Address readAddress(SyscallContext c, int family, long addr, long len) throws FsError {
        int need = family == SocketFile.AF_INET ? 16 : 24;
        if (len < need || len > 128) {
            throw new FsError(Errno.EINVAL);
        }
        ByteBuffer b = ByteBuffer.wrap(c.memory().read(addr, need)).order(ByteOrder.LITTLE_ENDIAN);
        int fam = b.getShort(0) & 0xffff;
        if (fam != family) {
            throw new FsError(Errno.EAFNOSUPPORT);
        }
        int port = ((b.get(2) & 0xff) << 8) | (b.get(3) & 0xff);
        byte[] ip = new byte[family == SocketFile.AF_INET ? 4 : 16];
        b.get(family == SocketFile.AF_INET ? 4 : 8, ip);
        return new Address(ip, port);
    }

    /** Writes a sockaddr of the family, truncated to *lenp as Linux does, and sets *lenp to its size. */
    private static void writeAddress(SyscallContext c, int family, byte[] ip, int port, long addr, long lenp) throws FsError {
        int len = c.memory().readInt(lenp);
        if (len < 0) {
            throw new FsError(Errno.EINVAL);
        }
        int size = family == SocketFile.AF_INET ? 16 : 28;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(0, (short) family);
        b.put(2, (byte) (port >>> 8));
        b.put(3, (byte) port);
        b.put(family == SocketFile.AF_INET ? 4 : 8, ip);
        c.memory().write(addr, b.array(), 0, Math.min(len, size));
        c.memory().writeInt(lenp, size);
    }
}
