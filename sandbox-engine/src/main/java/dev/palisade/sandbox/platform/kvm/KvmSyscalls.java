package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.net.SocketFile;
import dev.palisade.sandbox.sentry.vfs.ByteQueue;
import dev.palisade.sandbox.sentry.vfs.DevFile;
import dev.palisade.sandbox.sentry.vfs.FileStat;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.HostDir;
import dev.palisade.sandbox.sentry.vfs.DiskBound;
import dev.palisade.sandbox.sentry.vfs.HostFile;
import dev.palisade.sandbox.sentry.vfs.OpenFile;
import dev.palisade.sandbox.sentry.vfs.QueueFile;
import dev.palisade.sandbox.sentry.vfs.VirtualFs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.palisade.sandbox.platform.kvm.GuestLayout.PAGE;

/**
 * The Sentry's system calls for a KVM guest, on the virtual process ({@link KvmProcess}) and
 * virtual filesystem ({@link VirtualFs}). One method per call, grouped by area: memory, files,
 * directories, time, identity, signals. Arguments come from registers; everything read from or
 * written to guest memory goes through {@link GuestMemory}, which checks each page.
 */
final class KvmSyscalls {
    private static final int AT_FDCWD = -100;
    private static final int O_ACCMODE = 3, O_CREAT = 0100, O_EXCL = 0200, O_TRUNC = 01000, O_APPEND = 02000,
            O_NONBLOCK = 04000, O_DIRECTORY = 0200000, O_NOFOLLOW = 0400000, O_CLOEXEC = 02000000, O_PATH = 010000000;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
    private static final int SIGXFSZ = 25;
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final Set<Integer> IMPLEMENTED = new HashSet<>(List.of(
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 24, 25, 28, 32, 33, 35, 39,
            60, 62, 63, 72, 74, 75, 76, 77, 79, 80, 81, 82, 83, 84, 87, 88, 89, 266, 95, 96, 97, 98, 99, 102, 104, 107, 108, 110,
            105, 106, 111, 113, 114, 115, 116, 117, 118, 119, 120, 121, 131, 157, 158, 186, 200, 201, 202, 204, 217, 218, 228, 229, 230, 231, 234, 257, 258, 262, 263,
            264, 267, 269, 271, 273, 292, 293, 302, 316, 318, 332, 439,
            41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 54, 55, 288, 23, 270));

    static boolean implemented(int nr) {
        return IMPLEMENTED.contains(nr);
    }

    private final KvmTask task;
    private final KvmProcess p;
    private final GuestMemory mem;
    private final Limits limits;
    private final KvmSockets sockets;
    private long outputBytes;

    KvmSyscalls(KvmTask task) {
        this.task = task;
        this.p = task.proc;
        this.mem = task.proc.mem;
        this.limits = task.launch.spec().limits();
        this.sockets = new KvmSockets(task, this);
    }

    void setUpStdio() throws FsError {
        KvmSandbox s = task.sandbox;
        p.install(new QueueFile(s.stdinQueue, false, s::aborted, null, 10), false, 0);
        p.install(new QueueFile(s.stdoutQueue, true, s::aborted, this::allowOutput, 11), false, 1);
        p.install(new QueueFile(s.stderrQueue, true, s::aborted, this::allowOutput, 12), false, 2);
    }

    private long allowOutput(long n) {
        long max = limits.outputBytes();
        if (max <= 0) {
            return n;
        }
        long left = max - outputBytes;
        long ok = Math.max(0, Math.min(n, left));
        outputBytes += ok;
        if (ok < n) {
            task.end(Termination.OUTPUT_LIMIT, -1, 9, "output limit of " + max + " bytes reached");
        }
        return ok;
    }

    private final HostFile.SizeLimit sizeLimit = new HostFile.SizeLimit() {
        @Override
        public long maxBytes() {
            return limits.fileSizeBytes();
        }

        @Override
        public void exceeded() {
            if (!p.ignores(SIGXFSZ)) {
                task.end(Termination.FILE_SIZE_LIMIT, -1, SIGXFSZ, "file size limit of " + limits.fileSizeBytes() + " bytes reached");
            }
        }
    };

    long call(int nr, long a0, long a1, long a2, long a3, long a4, long a5) throws FsError {
        return switch (nr) {
            case 0 -> read(a0, a1, a2);
            case 1 -> write(a0, a1, a2);
            case 2 -> openat(AT_FDCWD, a0, a1, a2);
            case 3 -> close(a0);
            case 4 -> fstatat(AT_FDCWD, a0, a1, 0);
            case 5 -> fstat(a0, a1);
            case 6 -> fstatat(AT_FDCWD, a0, a1, AT_SYMLINK_NOFOLLOW);
            case 7 -> poll(a0, a1, a2);
            case 8 -> p.file(a0).seek(a1, (int) a2);
            case 9 -> mmap(a0, a1, (int) a2, (int) a3, a4, a5);
            case 10 -> mprotect(a0, a1, (int) a2);
            case 11 -> munmap(a0, a1);
            case 12 -> brk(a0);
            case 13 -> a3 != 8 ? Errno.EINVAL.negated() : rtSigaction(a0, a1, a2);   // sigsetsize, as Linux checks it
            case 14 -> a3 != 8 ? Errno.EINVAL.negated() : rtSigprocmask(a0, a1, a2);
            case 15 -> Errno.ENOSYS.negated();
            case 16 -> ioctl(a0, a1);
            case 17 -> pread(a0, a1, a2, a3);
            case 18 -> pwrite(a0, a1, a2, a3);
            case 19 -> readv(a0, a1, a2);
            case 20 -> writev(a0, a1, a2);
            case 21 -> faccessat(AT_FDCWD, a0, a1);
            case 22 -> pipe2(a0, 0);
            case 24 -> 0;
            case 25 -> mremap(a0, a1, a2, (int) a3);
            case 28 -> 0;
            case 32 -> dup(a0);
            case 33 -> dup3(a0, a1, 0, true);
            case 35 -> nanosleep(a0);
            case 39, 186 -> KvmProcess.PID;
            case 41 -> sockets.socket(a0, a1, a2);
            case 42 -> sockets.connect(a0, a1, a2);
            case 43 -> sockets.accept(a0, a1, a2, 0);
            case 288 -> sockets.accept(a0, a1, a2, a3);
            case 44 -> sockets.sendto(a0, a1, a2, a3, a4);
            case 45 -> sockets.recvfrom(a0, a1, a2, a3, a4, a5);
            case 46 -> sockets.sendmsg(a0, a1, a2);
            case 47 -> sockets.recvmsg(a0, a1, a2);
            case 48 -> sockets.shutdown(a0, a1);
            case 49 -> sockets.bind(a0, a1, a2);
            case 50 -> sockets.listen(a0, a1);
            case 51 -> sockets.getsockname(a0, a1, a2);
            case 52 -> sockets.getpeername(a0, a1, a2);
            case 54 -> sockets.setsockopt(a0, a1, a2, a3, a4);
            case 55 -> sockets.getsockopt(a0, a1, a2, a3, a4);
            case 60, 231 -> exit(a0);
            case 62 -> kill(a0, a1);
            case 200 -> kill(KvmProcess.PID, a1);
            case 234 -> kill(a0, a2);
            case 63 -> uname(a0);
            case 72 -> fcntl(a0, (int) a1, a2);
            case 74, 75 -> { p.file(a0); yield 0; }
            case 76 -> truncate(a0, a1);
            case 77 -> { p.file(a0).truncate(a1); yield 0; }
            case 285 -> fallocate(a0, a1, a2, a3);
            case 79 -> getcwd(a0, a1);
            case 80 -> chdir(a0);
            case 81 -> fchdir(a0);
            case 82 -> renameat(AT_FDCWD, a0, AT_FDCWD, a1);
            case 83 -> mkdirat(AT_FDCWD, a0, a1);
            case 84 -> unlinkat(AT_FDCWD, a0, AT_REMOVEDIR);
            case 87 -> unlinkat(AT_FDCWD, a0, 0);
            case 88 -> symlinkat(a0, AT_FDCWD, a1);
            case 266 -> symlinkat(a0, a1, a2);
            case 89 -> readlinkat(AT_FDCWD, a0, a1, a2);
            case 95 -> { int old = p.umask; p.umask = (int) (a0 & 0777); yield old; }
            case 96 -> gettimeofday(a0);
            case 97 -> getrlimit(a0, a1);
            case 98 -> getrusage(a1);
            case 99 -> sysinfo(a0);
            case 102, 107 -> KvmProcess.UID;
            case 105, 113, 117 -> setIds(KvmProcess.UID, a0, a1, a2, nr == 105 ? 1 : nr == 113 ? 2 : 3);
            case 106, 114, 119 -> setIds(KvmProcess.GID, a0, a1, a2, nr == 106 ? 1 : nr == 114 ? 2 : 3);
            case 118 -> getIds(KvmProcess.UID, a0, a1, a2);
            case 120 -> getIds(KvmProcess.GID, a0, a1, a2);
            case 116 -> Errno.EPERM.negated();
            case 157 -> prctl(a0, a1);
            case 104, 108 -> KvmProcess.GID;
            case 110 -> 0;
            case 111, 121 -> KvmProcess.PID;
            case 115 -> 0;
            case 131 -> sigaltstack(a1);
            case 158 -> archPrctl(a0, a1);
            case 201 -> time(a0);
            case 202 -> futex(a1);
            case 204 -> schedGetaffinity(a1, a2);
            case 217 -> getdents64(a0, a1, a2);
            case 218 -> KvmProcess.PID;
            case 228 -> clockGettime(a0, a1);
            case 229 -> { clockNanos(a0); yield clockGetres(a1); }   // EINVAL for a clock that does not exist
            case 230 -> clockNanosleep(a1, a2);
            case 257 -> openat(a0, a1, a2, a3);
            case 258 -> mkdirat(a0, a1, a2);
            case 262 -> fstatat(a0, a1, a2, a3);
            case 263 -> unlinkat(a0, a1, a2);
            case 264, 316 -> renameat(a0, a1, a2, a3);
            case 267 -> readlinkat(a0, a1, a2, a3);
            case 269, 439 -> faccessat(a0, a1, a2);
            case 271 -> ppoll(a0, a1, a2);
            case 23 -> select(a0, a1, a2, a3, a4);
            case 270 -> pselect6(a0, a1, a2, a3, a4);
            case 273 -> 0;
            case 292 -> dup3(a0, a1, a2, false);
            case 293 -> pipe2(a0, a1);
            case 302 -> prlimit(a0, a1, a2, a3);
            case 318 -> getrandom(a0, a1, a2);
            case 332 -> statx(a0, a1, a2, a3, a4);
            default -> Errno.ENOSYS.negated();
        };
    }

