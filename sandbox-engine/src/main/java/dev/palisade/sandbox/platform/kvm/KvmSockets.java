package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.net.Loopback;
import dev.palisade.sandbox.sentry.net.SocketFile;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.OpenFile;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The Sentry's socket calls for a KVM guest: TCP over the sandbox's own {@link Loopback}, enough
 * for a server that listens, accepts and talks to connections the platform opens with
 * {@code Sandbox.connect}. Outbound connect(2) is refused (and recorded): the sandbox reaches no
 * network. Other families and types are not supported.
 */
final class KvmSockets {
    private static final int SOCK_STREAM = 1, SOCK_NONBLOCK = 04000, SOCK_CLOEXEC = 02000000;
    private static final int MSG_PEEK = 2, MSG_DONTWAIT = 0x40, MSG_WAITALL = 0x100;
    private static final int O_NONBLOCK = 04000;
    private static final int SOL_SOCKET = 1, IPPROTO_TCP = 6, IPPROTO_IPV6 = 41, IPPROTO_IP = 0;

    private final KvmTask task;
    private final KvmSyscalls sys;
    private final KvmProcess p;
    private final GuestMemory mem;
    private final Loopback net;
    private long nextIno = 1000;

    KvmSockets(KvmTask task, KvmSyscalls sys) {
        this.task = task;
        this.sys = sys;
        this.p = task.proc;
        this.mem = task.proc.mem;
        this.net = task.sandbox.loopback;
    }

    private SocketFile socket(long fd) throws FsError {
        OpenFile f = p.file(fd);
        if (!(f instanceof SocketFile s)) {
            throw new FsError(Errno.ENOTSOCK);
        }
        return s;
    }

