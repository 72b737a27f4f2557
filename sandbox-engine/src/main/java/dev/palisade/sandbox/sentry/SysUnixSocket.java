package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.abi.SyscallNr;
import dev.palisade.sandbox.nativeinterop.HostCalls;
import dev.palisade.sandbox.nativeinterop.NativeScratch;
import dev.palisade.sandbox.sentry.vfs.FsError;

import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

import static dev.palisade.sandbox.abi.OpenFlags.AT_FDCWD;
import static dev.palisade.sandbox.abi.OpenFlags.O_NONBLOCK;

/**
 * The socket calls that may name a path, served where the host kernel keeps the sockets (ptrace):
 * {@code connect}, {@code bind}, {@code sendto} with an address, {@code sendmsg} and
 * {@code sendmmsg}. The seccomp filter cannot read a socket address, so every such call comes here.
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
    private static final int MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;
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

    private static final int NR_SENDMSG = 46;
    private static final long MSG_CMSG_COMPAT = 0x80000000L, INT_MAX = Integer.MAX_VALUE;
    /** sizeof(struct msghdr), sizeof(struct mmsghdr), sizeof(struct cmsghdr), sizeof(struct iovec). */
    private static final int MSGHDR = 56, MMSGHDR = 64, CMSGHDR = 16, IOVEC = 16;
    private static final int UIO_MAXIOV = 1024, SCM_MAX_FD = 253, SCM_RIGHTS = 1, SCM_CREDENTIALS = 2, UCRED = 12;
    /** The most control data the Sentry copies; the kernel's own bound (net.core.optmem_max) is below it. */
    private static final int CONTROL_MAX = 128 * 1024;
    /** The largest datagram the Sentry copies: only a send buffer raised past its default reaches it. */
    private static final int DATAGRAM_MAX = 256 * 1024;
    /** In a message's scratch, after the address: the msghdr as the program wrote it, then as the Sentry sends it with its one iovec. */
    private static final int HDR = SIZE, OWN_HDR = HDR + MSGHDR, OWN_IOV = OWN_HDR + MSGHDR, MSG_SIZE = OWN_IOV + IOVEC;
    /** The Sentry's own pid: the one a send of its thread may carry in SCM_CREDENTIALS. */
    private static final int SENTRY_PID = (int) ProcessHandle.current().pid();
    /** What {@link #prepare} answers for a message without a name when only named ones are the Sentry's. */
    private static final long UNNAMED = Long.MIN_VALUE + 100;

    /**
     * Sendmsg implements Linux syscall sendmsg(2) with a name on an AF_UNIX datagram socket: the
     * message read once and sent by the Sentry on its duplicate of the socket. Without a name, or
     * on any other socket, the kernel runs it: no path is looked up then.
     */
    static long sendmsg(SyscallContext c) throws FsError {
        return sendMessages(c, c.arg(1), 1, c.arg(2) & 0xffffffffL, false);
    }

    /**
     * Sendmmsg implements Linux syscall sendmmsg(2) on an AF_UNIX datagram socket, every message
     * as {@link #sendmsg} (named or not: one call cannot be split between the Sentry and the
     * kernel); other sockets are the kernel's. At most UIO_MAXIOV messages, as Linux.
     */
    static long sendmmsg(SyscallContext c) throws FsError {
        long vlen = Math.min(c.arg(2) & 0xffffffffL, UIO_MAXIOV);
        return sendMessages(c, c.arg(1), (int) vlen, c.arg(3) & 0xffffffffL, true);
    }

    /**
     * Sends {@code vlen} messages from {@code vec} as the kernel's sendmmsg loop does: the count
     * sent before the first error, or that error when none was sent. A send that would wait (a
     * full receiver, on a blocking socket) is tried again on another thread until it goes or a
     * signal for the caller interrupts it, as {@code flock} waits ({@link SysHeldDescriptor.Waiting});
     * a sendmmsg that already sent some returns their count then rather than wait.
     */
    private static long sendMessages(SyscallContext c, long vec, int vlen, long flags, boolean many) throws FsError {
        if ((flags & MSG_CMSG_COMPAT) != 0) {
            return Errno.EINVAL.negated(); // refused before the descriptor is looked up
        }
        HostTask t = c.hostTask();
        long sock = t.takeDescriptor((int) c.arg(0));
        if (sock == Errno.EPERM.negated()) {
            return Handler.RUN_NATIVELY; // not dumpable: as connect
        }
        if (sock < 0) {
            return sock;
        }
        boolean handedOff = false;
        try (NativeScratch s = new NativeScratch(SIZE)) {
            long domain = option(sock, SO_DOMAIN, s);
            if (domain < 0) {
                return domain;
            }
            if (domain != AF_UNIX || option(sock, SO_TYPE, s) != SOCK_DGRAM) {
                // only a Unix datagram socket looks a message's name up
                return Handler.RUN_NATIVELY;
            }
            boolean blocking = (flags & MSG_DONTWAIT) == 0 && blocking(sock);
            int sent = 0;
            for (int i = 0; i < vlen; i++) {
                long hdrVa = vec + (long) i * (many ? MMSGHDR : MSGHDR);
                Message m = new Message();
                boolean kept = false;
                try {
                    long r;
                    try {
                        r = prepare(t, sock, hdrVa, m, !many);
                    } catch (FsError e) {
                        r = e.errno().negated();
                    }
                    if (r == UNNAMED) {
                        return Handler.RUN_NATIVELY;
                    }
                    if (r == 0 && !t.stillValid()) {
                        return Handler.ANSWERED;
                    }
                    if (r == 0) {
                        r = send(sock, m, flags);
                    }
                    if (r == Errno.EAGAIN.negated() && blocking && sent == 0) {
                        kept = handedOff = true;
                        return waitToSend(t, sock, m, flags, many ? hdrVa + MSGHDR : 0);
                    }
                    if (r < 0 || !many) {
                        return sent > 0 ? sent : r; // sendmsg: its count of bytes
                    }
                    if (!writeLength(t, hdrVa + MSGHDR, r)) {
                        return sent > 0 ? sent : Errno.EFAULT.negated(); // sent, yet not counted: as the kernel
                    }
                    sent++;
                } finally {
                    if (!kept) {
                        m.close();
                    }
                }
            }
            return sent;
        } finally {
            if (!handedOff) {
                HostCalls.close(sock);
            }
        }
    }

    /** A message read from the program and made ready to send on the Sentry's socket: what it holds is freed and closed by {@link #close}. */
    private static final class Message implements AutoCloseable {
        final NativeScratch s = new NativeScratch(MSG_SIZE);
        final long[] taken = new long[SCM_MAX_FD];
        int takenCount;
        NativeScratch control;
        Datagram data;
        SysPath.Lookup at = NO_PATH;

        @Override
        public void close() {
            for (int i = 0; i < takenCount; i++) {
                HostCalls.close(taken[i]);
            }
            at.release();
            free(s, data);
            if (control != null) {
                control.close();
            }
        }
    }

    /**
     * Reads the program's msghdr at {@code hdrVa} into {@code m} in the kernel's order (name,
     * iovecs, control data, each bounded as the kernel bounds it), resolves the name's path and
     * makes the control data the Sentry's; 0, -errno, or {@link #UNNAMED} for a message without a
     * name when {@code namedOnly}.
     */
    private static long prepare(HostTask t, long sock, long hdrVa, Message m, boolean namedOnly) throws FsError {
        NativeScratch s = m.s;
        if (t.copy(false, s.at(IOV), s.at(HDR), hdrVa, MSGHDR) != MSGHDR) {
            return Errno.EFAULT.negated();
        }
        long nameVa = s.getLong(HDR), iovVa = s.getLong(HDR + 16), iovLen = s.getLong(HDR + 24);
        long controlVa = s.getLong(HDR + 32), controlLen = s.getLong(HDR + 40);
        int nameLen = nameVa == 0 ? 0 : s.getInt(HDR + 8);
        if (nameLen < 0) {
            return Errno.EINVAL.negated();
        }
        nameLen = Math.min(nameLen, SOCKADDR_MAX); // the kernel reads no more of a longer one
        if (nameLen == 0 && namedOnly) {
            return UNNAMED;
        }
        if (nameLen > 0 && t.copy(false, s.at(IOV), s.at(ADDR), nameVa, nameLen) != nameLen) {
            return Errno.EFAULT.negated();
        }
        if (Long.compareUnsigned(iovLen, UIO_MAXIOV) > 0) {
            return Errno.EMSGSIZE.negated();
        }
        long[] iov = new long[2 * (int) iovLen];
        long total = 0;
        if (iovLen > 0) {
            int bytes = (int) iovLen * IOVEC;
            try (NativeScratch v = new NativeScratch(bytes)) {
                if (t.copy(false, s.at(IOV), v.at(0), iovVa, bytes) != bytes) {
                    return Errno.EFAULT.negated();
                }
                for (int j = 0; j < iovLen; j++) {
                    iov[2 * j] = v.getLong(j * IOVEC);
                    iov[2 * j + 1] = v.getLong(j * IOVEC + 8);
                    if (iov[2 * j + 1] < 0) {
                        return Errno.EINVAL.negated();
                    }
                }
            }
            for (int j = 0; j < iovLen; j++) {
                if (!withinUser(iov[2 * j], iov[2 * j + 1])) {
                    return Errno.EFAULT.negated();
                }
                iov[2 * j + 1] = Math.min(iov[2 * j + 1], MAX_RW_COUNT - total); // as import_iovec clips
                total += iov[2 * j + 1];
            }
        }
        if (controlLen < 0 || controlLen > INT_MAX || controlLen > CONTROL_MAX) {
            return Errno.ENOBUFS.negated();
        }
        if (controlLen > 0) {
            m.control = new NativeScratch((int) controlLen);
            if (t.copy(false, s.at(IOV), m.control.at(0), controlVa, controlLen) != controlLen) {
                return Errno.EFAULT.negated();
            }
            long r = ownControl(t, m, (int) controlLen);
            if (r < 0) {
                return r;
            }
        }
        m.data = datagram(t, sock, s, iov, total);
        if (m.data == null) {
            return Errno.EMSGSIZE.negated();
        }
        Resolved where = resolve(t, s, nameLen, false);
        m.at = where.at();
        s.putLong(OWN_HDR, nameLen == 0 ? 0 : s.at(ADDR));
        s.putLong(OWN_HDR + 8, where.length());
        s.putLong(OWN_HDR + 16, s.at(OWN_IOV));
        s.putLong(OWN_HDR + 24, 1);
        s.putLong(OWN_HDR + 32, m.control == null ? 0 : m.control.at(0));
        s.putLong(OWN_HDR + 40, controlLen);
        s.putLong(OWN_HDR + 48, 0);
        s.putLong(OWN_IOV, m.data.address());
        s.putLong(OWN_IOV + 8, m.data.length());
        return 0;
    }

    /**
     * Makes the copied control data the Sentry's, walking it as the kernel's {@code __scm_send}
     * does: the program's descriptors in SCM_RIGHTS become the Sentry's duplicates of them (the
     * same open files), and SCM_CREDENTIALS is checked against the program (its own pid in the
     * sandbox's numbering, else EPERM) and carries the Sentry's pid, the only one its thread may
     * send (the receiver sees pid 0, as for any send of the Sentry; uid and gid are the kernel's
     * to check, the serving thread has the program's). A malformed header or another type is left
     * for the kernel to refuse (EINVAL), as it would the program's.
     */
    private static long ownControl(HostTask t, Message m, int len) {
        NativeScratch ctl = m.control;
        int at = 0, fds = 0;
        while (len - at >= CMSGHDR) {
            long cmsgLen = ctl.getLong(at);
            if (cmsgLen < CMSGHDR || cmsgLen > len - at) {
                return 0; // the kernel stops here with EINVAL; nothing after it is read
            }
            int level = ctl.getInt(at + 8), type = ctl.getInt(at + 12);
            if (level == SOL_SOCKET && type == SCM_RIGHTS) {
                int n = (int) ((cmsgLen - CMSGHDR) / 4);
                fds += n;
                if (fds > SCM_MAX_FD) {
                    return Errno.EINVAL.negated();
                }
                for (int k = 0; k < n; k++) {
                    long own = t.takeDescriptor(ctl.getInt(at + CMSGHDR + 4 * k));
                    if (own < 0) {
                        return own; // EBADF, as the kernel's fget
                    }
                    m.taken[m.takenCount++] = own;
                    ctl.putInt(at + CMSGHDR + 4 * k, (int) own);
                }
            } else if (level == SOL_SOCKET && type == SCM_CREDENTIALS && cmsgLen == CMSGHDR + UCRED) {
                int pid = ctl.getInt(at + CMSGHDR), uid = ctl.getInt(at + CMSGHDR + 4), gid = ctl.getInt(at + CMSGHDR + 8);
                if (uid != -1 && gid != -1 && pid != t.nsTgid()) {
                    return Errno.EPERM.negated(); // an invalid uid or gid is the kernel's EINVAL first
                }
                ctl.putInt(at + CMSGHDR, SENTRY_PID);
            }
            at += (int) ((cmsgLen + 7) & ~7L);
        }
        return 0;
    }

    /**
     * One attempt to send a prepared message, without waiting, from the program's working
     * directory for a relative name; never with a SIGPIPE, which would be the Sentry's.
     */
    private static long send(long sock, Message m, long flags) {
        return inDirectory(m.at.base(), () -> HostCalls.call(NR_SENDMSG, sock, m.s.at(OWN_HDR), flags | MSG_DONTWAIT | MSG_NOSIGNAL));
    }

    /**
     * Sends {@code m} on another thread, attempt after attempt until the receiver has room, the
     * caller is killed, or a signal for it interrupts the wait (ERESTARTSYS, as the kernel's
     * wait); for sendmmsg ({@code lengthVa} not 0) its msg_len is written and the count is 1.
     */
    private static long waitToSend(HostTask t, long sock, Message m, long flags, long lengthVa) {
        SysHeldDescriptor.Waiting w = new SysHeldDescriptor.Waiting(t);
        int tid = t.hostTid();
        long timeout = sendTimeout(sock);
        long deadline = System.nanoTime() + timeout;
        return t.handOff(() -> {
            try {
                long r = w.until(() -> {
                    long sent = send(sock, m, flags);
                    return sent == Errno.EAGAIN.negated() && timeout > 0 && System.nanoTime() - deadline >= 0 ? TIMED_OUT : sent;
                }, pause -> {
                    LockSupport.parkNanos(pause);
                    return true;
                });
                if (r == TIMED_OUT) {
                    r = Errno.EAGAIN.negated();
                } else if (r == Errno.ERESTARTSYS.negated() && timeout > 0) {
                    r = Errno.EINTR.negated(); // a wait with a timeout is not restarted (sock_intr_errno)
                }
                if (r < 0 || lengthVa == 0) {
                    return r;
                }
                try (NativeScratch out = new NativeScratch(IOV + 40)) {
                    out.putInt(IOV + 32, (int) r);
                    return HostCalls.copy(tid, true, out.at(IOV), out.at(IOV + 32), lengthVa, 4) == 4 ? 1 : Errno.EFAULT.negated();
                }
            } finally {
                m.close();
                HostCalls.close(sock);
            }
        });
    }

    /** The end of a wait bounded by SO_SNDTIMEO, for {@link #waitToSend}: the kernel's EAGAIN. */
    private static final long TIMED_OUT = Long.MIN_VALUE + 101;
    private static final int SO_SNDTIMEO = 21;

    /** The socket's SO_SNDTIMEO in nanoseconds; 0: none (the wait is unbounded). */
    private static long sendTimeout(long sock) {
        try (NativeScratch tv = new NativeScratch(24)) {
            tv.putLong(16, 16);
            if (HostCalls.call(NR_GETSOCKOPT, sock, SOL_SOCKET, SO_SNDTIMEO, tv.at(0), tv.at(16)) < 0) {
                return 0;
            }
            return tv.getLong(0) * 1_000_000_000L + tv.getLong(8) * 1_000L;
        }
    }

    /** Writes a sendmmsg entry's msg_len (an unsigned int); false: the program's memory could not take it. */
    private static boolean writeLength(HostTask t, long va, long sent) {
        NativeScratch s = t.scratch();
        s.putInt(IOV + 32, (int) sent);
        return t.copy(true, s.at(IOV), s.at(IOV + 32), va, 4) == 4;
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
        SysPath.Lookup at = NO_PATH;
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
            if (nr == NR_SENDTO) {
                data = datagram(t, sock, s, new long[] {bufVa, len}, Long.compareUnsigned(len, MAX_RW_COUNT) > 0 ? MAX_RW_COUNT : len);
                if (data == null) {
                    return Errno.EMSGSIZE.negated();
                }
            }
            if (!t.stillValid()) {
                return Handler.ANSWERED;
            }
            Resolved where = resolve(t, s, addrLen, nr == NR_BIND);
            at = where.at();
            int given = where.length();
            long fd = sock;
            SysPath.Lookup dir = at;
            int alen = given;
            Datagram d = data;
            LongSupplier call = () -> inDirectory(dir.base(), () -> switch (nr) {
                case NR_BIND -> HostCalls.call(NR_BIND, fd, s.at(ADDR), alen);
                case NR_CONNECT -> HostCalls.call(NR_CONNECT, fd, s.at(ADDR), alen);
                default -> HostCalls.call(NR_SENDTO, fd, d.address(), d.length(), flags & 0xffffffffL, s.at(ADDR), alen);
            });
            if (mayWait(sock, nr, type, flags)) {
                handedOff = true;
                return t.handOff(() -> {
                    try {
                        return call.getAsLong();
                    } finally {
                        HostCalls.close(fd);
                        dir.release();
                        free(s, d);
                    }
                });
            }
            return call.getAsLong();
        } finally {
            if (!handedOff) {
                HostCalls.close(sock);
                at.release();
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

    /** Where a Unix address's path is looked up from, and the address's length as the Sentry passes it on. */
    private record Resolved(SysPath.Lookup at, int length) {
    }

    /** No path to look up: the address is abstract or unnamed, or there is none. */
    static final SysPath.Lookup NO_PATH = new SysPath.Lookup(AT_FDCWD, -1, null);

    /**
     * The base of the path in the address at {@code ADDR} of {@code s} ({@code addrLen} bytes as
     * the program gave them), the path rewritten in {@code s} where {@link SysPath#socketPath}
     * rewrote it; a bind takes the program's umask.
     */
    private static Resolved resolve(HostTask t, NativeScratch s, int addrLen, boolean bind) throws FsError {
        byte[] path = path(s, addrLen);
        if (path == null) {
            return new Resolved(NO_PATH, addrLen);
        }
        SysPath.Lookup at = SysPath.socketPath(t, path, bind);
        if (bind) {
            SysPath.programUmask(t);
        }
        int given = addrLen;
        if (!Arrays.equals(at.path(), path) && at.path().length < SUN_PATH_MAX) {
            s.write(ADDR + SUN_PATH, at.path(), 0, at.path().length);
            s.putByte(ADDR + SUN_PATH + at.path().length, (byte) 0);
            given = SUN_PATH + at.path().length + 1;
        }
        return new Resolved(at, given);
    }

    /**
     * A datagram as the Sentry sends it: its copy ({@code bytes}, null when none was made), and
     * the address and length it is sent from; address 0 (never mapped in the Sentry) makes the
     * kernel's own copy fail where the program's would.
     */
    private record Datagram(NativeScratch bytes, long address, long length) {
    }

    /**
     * The datagram of {@code total} bytes in the program's buffers {@code iov} (address, length
     * pairs), copied once. Past the socket's send buffer the kernel refuses the datagram
     * ({@code EMSGSIZE}) before reading it, so that many unread bytes are passed on; past
     * {@link #DATAGRAM_MAX} (a buffer raised that high) null: the Sentry answers {@code EMSGSIZE}
     * itself. A buffer that cannot be read is passed on unread, for the kernel's {@code EFAULT}.
     */
    private static Datagram datagram(HostTask t, long sock, NativeScratch s, long[] iov, long total) {
        long fits = Math.max(0, option(sock, SO_SNDBUF, s) - DGRAM_OVERHEAD);
        if (Long.compareUnsigned(total, fits) > 0) {
            return new Datagram(null, 0, fits + 1);
        }
        if (total > DATAGRAM_MAX) {
            return null;
        }
        NativeScratch data = new NativeScratch((int) Math.max(1, total));
        long at = 0;
        for (int j = 0; j < iov.length; j += 2) {
            long n = iov[j + 1];
            if (n > 0 && HostCalls.copy(t.hostTid(), false, s.at(IOV), data.at((int) at), iov[j], n) != n) {
                return new Datagram(data, 0, total);
            }
            at += n;
        }
        return new Datagram(data, data.at(0), total);
    }

    /**
     * Whether the kernel's access_ok passes a send's buffer: its range, at most MAX_RW_COUNT bytes,
     * ends below the top of user space (4-level paging), without wrapping.
     */
    private static boolean userRange(long va, long len) {
        return withinUser(va, Long.compareUnsigned(len, MAX_RW_COUNT) > 0 ? MAX_RW_COUNT : len);
    }

    /** Whether {@code len} bytes at {@code va} end below the top of user space, without wrapping (access_ok). */
    private static boolean withinUser(long va, long len) {
        long end = va + len;
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
        return blocking(sock);
    }

    /** Whether the socket's open file is blocking (no O_NONBLOCK). */
    private static boolean blocking(long sock) {
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