    // ------------------------------------------------------------------ process

    private long exit(long code) {
        task.end(Termination.EXITED, (int) (code & 0xff), 0, "exited with code " + (code & 0xff));
        return 0;
    }

    private long kill(long pid, long sig) {
        if (pid != KvmProcess.PID && pid != 0 && pid != -1) {
            return Errno.ESRCH.negated();
        }
        if (sig < 0 || sig > 64) {
            return Errno.EINVAL.negated();
        }
        if (sig == 0 || p.ignores((int) sig) || sig == 17 || sig == 23 || sig == 28) {
            return 0;
        }
        task.end(Termination.SIGNALED, -1, (int) sig, "killed by signal " + sig + " (sent by the program to itself)");
        return 0;
    }

    private long rtSigaction(long sig, long act, long oact) {
        if (sig < 1 || sig > 64 || sig == 9 || sig == 19) {
            return Errno.EINVAL.negated();
        }
        long[] old = p.sigactions.getOrDefault((int) sig, new long[4]);
        if (oact != 0) {
            for (int i = 0; i < 4; i++) {
                mem.writeLong(oact + 8L * i, old[i]);
            }
        }
        if (act != 0) {
            long[] a = new long[4];
            for (int i = 0; i < 4; i++) {
                a[i] = mem.readLong(act + 8L * i);
            }
            p.sigactions.put((int) sig, a);
        }
        return 0;
    }

    private long rtSigprocmask(long how, long set, long oset) {
        if (oset != 0) {
            mem.writeLong(oset, p.sigmask);
        }
        if (set != 0) {
            long s = mem.readLong(set);
            switch ((int) how) {
                case 0 -> p.sigmask |= s;
                case 1 -> p.sigmask &= ~s;
                case 2 -> p.sigmask = s;
                default -> {
                    return Errno.EINVAL.negated();
                }
            }
        }
        return 0;
    }

    private long sigaltstack(long oss) {
        if (oss != 0) {
            mem.writeLong(oss, 0);
            mem.writeInt(oss + 8, 2);   // SS_DISABLE
            mem.writeLong(oss + 16, 0);
        }
        return 0;
    }

    private long archPrctl(long code, long addr) {
        switch ((int) code) {
            case 0x1002 -> {
                if (!GuestLayout.canonicalUser(addr)) {
                    return Errno.EPERM.negated();
                }
                task.machine.setFsBase(addr);
                return 0;
            }
            case 0x1003 -> {
                mem.writeLong(addr, task.machine.fsBase());
                return 0;
            }
            default -> {
                return Errno.EINVAL.negated();
            }
        }
    }

    /** set*id: the sandbox has one identity; setting it to itself succeeds, anything else is EPERM. */
    private long setIds(int id, long a, long b, long c, int n) {
        long[] v = {a, b, c};
        for (int i = 0; i < n; i++) {
            if ((int) v[i] != -1 && (int) v[i] != id) {
                return Errno.EPERM.negated();
            }
        }
        return 0;
    }

    private long getIds(int id, long a, long b, long c) {
        mem.writeInt(a, id);
        mem.writeInt(b, id);
        mem.writeInt(c, id);
        return 0;
    }

    private long prctl(long option, long arg) {
        return switch ((int) option) {
            case 15 -> 0;   // PR_SET_NAME
            case 16 -> {    // PR_GET_NAME
                mem.write(arg, "sandbox\0".getBytes(StandardCharsets.US_ASCII));
                yield 0;
            }
            case 38, 39 -> 0;   // PR_SET/GET_NO_NEW_PRIVS: always on
            default -> Errno.EINVAL.negated();
        };
    }

    private long futex(long op) {
        int cmd = (int) (op & 0x7f);
        return cmd == 1 ? 0 : Errno.EAGAIN.negated();
    }

    private long uname(long buf) {
        String[] f = {"Linux", "sandbox", "6.1.0-palisade", "#1 SMP palisade-kvm", "x86_64", "(none)"};
        byte[] out = new byte[65 * 6];
        for (int i = 0; i < 6; i++) {
            byte[] b = f[i].getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(b, 0, out, 65 * i, b.length);
        }
        mem.write(buf, out);
        return 0;
    }

    private long getrlimit(long res, long buf) {
        long[] l = rlimit((int) res);
        mem.writeLong(buf, l[0]);
        mem.writeLong(buf + 8, l[1]);
        return 0;
    }