    /** socket(2): AF_INET or AF_INET6, SOCK_STREAM (TCP) only. */
    long socket(long domain, long type, long protocol) throws FsError {
        if (domain != SocketFile.AF_INET && domain != SocketFile.AF_INET6) {
            return Errno.EAFNOSUPPORT.negated();
        }
        if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC | 0xf)) != 0) {
            return Errno.EINVAL.negated();
        }
        if ((type & 0xf) != SOCK_STREAM) {
            return Errno.ESOCKTNOSUPPORT.negated();
        }
        if (protocol != 0 && protocol != 6) {
            return Errno.EPROTONOSUPPORT.negated();
        }
        SocketFile s = new SocketFile(net, (int) domain, nextIno++);
        s.statusFlags = (type & SOCK_NONBLOCK) != 0 ? O_NONBLOCK : 0;
        return p.install(s, (type & SOCK_CLOEXEC) != 0, 0);
    }

    long bind(long fd, long addr, long len) throws FsError {
        SocketFile s = socket(fd);
        Address a = readAddress(s.family, addr, len);
        s.bind(a.ip, a.port);
        return 0;
    }

    long listen(long fd, long backlog) throws FsError {
        socket(fd).listen((int) backlog);
        return 0;
    }

    /** accept(2) / accept4(2). */
    long accept(long fd, long addr, long lenp, long flags) throws FsError {
        if ((flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0) {
            return Errno.EINVAL.negated();
        }
        SocketFile s = socket(fd);
        SocketFile c = s.accept(nextIno++);
        c.statusFlags = (flags & SOCK_NONBLOCK) != 0 ? O_NONBLOCK : 0;
        if (addr != 0) {
            try {
                writeAddress(c.family, loopbackOf(c.family), c.peerPort(), addr, lenp);
            } catch (GuestMemory.Fault | FsError e) {
                c.release();
                throw e instanceof FsError fe ? fe : new FsError(Errno.EFAULT);
            }
        }
        return p.install(c, (flags & SOCK_CLOEXEC) != 0, 0);
    }

    /**
     * connect(2): the sandbox reaches nothing. A loopback address gets ECONNREFUSED (nothing
     * there takes connections from inside), anything else ENETUNREACH; recorded as denied.
     */
    long connect(long fd, long addr, long len) throws FsError {
        SocketFile s = socket(fd);
        Address a = readAddress(s.family, addr, len);
        Errno e = SocketFile.localAddress(a.ip) ? Errno.ECONNREFUSED : Errno.ENETUNREACH;
        task.recordDenied(42, "connect", e, fd, addr, len);
        return e.negated();
    }

    long getsockname(long fd, long addr, long lenp) throws FsError {
        SocketFile s = socket(fd);
        writeAddress(s.family, s.localAddressBytes(), s.localPort(), addr, lenp);
        return 0;
    }

    long getpeername(long fd, long addr, long lenp) throws FsError {
        SocketFile s = socket(fd);
        writeAddress(s.family, loopbackOf(s.family), s.peerPort(), addr, lenp);
        return 0;
    }

    long shutdown(long fd, long how) throws FsError {
        socket(fd).shutdown((int) how);
        return 0;
    }

    long sendto(long fd, long buf, long len, long flags, long dest) throws FsError {
        SocketFile s = socket(fd);
        if (!s.connected()) {
            return (dest != 0 ? Errno.EOPNOTSUPP : Errno.ENOTCONN).negated();   // no datagrams, no connects
        }
        int n = GuestMemory.ioCount(buf, len);
        if (n == 0) {
            return 0;
        }
        return s.send(mem.reachable(buf, n, GuestMemory.PROT_READ), dontWait(s, flags));
    }

    long recvfrom(long fd, long buf, long len, long flags, long src, long srcLen) throws FsError {
        SocketFile s = socket(fd);
        if ((flags & MSG_PEEK) != 0) {
            return Errno.EOPNOTSUPP.negated();
        }
        int n = GuestMemory.ioCount(buf, len);
        if (n == 0) {
            return 0;
        }
        long r = s.receive(mem.reachable(buf, n, GuestMemory.PROT_WRITE), dontWait(s, flags), (flags & MSG_WAITALL) != 0);
        if (src != 0 && srcLen != 0) {
            mem.writeInt(srcLen, 0);   // a connected stream: Linux leaves the address out
        }
        return r;
    }

    /** sendmsg(2): the iovecs of a msghdr; no ancillary data. */
    long sendmsg(long fd, long msg, long flags) throws FsError {
        SocketFile s = socket(fd);
        if (mem.readLong(msg + 40) != 0) {
            return Errno.EOPNOTSUPP.negated();   // control messages (descriptor passing): none here
        }
        if (!s.connected()) {
            return Errno.ENOTCONN.negated();
        }
        ByteBuffer[] b = sys.iovecs(mem.readLong(msg + 16), mem.readLong(msg + 24), false);
        return b.length == 0 ? 0 : s.send(b, dontWait(s, flags));
    }

    /** recvmsg(2): the iovecs of a msghdr; reports no name, no control data, no flags. */
    long recvmsg(long fd, long msg, long flags) throws FsError {
        SocketFile s = socket(fd);
        if ((flags & MSG_PEEK) != 0) {
            return Errno.EOPNOTSUPP.negated();
        }
        ByteBuffer[] b = sys.iovecs(mem.readLong(msg + 16), mem.readLong(msg + 24), true);
        long r = b.length == 0 ? 0 : s.receive(b, dontWait(s, flags), (flags & MSG_WAITALL) != 0);
        mem.writeInt(msg + 8, 0);      // msg_namelen
        mem.writeLong(msg + 40, 0);    // msg_controllen
        mem.writeInt(msg + 48, 0);     // msg_flags
        return r;
    }

    private static boolean dontWait(SocketFile s, long flags) {
        return (flags & MSG_DONTWAIT) != 0 || (s.statusFlags & O_NONBLOCK) != 0;
    }

    /** setsockopt(2): the usual server options are accepted; the loopback has nothing to tune. */
    long setsockopt(long fd, long level, long name, long val, long len) throws FsError {
        SocketFile s = socket(fd);
        if (!known((int) level, (int) name)) {
            return Errno.ENOPROTOOPT.negated();
        }
        if (len < 4) {
            return Errno.EINVAL.negated();
        }
        s.setOption((int) level, (int) name, mem.readInt(val));
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

    long getsockopt(long fd, long level, long name, long val, long lenp) throws FsError {
        SocketFile s = socket(fd);
        Integer v = s.option((int) level, (int) name);
        if (v == null) {
            return known((int) level, (int) name) ? put(val, lenp, 0) : Errno.ENOPROTOOPT.negated();
        }
        return put(val, lenp, v);
    }

    private long put(long val, long lenp, int v) {
        int len = mem.readInt(lenp);
        if (len < 0) {
            return Errno.EINVAL.negated();
        }
        byte[] b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
        mem.write(val, b, 0, Math.min(len, 4));
        mem.writeInt(lenp, Math.min(len, 4));
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
    private Address readAddress(int family, long addr, long len) throws FsError {
        int need = family == SocketFile.AF_INET ? 16 : 24;
        if (len < need || len > 128) {
            throw new FsError(Errno.EINVAL);
        }
        ByteBuffer b = ByteBuffer.wrap(mem.read(addr, need)).order(ByteOrder.LITTLE_ENDIAN);
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
    private void writeAddress(int family, byte[] ip, int port, long addr, long lenp) throws FsError {
        int len = mem.readInt(lenp);
        if (len < 0) {
            throw new FsError(Errno.EINVAL);
        }
        int size = family == SocketFile.AF_INET ? 16 : 28;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(0, (short) family);
        b.put(2, (byte) (port >>> 8));
        b.put(3, (byte) port);
        b.put(family == SocketFile.AF_INET ? 4 : 8, ip);
        mem.write(addr, b.array(), 0, Math.min(len, size));
        mem.writeInt(lenp, size);
    }
}
