package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.nativeinterop.HostCalls;
import dev.palisade.sandbox.sentry.net.UnixNames;
import dev.palisade.sandbox.sentry.net.UnixSocket;
import dev.palisade.sandbox.sentry.vfs.DiskBound;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.OpenFile;
import dev.palisade.sandbox.sentry.vfs.VirtualFs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.palisade.sandbox.abi.OpenFlags.O_NONBLOCK;

/**
 * AF_UNIX sockets, kept in the Sentry ({@link UnixSocket}): socketpair(2), and names bound in
 * the sandbox's own file system or in its abstract namespace ({@link UnixNames}). A path name is
 * a socket file made in the sandbox's file system; connect(2) resolves it there and finds only
 * sockets of this sandbox, so a host socket visible through a mount is never reached. The
 * socket calls of {@link SysSocket} come here for a Unix socket.
 */
final class SysUnixSentry {
    private static final int SOCK_NONBLOCK = 04000, SOCK_CLOEXEC = 02000000, SOCK_RAW = 3;
    private static final int MSG_PEEK = 2, MSG_TRUNC = 0x20, MSG_DONTWAIT = 0x40, MSG_WAITALL = 0x100,
            MSG_CTRUNC = 8, MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int SOL_SOCKET = 1, SCM_RIGHTS = 1, SCM_MAX_FD = 253;
    /** Linux's net.core.optmem_max: the most ancillary data one sendmsg may carry. */
    private static final int OPTMEM_MAX = 20480;
    /** sizeof(struct sockaddr_un) and offsetof(sun_path). */
    private static final int SUN_LEN = 110, SUN_PATH = 2;
    private static final int S_IFSOCK = 0140000;
    private static final int AT_FDCWD = -100;

    private SysUnixSentry() {
    }

    /** socket(AF_UNIX, ...): {@code type} is already checked for unknown flags. */
    static long socket(SyscallContext c, long type, long protocol) throws FsError {
        int t = kind(type);
        if (t < 0) {
            return Errno.ESOCKTNOSUPPORT.negated();
        }
        if (protocol != 0 && protocol != UnixSocket.AF_UNIX) {
            return Errno.EPROTONOSUPPORT.negated();
        }
        UnixSocket s = create(c, t, type);
        return c.process().install(s, (type & SOCK_CLOEXEC) != 0, 0);
    }

    /** The socket type of socket(2)'s {@code type}, or -1; SOCK_RAW is a datagram socket, as in Linux. */
    private static int kind(long type) {
        int t = (int) (type & 0xf);
        return switch (t) {
            case UnixSocket.SOCK_STREAM, UnixSocket.SOCK_DGRAM, UnixSocket.SOCK_SEQPACKET -> t;
            case SOCK_RAW -> UnixSocket.SOCK_DGRAM;
            default -> -1;
        };
    }

    private static UnixSocket create(SyscallContext c, int kind, long type) {
        UnixSocket s = new UnixSocket(kind, c.loopback().unixNames, c.process().nextSocketIno++, c.interruption());
        s.statusFlags = (type & SOCK_NONBLOCK) != 0 ? O_NONBLOCK : 0;
        return s;
    }