    private long[] rlimit(int res) {
        long inf = -1;
        return switch (res) {
            case 1 -> limits.fileSizeBytes() > 0 ? new long[] {limits.fileSizeBytes(), limits.fileSizeBytes()} : new long[] {inf, inf};
            case 3 -> new long[] {GuestLayout.STACK_SIZE, GuestLayout.STACK_SIZE};
            case 7 -> new long[] {KvmProcess.MAX_FDS, KvmProcess.MAX_FDS};
            case 9 -> limits.memoryBytes() > 0 ? new long[] {limits.memoryBytes(), limits.memoryBytes()} : new long[] {inf, inf};
            default -> new long[] {inf, inf};
        };
    }

    private long prlimit(long pid, long res, long newp, long oldp) {
        if (pid != 0 && pid != KvmProcess.PID) {
            return Errno.ESRCH.negated();
        }
        if (oldp != 0) {
            getrlimit(res, oldp);
        }
        return 0;   // new limits are accepted and ignored: the sandbox's own limits stay in force
    }

    private long getrusage(long buf) {
        long cpu = task.cpuNanos();
        byte[] z = new byte[144];
        mem.write(buf, z);
        mem.writeLong(buf, cpu / 1_000_000_000L);
        mem.writeLong(buf + 8, (cpu / 1000) % 1_000_000);
        mem.writeLong(buf + 32, mem.allocator().peakUserBytes() / 1024);
        return 0;
    }

    private long sysinfo(long buf) {
        ByteBuffer b = ByteBuffer.allocate(112).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, (System.nanoTime() - task.sandbox.startNanos) / 1_000_000_000L);
        long total = limits.memoryBytes() > 0 ? limits.memoryBytes() : (4L << 30);
        b.putLong(32, total);
        b.putLong(40, Math.max(0, total - mem.allocator().userPages() * PAGE));
        b.putShort(80, (short) 1);
        b.putInt(104, 1);
        mem.write(buf, b.array());
        return 0;
    }

    private long schedGetaffinity(long len, long mask) {
        if (len < 8) {
            return Errno.EINVAL.negated();
        }
        mem.writeLong(mask, 1);
        return 8;
    }

    /** getrandom(2): flags checked, the length cut to MAX_RW_COUNT, random bytes up to the first unwritable byte (fuzz finding). */
    private long getrandom(long buf, long len, long flags) {
        if ((flags & ~7L) != 0 || (flags & 6) == 6) {   // GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE, not the last two at once
            return Errno.EINVAL.negated();
        }
        int n = GuestMemory.ioCountClamped(buf, len);
        if (n == 0) {
            return 0;
        }
        long total = 0;
        byte[] chunk = new byte[64 << 10];
        for (ByteBuffer b : mem.reachable(buf, n, GuestMemory.PROT_WRITE)) {
            while (b.hasRemaining()) {
                int k = Math.min(chunk.length, b.remaining());
                RANDOM.nextBytes(chunk);
                b.put(chunk, 0, k);
                total += k;
            }
        }
        return total;
    }

    // ------------------------------------------------------------------ time

    private static long realtimeNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private long clockNanos(long clock) throws FsError {
        return switch ((int) clock) {
            case 0, 5, 8, 11 -> realtimeNanos();
            case 1, 4, 6, 7, 9 -> System.nanoTime();
            case 2, 3 -> task.cpuNanos();
            default -> throw new FsError(Errno.EINVAL);
        };
    }

    private long clockGettime(long clock, long ts) throws FsError {
        long n = clockNanos(clock);
        mem.writeLong(ts, n / 1_000_000_000L);
        mem.writeLong(ts + 8, n % 1_000_000_000L);
        return 0;
    }

    private long clockGetres(long ts) {
        if (ts != 0) {
            mem.writeLong(ts, 0);
            mem.writeLong(ts + 8, 1);
        }
        return 0;
    }

    private long gettimeofday(long tv) {
        if (tv != 0) {
            long n = realtimeNanos();
            mem.writeLong(tv, n / 1_000_000_000L);
            mem.writeLong(tv + 8, (n / 1000) % 1_000_000);
        }
        return 0;
    }

    private long time(long t) {
        long s = realtimeNanos() / 1_000_000_000L;
        if (t != 0) {
            mem.writeLong(t, s);
        }
        return s;
    }

    private long sleepNanos(long nanos) {
        long until = System.nanoTime() + nanos;
        while (!task.sandbox.aborted()) {
            long left = until - System.nanoTime();
            if (left <= 0) {
                return 0;
            }
            try {
                Thread.sleep(Math.min(left / 1_000_000 + 1, 20));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Errno.EINTR.negated();
            }
        }
        return Errno.EINTR.negated();
    }

    private long nanosleep(long req) {
        long s = mem.readLong(req), ns = mem.readLong(req + 8);
        if (s < 0 || ns < 0 || ns >= 1_000_000_000L) {
            return Errno.EINVAL.negated();
        }
        return sleepNanos(Math.min(s, Long.MAX_VALUE / 2_000_000_000L) * 1_000_000_000L + ns);
    }

    private long clockNanosleep(long flags, long req) {
        long s = mem.readLong(req), ns = mem.readLong(req + 8);
        if (s < 0 || ns < 0 || ns >= 1_000_000_000L) {   // fuzz finding: a negative second overflowed into a sleep for ever
            return Errno.EINVAL.negated();
        }
        long d = Math.min(s, Long.MAX_VALUE / 2_000_000_000L) * 1_000_000_000L + ns;
        if ((flags & 1) != 0) {
            d -= realtimeNanos();
        }
        return d <= 0 ? 0 : sleepNanos(d);
    }

    // ------------------------------------------------------------------ memory

    private static long pageUp(long v) {
        return (v + PAGE - 1) & ~(PAGE - 1);
    }

    private long brk(long addr) {
        if (addr == 0 || addr < p.brkStart || addr >= GuestLayout.MMAP_TOP) {   // fuzz finding: huge values overflowed pageUp
            return p.brk;
        }
        long oldTop = pageUp(p.brk);
        long newTop = pageUp(addr);
        if (newTop > p.brkStart + (64L << 30) || newTop > p.mmapCursor - (1L << 30)) {
            return p.brk;
        }
        if (newTop > oldTop) {
            if (!mem.isFree(oldTop, newTop - oldTop)) {
                return p.brk;
            }
            mem.map(oldTop, newTop - oldTop, GuestMemory.PROT_READ | GuestMemory.PROT_WRITE);
        } else if (newTop < oldTop) {
            mem.unmap(newTop, oldTop - newTop);
        }
        p.brk = addr;
        return addr;
    }

    private long mmap(long addr, long len, int prot, int flags, long fd, long off) throws FsError {
        final int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_FIXED_NOREPLACE = 0x100000;
        if ((off & (PAGE - 1)) != 0 || len == 0) {
            return Errno.EINVAL.negated();
        }
        long size = pageUp(len);
        if (len < 0 || size <= 0 || size > (1L << 40)) {   // fuzz finding: a huge len was EINVAL, Linux says ENOMEM
            return Errno.ENOMEM.negated();
        }
        if ((flags & (MAP_SHARED | MAP_PRIVATE)) == 0) {
            return Errno.EINVAL.negated();
        }
        OpenFile file = null;
        if ((flags & MAP_ANONYMOUS) == 0) {
            file = p.file(fd);
            if (!(file instanceof HostFile) || !file.readable()) {
                return Errno.EACCES.negated();
            }
            if ((flags & MAP_SHARED) != 0 && (prot & GuestMemory.PROT_WRITE) != 0) {
                return Errno.ENODEV.negated();   // shared writable file mappings are not supported
            }
        }
        int pr = prot & 7;
        long at;
        if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0) {
            if ((addr & (PAGE - 1)) != 0 || addr < GuestLayout.MIN_USER_VA || addr + size > GuestLayout.MMAP_TOP || addr + size < addr) {
                return (flags & MAP_FIXED) != 0 ? Errno.EINVAL.negated() : Errno.ENOMEM.negated();
            }
            if ((flags & MAP_FIXED_NOREPLACE) != 0 && !mem.isFree(addr, size)) {
                return Errno.EEXIST.negated();
            }
            at = addr;
        } else if (addr != 0 && (addr & (PAGE - 1)) == 0 && addr >= GuestLayout.MIN_USER_VA && addr + size <= GuestLayout.MMAP_TOP
                && mem.isFree(addr, size)) {
            at = addr;
        } else {
            at = p.findFree(size);
            if (at < 0) {
                return Errno.ENOMEM.negated();
            }
        }
        mem.map(at, size, pr);
        if (file != null) {
            if (pr == 0) {
                return at;
            }
            long fileLen = Math.min(len, Math.max(0, file.stat().size() - off));
            if (fileLen > 0) {
                file.pread(mem.buffers(at, (int) Math.min(fileLen, Integer.MAX_VALUE - PAGE), 0), off);
            }
        }
        return at;
    }

    /** Whether [addr, addr+len) touches the engine's own area between the mmap top and the stack. */
    private static boolean enginePages(long addr, long len) {
        long end = addr + len;
        return end > GuestLayout.MMAP_TOP && addr < GuestLayout.STACK_TOP - GuestLayout.STACK_SIZE;
    }

    private long munmap(long addr, long len) {
        if ((addr & (PAGE - 1)) != 0 || len <= 0 || !GuestLayout.canonicalUser(addr) || addr < GuestLayout.MIN_USER_VA
                || enginePages(addr, pageUp(len))) {
            return Errno.EINVAL.negated();
        }
        long size = pageUp(len);
        mem.unmap(addr, size);
        p.released(addr, size);
        return 0;
    }

    private long mprotect(long addr, long len, int prot) {
        if ((addr & (PAGE - 1)) != 0 || enginePages(addr, pageUp(Math.max(len, 0)))) {
            return Errno.EINVAL.negated();
        }
        if (len == 0) {
            return 0;
        }
        if (Long.compareUnsigned(addr + pageUp(len), addr) <= 0) {   // fuzz finding: wrapped lengths "succeeded"
            return Errno.ENOMEM.negated();
        }
        return mem.protect(addr, pageUp(len), prot & 7) ? 0 : Errno.ENOMEM.negated();
    }

    private long mremap(long old, long oldLen, long newLen, int flags) {
        if ((old & (PAGE - 1)) != 0 || newLen <= 0 || oldLen < 0 || enginePages(old, pageUp(Math.max(oldLen, 1)))) {
            return Errno.EINVAL.negated();
        }
        long os = pageUp(oldLen), ns = pageUp(newLen);
        int prot = mem.protOf(old);
        if (prot < 0) {
            return Errno.EFAULT.negated();
        }
        if (ns <= os) {
            if (ns < os) {
                mem.unmap(old + ns, os - ns);
            }
            return old;
        }
        if (old + ns <= GuestLayout.MMAP_TOP && mem.isFree(old + os, ns - os)) {
            mem.map(old + os, ns - os, prot);
            return old;
        }
        if ((flags & 1) == 0) {
            return Errno.ENOMEM.negated();
        }
        long at = p.findFree(ns);
        if (at < 0) {
            return Errno.ENOMEM.negated();
        }
        mem.map(at, ns, prot);
        mem.unmap(at, os);
        mem.move(old, at, os);
        p.released(old, os);
        return at;
    }

    // ------------------------------------------------------------------ file I/O

    private long read(long fd, long buf, long count) throws FsError {
        OpenFile f = p.file(fd);
        if (!f.readable()) {
            return Errno.EBADF.negated();
        }
        int n = GuestMemory.ioCount(buf, count);   // fuzz finding: SIZE_MAX was a negative count
        if (n == 0) {
            return 0;
        }
        return f.read(mem.reachable(buf, n, GuestMemory.PROT_WRITE));
    }

    private long write(long fd, long buf, long count) throws FsError {
        OpenFile f = p.file(fd);
        if (!f.writable()) {
            return Errno.EBADF.negated();
        }
        int n = GuestMemory.ioCount(buf, count);
        if (n == 0) {
            return 0;
        }
        return f.write(mem.reachable(buf, n, GuestMemory.PROT_READ));
    }

    private long pread(long fd, long buf, long count, long off) throws FsError {
        OpenFile f = p.file(fd);
        if (off < 0) {
            return Errno.EINVAL.negated();
        }
        if (!f.readable()) {
            return Errno.EBADF.negated();
        }
        int n = GuestMemory.ioCount(buf, count);
        return n == 0 ? 0 : f.pread(mem.reachable(buf, n, GuestMemory.PROT_WRITE), off);
    }

    private long pwrite(long fd, long buf, long count, long off) throws FsError {
        OpenFile f = p.file(fd);
        if (off < 0) {
            return Errno.EINVAL.negated();
        }
        if (!f.writable()) {
            return Errno.EBADF.negated();
        }
        int n = GuestMemory.ioCount(buf, count);
        return n == 0 ? 0 : f.pwrite(mem.reachable(buf, n, GuestMemory.PROT_READ), off);
    }

    /**
     * The buffers of an iovec array, as Linux imports it: more than 1024 entries is EINVAL; every
     * entry is read first (a negative length: EINVAL), then each must pass access_ok (EFAULT), then
     * lengths are cut so the total stays within MAX_RW_COUNT; the copy reaches up to the first
     * unmapped byte (fuzz finding: lengths past 2 GiB were EINVAL, a partly mapped buffer EFAULT).
     */
    ByteBuffer[] iovecs(long iov, long cnt, boolean intoGuest) throws FsError {
        if (cnt < 0 || cnt > 1024) {
            throw new FsError(Errno.EINVAL);
        }
        long[] base = new long[(int) cnt], len = new long[(int) cnt];
        for (int i = 0; i < cnt; i++) {
            base[i] = mem.readLong(iov + 16L * i);
            len[i] = mem.readLong(iov + 16L * i + 8);
            if (len[i] < 0) {
                throw new FsError(Errno.EINVAL);
            }
        }
        long total = 0;
        for (int i = 0; i < cnt; i++) {
            if (!GuestMemory.accessOk(base[i], len[i])) {
                throw new GuestMemory.Fault(base[i]);
            }
            len[i] = Math.min(len[i], GuestMemory.MAX_RW_COUNT - total);
            total += len[i];
        }
        List<ByteBuffer> list = new java.util.ArrayList<>();
        for (int i = 0; i < cnt; i++) {
            if (len[i] == 0) {
                continue;
            }
            ByteBuffer[] b;
            try {
                b = mem.reachable(base[i], (int) len[i], intoGuest ? GuestMemory.PROT_WRITE : GuestMemory.PROT_READ);
            } catch (GuestMemory.Fault f) {
                if (list.isEmpty()) {
                    throw f;
                }
                break;
            }
            list.addAll(List.of(b));
            if (java.util.Arrays.stream(b).mapToLong(ByteBuffer::remaining).sum() < len[i]) {
                break;   // the copy stops at the fault
            }
        }
        return list.toArray(new ByteBuffer[0]);
    }

    private long readv(long fd, long iov, long cnt) throws FsError {
        OpenFile f = p.file(fd);
        if (!f.readable()) {
            return Errno.EBADF.negated();
        }
        ByteBuffer[] b = iovecs(iov, cnt, true);
        return b.length == 0 ? 0 : f.read(b);
    }

    private long writev(long fd, long iov, long cnt) throws FsError {
        OpenFile f = p.file(fd);
        if (!f.writable()) {
            return Errno.EBADF.negated();
        }
        ByteBuffer[] b = iovecs(iov, cnt, false);
        return b.length == 0 ? 0 : f.write(b);
    }

    private long close(long fd) throws FsError {
        if (fd < 0 || fd >= KvmProcess.MAX_FDS) {
            return Errno.EBADF.negated();
        }
        p.close((int) fd);
        return 0;
    }

    private long dup(long fd) throws FsError {
        OpenFile f = p.file(fd);
        f.retain();
        return p.install(f, false, 0);
    }

    private long dup3(long oldfd, long newfd, long flags, boolean dup2) throws FsError {
        if ((flags & ~O_CLOEXEC) != 0) {   // fuzz finding: unknown flags were ignored
            return Errno.EINVAL.negated();
        }
        OpenFile f = p.file(oldfd);
        if (newfd < 0 || newfd >= KvmProcess.MAX_FDS) {
            return Errno.EBADF.negated();
        }
        if (oldfd == newfd) {
            return dup2 ? newfd : Errno.EINVAL.negated();
        }
        if (p.fds[(int) newfd] != null) {
            p.close((int) newfd);
        }
        f.retain();
        p.fds[(int) newfd] = f;
        p.cloexec[(int) newfd] = (flags & O_CLOEXEC) != 0;
        return newfd;
    }

    private long fcntl(long fd, int cmd, long arg) throws FsError {
        OpenFile f = p.file(fd);
        return switch (cmd) {
            case 0, 1030 -> {
                f.retain();
                yield p.install(f, cmd == 1030, (int) arg);
            }
            case 1 -> p.cloexec[(int) fd] ? 1 : 0;
            case 2 -> {
                p.cloexec[(int) fd] = (arg & 1) != 0;
                yield 0;
            }
            case 3 -> f.accessMode | f.statusFlags;
            case 4 -> {
                f.statusFlags = (int) (arg & (O_APPEND | O_NONBLOCK));
                yield 0;
            }
            case 5, 6, 7, 36, 37, 38 -> 0;   // record locks: one process, nothing to contend with
            default -> Errno.EINVAL.negated();
        };
    }

    private long ioctl(long fd, long req) throws FsError {
        p.file(fd);
        return Errno.ENOTTY.negated();   // no terminals in a sandbox
    }

    private long pipe2(long fds, long flags) throws FsError {
        ByteQueue q = new ByteQueue(1 << 16);
        QueueFile r = new QueueFile(q, false, task.sandbox::aborted, null, 20);
        QueueFile w = new QueueFile(q, true, task.sandbox::aborted, null, 20);
        r.statusFlags = w.statusFlags = (int) (flags & O_NONBLOCK);
        int a = p.install(r, (flags & O_CLOEXEC) != 0, 0);
        int b;
        try {
            b = p.install(w, (flags & O_CLOEXEC) != 0, 0);
        } catch (FsError e) {
            p.close(a);
            throw e;
        }
        try {
            mem.writeInt(fds, a);
            mem.writeInt(fds + 4, b);
        } catch (GuestMemory.Fault f) {   // fuzz finding: the pair stayed open; Linux closes it
            p.close(a);
            p.close(b);
            throw f;
        }
        return 0;
    }

    private long poll(long fds, long nfds, long timeoutMs) throws FsError {
        return doPoll(fds, nfds, timeoutMs < 0 ? -1 : timeoutMs * 1_000_000L);
    }

    private long ppoll(long fds, long nfds, long tsp) throws FsError {
        long timeout = -1;
        if (tsp != 0) {
            timeout = mem.readLong(tsp) * 1_000_000_000L + mem.readLong(tsp + 8);
        }
        return doPoll(fds, nfds, timeout);
    }

    private long doPoll(long fds, long nfds, long timeoutNs) throws FsError {
        if (nfds < 0 || nfds > KvmProcess.MAX_FDS) {
            return Errno.EINVAL.negated();
        }
        if (!GuestMemory.accessOk(fds, nfds * 8)) {   // fuzz finding: Linux checks the array's range even for 0 entries
            return Errno.EFAULT.negated();
        }
        long until = timeoutNs < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNs;
        Readiness wait = new Readiness((int) nfds);
        while (true) {
            wait.reset();
            int ready = 0;
            for (int i = 0; i < nfds; i++) {
                long e = fds + 8L * i;
                int fd = mem.readInt(e);
                int events = mem.readInt(e + 4) & 0xffff;
                int rev = 0;
                if (fd >= 0) {
                    if (fd >= KvmProcess.MAX_FDS || p.fds[fd] == null) {
                        rev = OpenFile.POLLNVAL;
                    } else {
                        OpenFile f = p.fds[fd];
                        rev = f.poll() & (events | OpenFile.POLLERR | OpenFile.POLLHUP);
                        wait.add(f, events);
                    }
                }
                mem.write(e + 6, new byte[] {(byte) rev, (byte) (rev >>> 8)});
                if (rev != 0) {
                    ready++;
                }
            }
            if (ready > 0 || System.nanoTime() >= until) {
                return ready;
            }
            if (!wait.await(until)) {
                return Errno.EINTR.negated();
            }
        }
    }

    private long select(long nfds, long readVa, long writeVa, long exceptVa, long tvVa) throws FsError {
        long timeout = -1;
        if (tvVa != 0) {
            long sec = mem.readLong(tvVa), usec = mem.readLong(tvVa + 8);
            if (sec < 0 || usec < 0 || usec >= 1_000_000) {
                return Errno.EINVAL.negated();
            }
            timeout = Math.min(sec, 1L << 30) * 1_000_000_000L + usec * 1000;
        }
        long until = timeout < 0 ? Long.MAX_VALUE : System.nanoTime() + timeout;
        long r = doSelect(nfds, readVa, writeVa, exceptVa, until);
        if (tvVa != 0 && r >= 0) {   // Linux writes back the time left
            long left = Math.max(0, until - System.nanoTime());
            mem.writeLong(tvVa, left / 1_000_000_000L);
            mem.writeLong(tvVa + 8, (left % 1_000_000_000L) / 1000);
        }
        return r;
    }

    private long pselect6(long nfds, long readVa, long writeVa, long exceptVa, long tsVa) throws FsError {
        long until = Long.MAX_VALUE;
        if (tsVa != 0) {
            long sec = mem.readLong(tsVa), nsec = mem.readLong(tsVa + 8);
            if (sec < 0 || nsec < 0 || nsec >= 1_000_000_000L) {
                return Errno.EINVAL.negated();
            }
            until = System.nanoTime() + Math.min(sec, 1L << 30) * 1_000_000_000L + nsec;
        }
        return doSelect(nfds, readVa, writeVa, exceptVa, until);   // the signal mask: no signals are delivered
    }

    /** select(2) over fd_set bitmaps: readable (or at end/hung up), writable; no exceptional conditions exist here. */
    private long doSelect(long nfds, long readVa, long writeVa, long exceptVa, long until) throws FsError {
        if ((int) nfds < 0) {   // an int, as Linux reads it; past the table it is cut, not refused (fuzz finding)
            return Errno.EINVAL.negated();
        }
        nfds = Math.min((int) nfds, KvmProcess.MAX_FDS);
        int n = (int) nfds;
        int words = (n + 63) / 64;
        long[] in = bitmap(readVa, words), out = bitmap(writeVa, words), ex = bitmap(exceptVa, words);
        for (int fd = 0; fd < n; fd++) {
            if (isSet(in, fd) || isSet(out, fd) || isSet(ex, fd)) {
                p.file(fd);   // EBADF for a closed descriptor in any set
            }
        }
        Readiness wait = new Readiness(n);
        while (true) {
            wait.reset();
            long[] rIn = new long[words], rOut = new long[words];
            int ready = 0;
            for (int fd = 0; fd < n; fd++) {
                boolean r = isSet(in, fd), w = isSet(out, fd);
                if (!r && !w) {
                    continue;
                }
                OpenFile f = p.file(fd);
                int ev = f.poll();
                if (r && (ev & (OpenFile.POLLIN | OpenFile.POLLHUP | OpenFile.POLLERR)) != 0) {
                    rIn[fd >>> 6] |= 1L << (fd & 63);
                    ready++;
                }
                if (w && (ev & (OpenFile.POLLOUT | OpenFile.POLLERR)) != 0) {
                    rOut[fd >>> 6] |= 1L << (fd & 63);
                    ready++;
                }
                wait.add(f, (r ? OpenFile.POLLIN : 0) | (w ? OpenFile.POLLOUT : 0));
            }
            if (ready > 0 || System.nanoTime() >= until) {
                writeBitmap(readVa, rIn);
                writeBitmap(writeVa, rOut);
                writeBitmap(exceptVa, new long[words]);
                return ready;
            }
            if (!wait.await(until)) {
                return Errno.EINTR.negated();
            }
        }
    }

    private long[] bitmap(long va, int words) {
        long[] b = new long[words];
        if (va != 0) {
            for (int i = 0; i < words; i++) {
                b[i] = mem.readLong(va + 8L * i);
            }
        }
        return b;
    }

    private void writeBitmap(long va, long[] b) {
        if (va != 0) {
            for (int i = 0; i < b.length; i++) {
                mem.writeLong(va + 8L * i, b[i]);
            }
        }
    }

    private static boolean isSet(long[] b, int fd) {
        return (b[fd >>> 6] & (1L << (fd & 63))) != 0;
    }

    /**
     * The wait of poll and select between two looks at their descriptors: on the loopback's
     * selector when sockets are among them (woken by data, a new connection or the end of the
     * sandbox; 20 ms slices when only sockets are watched), else a 5 ms sleep.
     */
    private final class Readiness {
        private final SelectionKey[] keys;
        private final int[] interests;
        private int waitable;
        private boolean sockets;
        private boolean others;

        Readiness(int n) {
            keys = new SelectionKey[n];
            interests = new int[n];
        }

        void reset() {
            waitable = 0;
            sockets = false;
            others = false;
        }

        void add(OpenFile f, int events) {
            if (!(f instanceof SocketFile s)) {
                others = true;
                return;
            }
            sockets = true;
            SelectionKey k = s.waitKey();
            if (k != null && waitable < keys.length) {
                keys[waitable] = k;
                interests[waitable++] = ((events & OpenFile.POLLIN) != 0 ? SelectionKey.OP_READ : 0)
                        | ((events & OpenFile.POLLOUT) != 0 ? SelectionKey.OP_WRITE : 0);
            }
        }

        /** Waits one slice (at most until {@code until}); false when the sandbox is ending. */
        boolean await(long until) {
            if (task.sandbox.aborted()) {
                return false;
            }
            long left = until - System.nanoTime();
            long sliceMs = Math.max(1, Math.min(sockets && !others ? 20 : 5, (left + 999_999) / 1_000_000));
            if (sockets) {
                task.sandbox.loopback.await(keys, interests, waitable, sliceMs);
                return true;
            }
            try {
                Thread.sleep(sliceMs);
                return true;
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    // ------------------------------------------------------------------ paths

    private String path(long va) throws FsError {
        String s = mem.readCString(va, 4096);
        if (s == null) {
            throw new FsError(Errno.ENAMETOOLONG);
        }
        return s;
    }

    private String base(long dirfd, String path) throws FsError {
        if (path.startsWith("/") || (int) dirfd == AT_FDCWD) {
            return p.cwd;
        }
        String d = p.file(dirfd).directoryPath();
        if (d == null) {
            throw new FsError(Errno.ENOTDIR);
        }
        return d;
    }

    private VirtualFs.Resolved resolve(long dirfd, long pathVa, boolean follow) throws FsError {
        String path = path(pathVa);
        return p.fs.resolve(base(dirfd, path), path, follow);
    }

    private long openat(long dirfd, long pathVa, long flags, long mode) throws FsError {
        int fl = (int) flags;
        int acc = fl & O_ACCMODE;
        if (acc == 3) {
            return Errno.EINVAL.negated();
        }
        if ((fl & O_PATH) != 0) {
            acc = 0;
        }
        String path = path(pathVa);
        boolean follow = (fl & O_NOFOLLOW) == 0 && !((fl & O_CREAT) != 0 && (fl & O_EXCL) != 0);
        VirtualFs.Resolved r = p.fs.resolve(base(dirfd, path), path, follow);
        boolean cloexec = (fl & O_CLOEXEC) != 0;
        if (r.synthetic()) {
            if ((fl & O_CREAT) != 0 && (fl & O_EXCL) != 0) {
                return Errno.EEXIST.negated();
            }
            if (r.path().equals("/dev")) {
                return acc != 0 ? Errno.EISDIR.negated() : p.install(new HostDir(p.fs, "/dev", null), cloexec, 0);
            }
            if ((fl & O_DIRECTORY) != 0) {
                return Errno.ENOTDIR.negated();
            }
            return p.install(new DevFile(r.path(), acc), cloexec, 0);
        }
        BasicFileAttributes a = null;
        try {
            a = Files.readAttributes(r.host(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            // does not exist
        }
        if (a != null) {
            if ((fl & O_CREAT) != 0 && (fl & O_EXCL) != 0) {
                return Errno.EEXIST.negated();
            }
            if (a.isSymbolicLink()) {
                return Errno.ELOOP.negated();
            }
            if (a.isDirectory()) {
                if (acc != 0) {
                    return Errno.EISDIR.negated();
                }
                return p.install(new HostDir(p.fs, r.path(), r.host()), cloexec, 0);
            }
            if (!a.isRegularFile()) {
                return Errno.EACCES.negated();   // device nodes, FIFOs and sockets of the host are never opened
            }
            if ((fl & O_DIRECTORY) != 0) {
                return Errno.ENOTDIR.negated();
            }
            if (acc != 0 || (fl & O_TRUNC) != 0) {
                VirtualFs.checkWritable(r);
            }
        } else {
            if ((fl & O_CREAT) == 0) {
                return Errno.ENOENT.negated();
            }
            VirtualFs.checkWritable(r);
            if (!Files.isDirectory(r.host().getParent(), LinkOption.NOFOLLOW_LINKS)) {
                return Errno.ENOENT.negated();
            }
        }
        Set<OpenOption> opts = new HashSet<>();
        opts.add(LinkOption.NOFOLLOW_LINKS);
        if (acc == 0 || acc == 2) {
            opts.add(StandardOpenOption.READ);
        }
        if (acc == 1 || acc == 2) {
            opts.add(StandardOpenOption.WRITE);
        }
        if ((fl & O_CREAT) != 0) {
            opts.add(StandardOpenOption.CREATE);
            if (a == null) {
                opts.add(StandardOpenOption.WRITE);
            }
        }
        boolean truncate = (fl & O_TRUNC) != 0 && acc != 0;
        if (truncate) {
            opts.add(StandardOpenOption.TRUNCATE_EXISTING);
        }
        DiskBound bound = r.mount().bound();
        if (bound != null && a == null) {
            bound.checkNewFile();
        }
        try {
            FileChannel ch = FileChannel.open(r.host(), opts);
            DiskBound.Node node = null;
            if (bound != null) {
                try {
                    node = a == null ? created(r, 0) : bound.node(a.fileKey(), a.size());
                } catch (FsError e) {
                    ch.close();
                    throw e;
                }
                if (truncate) {
                    bound.sized(node, 0);
                }
            }
            return p.install(new HostFile(ch, r.host(), acc, fl & (O_APPEND | O_NONBLOCK), sizeLimit, bound, node), cloexec, 0);
        } catch (NoSuchFileException e) {
            return Errno.ENOENT.negated();
        } catch (java.nio.file.AccessDeniedException e) {
            return Errno.EACCES.negated();
        } catch (java.nio.file.FileSystemException e) {
            return Errno.EACCES.negated();
        } catch (IOException e) {
            return Errno.EIO.negated();
        }
    }

    /**
     * Counts a file, directory or symlink just made at {@code r} in its mount's disk bound; past the
     * bound it is removed again and the call fails with ENOSPC.
     */
    private static DiskBound.Node created(VirtualFs.Resolved r, long bytes) throws FsError {
        DiskBound bound = r.mount().bound();
        Object key;
        try {
            key = Files.readAttributes(r.host(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            throw new FsError(Errno.EIO);
        }
        try {
            return bound.created(key, bytes);
        } catch (FsError e) {
            try {
                Files.deleteIfExists(r.host());
            } catch (IOException ignored) {
                // still counted nowhere; the sandbox's directory is deleted at its end
            }
            throw e;
        }
    }

    /** The host inode at {@code r}, or null when nothing is there. */
    private static Object fileKey(VirtualFs.Resolved r) {
        try {
            return Files.readAttributes(r.host(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /** fallocate(2): mode 0 only (the file grows, within the file size limit and the disk bound). */
    private long fallocate(long fd, long mode, long offset, long length) throws FsError {
        OpenFile f = p.file(fd);
        if (!(f instanceof HostFile h)) {
            return f.directoryPath() != null ? Errno.EISDIR.negated() : Errno.ESPIPE.negated();
        }
        if (mode != 0) {
            return Errno.EOPNOTSUPP.negated();
        }
        h.allocate(offset, length);
        return 0;
    }

    private FileStat statOf(VirtualFs.Resolved r) throws FsError {
        if (r.synthetic()) {
            return r.path().equals("/dev") ? FileStat.synthetic(FileStat.S_IFDIR | 0755, 0, 2)
                    : new DevFile(r.path(), 0).stat();
        }
        try {
            return FileStat.ofHost(r.host());
        } catch (IOException e) {
            throw new FsError(Errno.ENOENT);
        }
    }

    private long fstat(long fd, long buf) throws FsError {
        writeStat(buf, p.file(fd).stat());
        return 0;
    }

    private long fstatat(long dirfd, long pathVa, long buf, long flags) throws FsError {
        if ((flags & AT_EMPTY_PATH) != 0 && mem.readCString(pathVa, 1) != null && mem.readCString(pathVa, 1).isEmpty()) {
            if ((int) dirfd == AT_FDCWD) {
                writeStat(buf, statOf(p.fs.resolve("/", p.cwd, true)));
                return 0;
            }
            return fstat(dirfd, buf);
        }
        writeStat(buf, statOf(resolve(dirfd, pathVa, (flags & AT_SYMLINK_NOFOLLOW) == 0)));
        return 0;
    }

    private void writeStat(long buf, FileStat s) {
        ByteBuffer b = ByteBuffer.allocate(144).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, s.dev()).putLong(8, s.ino()).putLong(16, s.nlink()).putInt(24, s.mode()).putInt(28, s.uid())
                .putInt(32, s.gid()).putLong(40, s.rdev()).putLong(48, s.size()).putLong(56, s.blksize())
                .putLong(64, s.blocks())
                .putLong(72, s.atimeNs() / 1_000_000_000L).putLong(80, s.atimeNs() % 1_000_000_000L)
                .putLong(88, s.mtimeNs() / 1_000_000_000L).putLong(96, s.mtimeNs() % 1_000_000_000L)
                .putLong(104, s.ctimeNs() / 1_000_000_000L).putLong(112, s.ctimeNs() % 1_000_000_000L);
        mem.write(buf, b.array());
    }

    private long statx(long dirfd, long pathVa, long flags, long mask, long buf) throws FsError {
        FileStat s;
        String path = path(pathVa);
        if (path.isEmpty() && (flags & AT_EMPTY_PATH) != 0) {
            s = (int) dirfd == AT_FDCWD ? statOf(p.fs.resolve("/", p.cwd, true)) : p.file(dirfd).stat();
        } else {
            s = statOf(p.fs.resolve(base(dirfd, path), path, (flags & AT_SYMLINK_NOFOLLOW) == 0));
        }
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x7ff).putInt(4, (int) s.blksize()).putInt(16, (int) s.nlink()).putInt(20, s.uid()).putInt(24, s.gid())
                .putShort(28, (short) s.mode()).putLong(32, s.ino()).putLong(40, s.size()).putLong(48, s.blocks());
        long[] times = {s.atimeNs(), s.ctimeNs(), s.ctimeNs(), s.mtimeNs()};   // atime, btime, ctime, mtime
        for (int i = 0; i < 4; i++) {
            b.putLong(64 + 16 * i, times[i] / 1_000_000_000L).putInt(72 + 16 * i, (int) (times[i] % 1_000_000_000L));
        }
        b.putInt(128, (int) ((s.rdev() >>> 8) & 0xfff)).putInt(132, (int) (s.rdev() & 0xff))
                .putInt(136, (int) ((s.dev() >>> 8) & 0xfff)).putInt(140, (int) (s.dev() & 0xff));
        mem.write(buf, b.array());
        return 0;
    }

    private long getdents64(long fd, long buf, long count) throws FsError {
        OpenFile f = p.file(fd);
        if (f.directoryPath() == null) {
            return Errno.ENOTDIR.negated();
        }
        int written = 0;
        // fuzz finding: a negative count reached the allocation; Linux reads it as an int (negative: EINVAL)
        ByteBuffer out = ByteBuffer.allocate(Math.max(0, Math.min((int) count, 1 << 20))).order(ByteOrder.LITTLE_ENDIAN);
        while (true) {
            List<OpenFile.DirEntry> es = f.readDir(1);
            if (es.isEmpty()) {
                break;
            }
            OpenFile.DirEntry e = es.get(0);
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            int reclen = (19 + name.length + 1 + 7) & ~7;
            if (written + reclen > out.capacity()) {
                ((HostDir) f).unread(1);
                if (written == 0) {
                    return Errno.EINVAL.negated();
                }
                break;
            }
            out.putLong(written, e.ino()).putLong(written + 8, written + reclen).putShort(written + 16, (short) reclen)
                    .put(written + 18, (byte) e.type());
            out.position(written + 19);
            out.put(name);
            written += reclen;
        }
        mem.write(buf, out.array(), 0, written);
        return written;
    }

    private long readlinkat(long dirfd, long pathVa, long buf, long size) throws FsError {
        String path = path(pathVa);
        if (size <= 0) {
            return Errno.EINVAL.negated();
        }
        String target;
        if (path.equals("/proc/self/exe")) {
            target = p.execPath;
        } else {
            VirtualFs.Resolved r = p.fs.resolve(base(dirfd, path), path, false);
            if (r.synthetic()) {
                return Errno.EINVAL.negated();
            }
            if (!Files.isSymbolicLink(r.host())) {
                return Files.exists(r.host(), LinkOption.NOFOLLOW_LINKS) ? Errno.EINVAL.negated() : Errno.ENOENT.negated();
            }
            try {
                target = Files.readSymbolicLink(r.host()).toString();
            } catch (IOException e) {
                return Errno.EIO.negated();
            }
        }
        byte[] b = target.getBytes(StandardCharsets.UTF_8);
        int n = (int) Math.min(b.length, size);
        mem.write(buf, b, 0, n);
        return n;
    }

    private long faccessat(long dirfd, long pathVa, long mode) throws FsError {
        VirtualFs.Resolved r = resolve(dirfd, pathVa, true);
        if (r.synthetic()) {
            return 0;
        }
        if (!Files.exists(r.host(), LinkOption.NOFOLLOW_LINKS)) {
            return Errno.ENOENT.negated();
        }
        if ((mode & 2) != 0 && r.mount().readOnly()) {
            return Errno.EROFS.negated();
        }
        if ((mode & 4) != 0 && !Files.isReadable(r.host())) {
            return Errno.EACCES.negated();
        }
        if ((mode & 1) != 0 && !Files.isExecutable(r.host())) {
            return Errno.EACCES.negated();
        }
        return 0;
    }

    private long getcwd(long buf, long size) {
        byte[] b = p.cwd.getBytes(StandardCharsets.UTF_8);
        if (b.length + 1 > size) {
            return Errno.ERANGE.negated();
        }
        mem.write(buf, b);
        mem.write(buf + b.length, new byte[1]);
        return b.length + 1;
    }

    private long chdir(long pathVa) throws FsError {
        VirtualFs.Resolved r = resolve(AT_FDCWD, pathVa, true);
        if (!statOf(r).isDirectory()) {
            return Errno.ENOTDIR.negated();
        }
        p.cwd = r.path();
        return 0;
    }

    private long fchdir(long fd) throws FsError {
        String d = p.file(fd).directoryPath();
        if (d == null) {
            return Errno.ENOTDIR.negated();
        }
        p.cwd = d;
        return 0;
    }

    private long mkdirat(long dirfd, long pathVa, long mode) throws FsError {
        VirtualFs.Resolved r = resolve(dirfd, pathVa, false);
        if (r.synthetic()) {
            return Errno.EEXIST.negated();
        }
        if (Files.exists(r.host(), LinkOption.NOFOLLOW_LINKS)) {
            return Errno.EEXIST.negated();
        }
        VirtualFs.checkWritable(r);
        DiskBound bound = r.mount().bound();
        if (bound != null) {
            bound.checkNewFile();
        }
        try {
            Files.createDirectory(r.host());
            if (bound != null) {
                created(r, 0);
            }
            return 0;
        } catch (FileAlreadyExistsException e) {
            return Errno.EEXIST.negated();
        } catch (NoSuchFileException e) {
            return Errno.ENOENT.negated();
        } catch (IOException e) {
            return Errno.EACCES.negated();
        }
    }

    private long symlinkat(long targetVa, long dirfd, long pathVa) throws FsError {
        String target = path(targetVa);
        VirtualFs.Resolved r = resolve(dirfd, pathVa, false);
        VirtualFs.checkWritable(r);
        DiskBound bound = r.mount().bound();
        if (bound != null) {
            bound.checkNewFile();
        }
        try {
            // the target is stored as written; the resolver re-roots it inside the sandbox whenever it is followed
            Files.createSymbolicLink(r.host(), java.nio.file.Path.of(target));
            if (bound != null) {
                created(r, target.getBytes(StandardCharsets.UTF_8).length);
            }
            return 0;
        } catch (FileAlreadyExistsException e) {
            return Errno.EEXIST.negated();
        } catch (NoSuchFileException e) {
            return Errno.ENOENT.negated();
        } catch (IOException | java.nio.file.InvalidPathException e) {
            return Errno.EACCES.negated();
        }
    }

    private long unlinkat(long dirfd, long pathVa, long flags) throws FsError {
        VirtualFs.Resolved r = resolve(dirfd, pathVa, false);
        if (r.synthetic()) {
            return Errno.EACCES.negated();
        }
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(r.host(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return Errno.ENOENT.negated();
        }
        VirtualFs.checkWritable(r);
        if (r.mount().at().equals(r.path())) {
            return Errno.EBUSY.negated();
        }
        boolean rmdir = (flags & AT_REMOVEDIR) != 0;
        if (rmdir && !a.isDirectory()) {
            return Errno.ENOTDIR.negated();
        }
        if (!rmdir && a.isDirectory()) {
            return Errno.EISDIR.negated();
        }
        try {
            Files.delete(r.host());
            if (r.mount().bound() != null) {
                r.mount().bound().removed(a.fileKey());
            }
            return 0;
        } catch (DirectoryNotEmptyException e) {
            return Errno.ENOTEMPTY.negated();
        } catch (NoSuchFileException e) {
            return Errno.ENOENT.negated();
        } catch (IOException e) {
            return Errno.EACCES.negated();
        }
    }

    private long renameat(long olddir, long oldVa, long newdir, long newVa) throws FsError {
        VirtualFs.Resolved from = resolve(olddir, oldVa, false);
        VirtualFs.Resolved to = resolve(newdir, newVa, false);
        VirtualFs.checkWritable(from);
        VirtualFs.checkWritable(to);
        if (from.mount() != to.mount()) {
            return Errno.EXDEV.negated();
        }
        Object moved = fileKey(from);
        if (moved == null) {
            return Errno.ENOENT.negated();
        }
        Object replaced = fileKey(to);   // what a rename over frees
        try {
            try {
                Files.move(from.host(), to.host(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(from.host(), to.host(), StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
            }
            if (to.mount().bound() != null && replaced != null && !replaced.equals(moved)) {
                to.mount().bound().removed(replaced);
            }
            return 0;
        } catch (DirectoryNotEmptyException e) {
            return Errno.ENOTEMPTY.negated();
        } catch (NoSuchFileException e) {
            return Errno.ENOENT.negated();
        } catch (IOException e) {
            return Errno.EACCES.negated();
        }
    }

    private long truncate(long pathVa, long len) throws FsError {
        VirtualFs.Resolved r = resolve(AT_FDCWD, pathVa, true);
        VirtualFs.checkWritable(r);
        if (r.synthetic() || !Files.isRegularFile(r.host(), LinkOption.NOFOLLOW_LINKS)) {
            return Errno.EINVAL.negated();
        }
        DiskBound bound = r.mount().bound();
        FileChannel ch;
        try {
            ch = FileChannel.open(r.host(), StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return Errno.EACCES.negated();
        }
        HostFile f = new HostFile(ch, r.host(), 1, 0, sizeLimit, bound,
                bound == null ? null : bound.node(fileKey(r), r.host().toFile().length()));
        try {
            f.truncate(len);
            return 0;
        } finally {
            f.release();
        }
    }
}