    /** Socketpair implements Linux syscall socketpair(2): AF_UNIX only. */
    static long socketpair(SyscallContext c) throws FsError {
        long domain = c.arg(0), type = c.arg(1), protocol = c.arg(2), sv = c.arg(3);
        if (domain != UnixSocket.AF_UNIX) {
            return (domain == 2 || domain == 10 ? Errno.EOPNOTSUPP : Errno.EAFNOSUPPORT).negated();
        }
        if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC | 0xf)) != 0) {
            return Errno.EINVAL.negated();
        }
        int t = kind(type);
        if (t < 0) {
            return Errno.ESOCKTNOSUPPORT.negated();
        }
        if (protocol != 0 && protocol != UnixSocket.AF_UNIX) {
            return Errno.EPROTONOSUPPORT.negated();
        }
        VirtualProcess p = c.process();
        UnixSocket a = create(c, t, type), b = create(c, t, type);
        UnixSocket.pair(a, b);
        boolean cloexec = (type & SOCK_CLOEXEC) != 0;
        int fa;
        try {
            fa = p.install(a, cloexec, 0);
        } catch (FsError e) {
            a.release();
            b.release();
            throw e;
        }
        int fb;
        try {
            fb = p.install(b, cloexec, 0);
        } catch (FsError e) {
            p.close(fa);
            b.release();
            throw e;
        }
        try {
            c.memory().writeInt(sv, fa);
            c.memory().writeInt(sv + 4, fb);
        } catch (BadAddress e) {
            p.close(fa);
            p.close(fb);
            throw e;
        }
        return 0;
    }

    // ------------------------------------------------------------------ names

    /**
     * A sockaddr_un as the kernel takes it: the length an int of at most 128 (EINVAL, as
     * move_addr_to_kernel), then more than the family and at most 110 bytes, family AF_UNIX
     * (EINVAL). A path name ends at its first NUL; an abstract name is every byte after the family.
     */
    private static byte[] readName(SyscallContext c, long addr, long lenArg) throws FsError {
        int len = (int) lenArg;
        if (len < 0 || len > 128) {
            throw new FsError(Errno.EINVAL);
        }
        byte[] raw = len == 0 ? new byte[0] : c.memory().read(addr, len);
        if (len <= SUN_PATH || len > SUN_LEN) {
            throw new FsError(Errno.EINVAL);
        }
        if (family(raw) != UnixSocket.AF_UNIX) {
            throw new FsError(Errno.EINVAL);
        }
        byte[] name = Arrays.copyOfRange(raw, SUN_PATH, len);
        if (name[0] != 0) {
            int end = 0;
            while (end < name.length && name[end] != 0) {
                end++;
            }
            name = Arrays.copyOf(name, end);
        }
        return name;
    }

    /** sa_family of a sockaddr's first two bytes. */
    private static int family(byte[] raw) {
        return (raw[0] & 0xff) | (raw[1] & 0xff) << 8;
    }

    private static boolean isAbstract(byte[] name) {
        return name.length > 0 && name[0] == 0;
    }

    private static String pathOf(byte[] name) {
        return new String(name, StandardCharsets.UTF_8);
    }

    /** Binds a Unix socket: a path name makes its socket file (EADDRINUSE when something is there). */
    static long bind(SyscallContext c, UnixSocket s, long addr, long len) throws FsError {
        UnixNames names = c.loopback().unixNames;
        if ((int) len == SUN_PATH && family(c.memory().read(addr, SUN_PATH)) == UnixSocket.AF_UNIX) {
            if (s.bound()) {
                return Errno.EINVAL.negated();
            }
            byte[] auto = names.autobind(s);
            if (auto == null) {
                return Errno.ENOSPC.negated();
            }
            s.named(auto, UnixNames.abstractKey(auto));
            return 0;
        }
        byte[] name = readName(c, addr, len);
        if (s.bound()) {
            return Errno.EINVAL.negated();
        }
        if (isAbstract(name)) {
            if (!names.bindAbstract(name, s)) {
                return Errno.EADDRINUSE.negated();
            }
            s.named(name, UnixNames.abstractKey(name));
            return 0;
        }
        VirtualProcess p = c.process();
        String path = pathOf(name);
        VirtualFs.Resolved r = p.fs.resolve(c.pid(), SysArgs.base(p, AT_FDCWD, path), path, false);
        if (r.synthetic() || Files.exists(r.host(), LinkOption.NOFOLLOW_LINKS)) {
            return Errno.EADDRINUSE.negated();
        }
        VirtualFs.checkWritable(r);
        if (r.host().getParent() == null || !Files.isDirectory(r.host().getParent(), LinkOption.NOFOLLOW_LINKS)) {
            return Errno.ENOENT.negated();
        }
        DiskBound bound = r.mount().bound();
        if (bound != null) {
            bound.checkNewFile();
        }
        long rc = HostCalls.mknod(r.host().toString(), S_IFSOCK | (0777 & ~p.umask));
        if (rc == -17) {
            return Errno.EADDRINUSE.negated();
        }
        if (rc < 0) {
            return rc;
        }
        Object key;
        try {
            key = Files.readAttributes(r.host(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return Errno.ENOENT.negated();
        }
        s.named(name, key);
        names.bindPath(key, s);
        return 0;
    }

    /** The socket bound to {@code name} in this sandbox: ENOENT, or ECONNREFUSED for a socket file nobody here bound. */
    private static UnixSocket find(SyscallContext c, byte[] name) throws FsError {
        UnixNames names = c.loopback().unixNames;
        UnixSocket s;
        if (isAbstract(name)) {
            s = names.abstractName(name);
        } else {
            VirtualProcess p = c.process();
            String path = pathOf(name);
            VirtualFs.Resolved r = p.fs.resolve(c.pid(), SysArgs.base(p, AT_FDCWD, path), path, true);
            if (r.synthetic()) {
                throw new FsError(Errno.ECONNREFUSED);
            }
            int mode;
            Object key;
            try {
                mode = (Integer) Files.getAttribute(r.host(), "unix:mode", LinkOption.NOFOLLOW_LINKS);
                key = Files.readAttributes(r.host(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            } catch (IOException | RuntimeException e) {
                throw new FsError(Errno.ENOENT);
            }
            if ((mode & 0170000) != S_IFSOCK) {
                throw new FsError(Errno.ECONNREFUSED);
            }
            s = names.path(key);
        }
        if (s == null || s.released()) {
            throw new FsError(Errno.ECONNREFUSED);
        }
        return s;
    }

    static long listen(UnixSocket s, long backlog) throws FsError {
        s.listen((int) backlog);
        return 0;
    }

    static long connect(SyscallContext c, UnixSocket s, long addr, long len) throws FsError {
        byte[] name = readName(c, addr, len);
        UnixSocket target = find(c, name);
        if (target.type != s.type) {
            return Errno.EPROTOTYPE.negated();
        }
        if (s.type == UnixSocket.SOCK_DGRAM) {
            s.connectDatagram(target);
            return 0;
        }
        if (!target.isListening()) {
            return Errno.ECONNREFUSED.negated();
        }
        s.connect(target, c.process().nextSocketIno++);
        return 0;
    }

    static long accept(SyscallContext c, UnixSocket s, long addr, long lenp, long flags) throws FsError {
        if (addr != 0 && c.memory().readInt(lenp) < 0) {
            return Errno.EINVAL.negated();
        }
        UnixSocket conn = s.accept();
        conn.statusFlags = (flags & SOCK_NONBLOCK) != 0 ? O_NONBLOCK : 0;
        if (addr != 0) {
            try {
                writeName(c, conn.peerName(), addr, lenp);
            } catch (BadAddress | FsError e) {
                conn.release();
                throw e instanceof FsError fe ? fe : new FsError(Errno.EFAULT);
            }
        }
        return c.process().install(conn, (flags & SOCK_CLOEXEC) != 0, 0);
    }

    /**
     * Writes a sockaddr_un for {@code name} (empty: unnamed, the family alone) cut to *lenp, and
     * sets *lenp to its whole size: a path name counts its NUL, as Linux's.
     */
    static void writeName(SyscallContext c, byte[] name, long addr, long lenp) throws FsError {
        int len = c.memory().readInt(lenp);
        if (len < 0) {
            throw new FsError(Errno.EINVAL);
        }
        int size = SUN_PATH + name.length + (name.length > 0 && !isAbstract(name) ? 1 : 0);
        byte[] b = Arrays.copyOf(new byte[] {UnixSocket.AF_UNIX, 0}, size);
        System.arraycopy(name, 0, b, SUN_PATH, name.length);
        if (len > 0) {
            c.memory().write(addr, b, 0, Math.min(len, size));
        }
        c.memory().writeInt(lenp, size);
    }

    static long getsockname(SyscallContext c, UnixSocket s, long addr, long lenp) throws FsError {
        byte[] n = s.name();
        writeName(c, n == null ? new byte[0] : n, addr, lenp);
        return 0;
    }

    static long getpeername(SyscallContext c, UnixSocket s, long addr, long lenp) throws FsError {
        writeName(c, s.peerName(), addr, lenp);
        return 0;
    }

    // ------------------------------------------------------------------ data

    private static boolean dontWait(UnixSocket s, long flags) {
        return (flags & MSG_DONTWAIT) != 0 || (s.statusFlags & O_NONBLOCK) != 0;
    }

    /** The datagram target of sendto/sendmsg, or null to use the connected peer. */
    private static UnixSocket target(SyscallContext c, UnixSocket s, long addr, long len) throws FsError {
        if (addr == 0 || s.type == UnixSocket.SOCK_SEQPACKET) {
            return null;   // seqpacket ignores an address, as Linux
        }
        if (s.type == UnixSocket.SOCK_STREAM) {
            throw new FsError(s.isConnected() ? Errno.EISCONN : Errno.EOPNOTSUPP);
        }
        return find(c, readName(c, addr, len));
    }

    static long sendto(SyscallContext c, UnixSocket s, long buf, long len, long flags, long dest, long destLen)
            throws FsError {
        UnixSocket target = target(c, s, dest, destLen);
        int n = SysArgs.rwCount(buf, len);
        ByteBuffer[] b = n == 0 ? new ByteBuffer[0] : SysArgs.buffers(c.memory(), buf, n, false);
        return s.send(b, dontWait(s, flags), target, null);
    }

    static long recvfrom(SyscallContext c, UnixSocket s, long buf, long len, long flags, long src, long srcLen)
            throws FsError {
        int n = SysArgs.rwCount(buf, len);
        ByteBuffer[] b = n == 0 ? new ByteBuffer[0] : SysArgs.buffers(c.memory(), buf, n, true);
        UnixSocket.Received r = s.receive(b, dontWait(s, flags), (flags & MSG_WAITALL) != 0, (flags & MSG_PEEK) != 0);
        if (r.rights() != null) {
            c.loopback().unixNames.filesLanded(r.rights().size());
            dropRights(r.rights());   // no control buffer to take them: closed, as Linux does
        }
        if (src != 0 && srcLen != 0) {
            writeName(c, r.from() == null ? new byte[0] : r.from(), src, srcLen);
        }
        return s.type != UnixSocket.SOCK_STREAM && (flags & MSG_TRUNC) != 0 ? r.messageSize() : r.count();
    }

    private static void dropRights(List<OpenFile> rights) {
        if (rights != null) {
            rights.forEach(OpenFile::release);
        }
    }

    /** sendmsg(2): the iovecs, a name for datagrams, and SCM_RIGHTS (the open files go along, referenced). */
    static long sendmsg(SyscallContext c, UnixSocket s, long msg, long flags) throws FsError {
        TaskMemory mem = c.memory();
        long name = mem.readLong(msg), nameLen = mem.readInt(msg + 8);
        long control = mem.readLong(msg + 32), controlLen = mem.readLong(msg + 40);
        if (Long.compareUnsigned(controlLen, Integer.MAX_VALUE) > 0) {
            return Errno.ENOBUFS.negated();
        }
        ByteBuffer[] b = SysArgs.iovecs(mem, mem.readLong(msg + 16), mem.readLong(msg + 24), false).buffers();
        List<OpenFile> rights = controlLen == 0 ? null : rights(c, control, controlLen);
        UnixNames names = c.loopback().unixNames;
        if (rights != null && !names.sendFiles(rights.size())) {
            dropRights(rights);
            return Errno.ETOOMANYREFS.negated();
        }
        try {
            UnixSocket target = target(c, s, name, nameLen);
            if (s.type == UnixSocket.SOCK_STREAM && OpenFile.total(b) == 0) {
                return s.send(b, dontWait(s, flags), target, null);   // no byte for the files to travel with: dropped, as Linux
            }
            long r = s.send(b, dontWait(s, flags), target, rights);
            rights = null;   // now in flight
            return r;
        } finally {
            if (rights != null) {
                names.filesLanded(rights.size());
                dropRights(rights);
            }
        }
    }

    /** The files an SCM_RIGHTS message names, each with a reference taken; EBADF, EINVAL as Linux's __scm_send. */
    private static List<OpenFile> rights(SyscallContext c, long control, long controlLen) throws FsError {
        if (controlLen > OPTMEM_MAX) {
            throw new FsError(Errno.ENOBUFS);
        }
        if (controlLen < 16) {
            throw new FsError(Errno.EINVAL);
        }
        ByteBuffer cm = ByteBuffer.wrap(c.memory().read(control, (int) controlLen)).order(ByteOrder.LITTLE_ENDIAN);
        List<OpenFile> files = new ArrayList<>();
        try {
            int off = 0;
            while (off + 16 <= controlLen) {
                long len = cm.getLong(off);
                int level = cm.getInt(off + 8), type = cm.getInt(off + 12);
                if (len < 16 || len > controlLen - off) {
                    throw new FsError(Errno.EINVAL);
                }
                if (level == SOL_SOCKET && type == SCM_RIGHTS) {
                    int n = (int) ((len - 16) / 4);
                    if (n == 0 || files.size() + n > SCM_MAX_FD) {
                        throw new FsError(Errno.EINVAL);
                    }
                    for (int i = 0; i < n; i++) {
                        OpenFile f = c.process().file(cm.getInt(off + 16 + 4 * i));
                        f.retain();
                        files.add(f);
                    }
                } else if (level == SOL_SOCKET && type != 2 /* SCM_CREDENTIALS: the Sentry's are the truth */) {
                    throw new FsError(Errno.EINVAL);
                }
                off += (int) ((len + 7) & ~7L);
            }
        } catch (FsError | RuntimeException e) {
            dropRights(files);
            throw e;
        }
        return files.isEmpty() ? null : files;
    }

    /** recvmsg(2): the iovecs, the sender's name, files passed (installed here, MSG_CTRUNC when they do not fit), flags. */
    static long recvmsg(SyscallContext c, UnixSocket s, long msg, long flags) throws FsError {
        TaskMemory mem = c.memory();
        long name = mem.readLong(msg);
        long control = mem.readLong(msg + 32), controlLen = mem.readLong(msg + 40);
        ByteBuffer[] b = SysArgs.iovecs(mem, mem.readLong(msg + 16), mem.readLong(msg + 24), true).buffers();
        UnixSocket.Received r = s.receive(b, dontWait(s, flags), (flags & MSG_WAITALL) != 0, (flags & MSG_PEEK) != 0);
        int outFlags = 0;
        if (s.type != UnixSocket.SOCK_STREAM && r.messageSize() > r.count()) {
            outFlags |= MSG_TRUNC;
        }
        long used = 0;
        List<OpenFile> rights = r.rights();
        if (rights != null) {
            c.loopback().unixNames.filesLanded(rights.size());
            int room = controlLen < 16 ? 0 : (int) Math.min((controlLen - 16) / 4, rights.size());
            List<Integer> fds = new ArrayList<>();
            int i = 0;
            for (; i < room; i++) {
                try {
                    fds.add(c.process().install(rights.get(i), (flags & MSG_CMSG_CLOEXEC) != 0, 0));
                } catch (FsError e) {
                    break;
                }
            }
            if (i < rights.size()) {
                outFlags |= MSG_CTRUNC;
                rights.subList(i, rights.size()).forEach(OpenFile::release);
            }
            if (!fds.isEmpty()) {
                ByteBuffer cm = ByteBuffer.allocate(16 + 4 * fds.size()).order(ByteOrder.LITTLE_ENDIAN);
                cm.putLong(16 + 4L * fds.size()).putInt(SOL_SOCKET).putInt(SCM_RIGHTS);
                fds.forEach(cm::putInt);
                mem.write(control, cm.array());
                used = Math.min(controlLen, (16 + 4L * fds.size() + 7) & ~7L);
            }
        }
        if (name != 0) {
            byte[] from = r.from() == null ? new byte[0] : r.from();
            int size = from.length == 0 ? 0 : SUN_PATH + from.length + (isAbstract(from) ? 0 : 1);
            int cap = mem.readInt(msg + 8);
            if (size > 0 && cap > 0) {
                byte[] a = Arrays.copyOf(new byte[] {UnixSocket.AF_UNIX, 0}, size);
                System.arraycopy(from, 0, a, SUN_PATH, from.length);
                mem.write(name, a, 0, Math.min(cap, size));
            }
            mem.writeInt(msg + 8, size);
        } else {
            mem.writeInt(msg + 8, 0);
        }
        mem.writeLong(msg + 40, used);
        mem.writeInt(msg + 48, outFlags);
        return s.type != UnixSocket.SOCK_STREAM && (flags & MSG_TRUNC) != 0 ? r.messageSize() : r.count();
    }

    // ------------------------------------------------------------------ options

    /** setsockopt(2) at SOL_SOCKET: the timeouts are applied; the usual options accepted. */
    static long setsockopt(SyscallContext c, UnixSocket s, long level, long name, long val, long len) throws FsError {
        if (level != SOL_SOCKET) {
            return Errno.EOPNOTSUPP.negated();
        }
        switch ((int) name) {
            case 20, 21 -> {   // SO_RCVTIMEO, SO_SNDTIMEO: a struct timeval
                long ns = SysSocket.timeval(c, val, len);
                if (ns < 0) {
                    return ns;
                }
                if (name == 20) {
                    s.receiveTimeout = ns;
                } else {
                    s.sendTimeout = ns;
                }
                return 0;
            }
            case 2, 7, 8, 9, 13, 15, 16 /* SO_PASSCRED */, 32, 33 -> {
                if (len < 4) {
                    return Errno.EINVAL.negated();
                }
                c.memory().readInt(val);
                return 0;
            }
            default -> {
                return Errno.ENOPROTOOPT.negated();
            }
        }
    }

    static long getsockopt(SyscallContext c, UnixSocket s, long level, long name, long val, long lenp) throws FsError {
        if (level != SOL_SOCKET) {
            return Errno.EOPNOTSUPP.negated();
        }
        int len = c.memory().readInt(lenp);
        if (len < 0) {
            return Errno.EINVAL.negated();
        }
        ByteBuffer v = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        int size = 4;
        switch ((int) name) {
            case 3 -> v.putInt(s.type);                           // SO_TYPE
            case 4 -> v.putInt(0);                                // SO_ERROR
            case 30 -> v.putInt(s.isListening() ? 1 : 0);         // SO_ACCEPTCONN
            case 38 -> v.putInt(0);                               // SO_PROTOCOL
            case 39 -> v.putInt(UnixSocket.AF_UNIX);              // SO_DOMAIN
            case 7, 8 -> v.putInt(UnixSocket.BUFFER);             // SO_SNDBUF, SO_RCVBUF
            case 2, 9, 15, 16 -> v.putInt(0);                     // SO_REUSEADDR, SO_KEEPALIVE, SO_REUSEPORT, SO_PASSCRED
            case 17 -> {                                          // SO_PEERCRED: struct ucred of the sandbox's one identity
                v.putInt(c.pid()).putInt(c.uid()).putInt(c.gid());
                size = 12;
            }
            case 20, 21 -> {
                return SysSocket.putTimeval(c, val, lenp, name == 20 ? s.receiveTimeout : s.sendTimeout);
            }
            default -> {
                return Errno.ENOPROTOOPT.negated();
            }
        }
        int n = Math.min(len, size);
        if (n > 0) {
            c.memory().write(val, v.array(), 0, n);
        }
        c.memory().writeInt(lenp, n);
        return 0;
    }
}
