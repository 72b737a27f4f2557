package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.nativeinterop.HostCalls;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.ProcText;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * Information calls answered from the sandbox's view, not the host's: uname, sysinfo, resource
 * limits and usage, getrandom.
 */
final class SysInfo {

    static final String NODENAME = "sandbox";
    private static final String RELEASE = ProcText.RELEASE;
    /** What sysinfo reports as total memory when the sandbox has no memory limit. */
    private static final long UNLIMITED_MEMORY = 4L << 30;
    private static final int RLIM_NLIMITS = VirtualProcess.RLIM_NLIMITS;
    private static final int GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;
    /** The most one getrandom call fills; Linux, too, may return less than asked. */
    private static final int MAX_RANDOM = 1 << 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private SysInfo() {
    }

    /** The struct utsname the sandbox sees: six 65-byte fields. */
    static byte[] utsname() {
        String[] fields = {"Linux", NODENAME, RELEASE, ProcText.VERSION, "x86_64", "(none)"};
        byte[] out = new byte[6 * 65];
        for (int i = 0; i < fields.length; i++) {
            byte[] f = fields[i].getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(f, 0, out, i * 65, Math.min(f.length, 64));
        }
        return out;
    }

    private static final byte[] UTSNAME = utsname();

    /** Uname implements Linux syscall uname(2). */
    static long uname(SyscallContext c) {
        return c.write(c.arg(0), UTSNAME) ? 0 : Errno.EFAULT.negated();
    }

    /** Sysinfo implements Linux syscall sysinfo(2): limits of the sandbox, its own uptime and process count. */
    static long sysinfo(SyscallContext c) {
        long total = c.memoryLimit() > 0 ? c.memoryLimit() : UNLIMITED_MEMORY;
        long used = c.memoryUsed();
        ByteBuffer b = ByteBuffer.allocate(112).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, c.uptimeNanos() / 1_000_000_000L);
        b.putLong(32, total);                                       // totalram
        b.putLong(40, used < 0 ? total / 2 : Math.max(0, total - used));   // freeram (half when unknown)
        b.putShort(80, (short) Math.min(c.taskCount(), 65535));
        b.putInt(104, 1);                                           // mem_unit
        return c.write(c.arg(0), b.array()) ? 0 : Errno.EFAULT.negated();
    }

    /** The soft and hard limit of a resource, as the sandbox enforces them (-1: none). */
    private static long[] rlimit(SyscallContext c, int res) throws FsError {
        if (res < 0 || res >= RLIM_NLIMITS) {
            throw new FsError(Errno.EINVAL);
        }
        return c.process().rlimit(c.limits(), res);
    }

    /** Getrlimit implements Linux syscall getrlimit(2). */
    static long getrlimit(SyscallContext c) throws FsError {
        long[] l = rlimit(c, (int) c.arg(0));
        c.memory().writeLong(c.arg(1), l[0]);
        c.memory().writeLong(c.arg(1) + 8, l[1]);
        return 0;
    }

    /** Prlimit64 implements Linux syscall prlimit64(2): reads; new limits are accepted and the sandbox's stay in force. */
    static long prlimit64(SyscallContext c) throws FsError {
        long pid = c.arg(0);
        if (pid != 0 && pid != c.pid()) {
            return Errno.ESRCH.negated();
        }
        long[] l = rlimit(c, (int) c.arg(1));
        if (c.arg(2) != 0) {
            long soft = c.memory().readLong(c.arg(2)), hard = c.memory().readLong(c.arg(2) + 8);
            if (Long.compareUnsigned(soft, hard) > 0) {
                return Errno.EINVAL.negated();
            }
        }
        if (c.arg(3) != 0) {
            c.memory().writeLong(c.arg(3), l[0]);
            c.memory().writeLong(c.arg(3) + 8, l[1]);
        }
        return 0;
    }

    /** Getrusage implements Linux syscall getrusage(2): CPU time and peak memory. */
    static long getrusage(SyscallContext c) {
        int who = (int) c.arg(0);
        if (who != 0 && who != -1 && who != 1) {   // RUSAGE_SELF, _CHILDREN, _THREAD
            return Errno.EINVAL.negated();
        }
        long cpu = who == -1 ? 0 : c.cpuNanos();
        ByteBuffer b = ByteBuffer.allocate(144).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, cpu / 1_000_000_000L).putLong(8, (cpu / 1000) % 1_000_000);
        b.putLong(32, who == -1 ? 0 : c.process().mem.peakUserBytes() / 1024);
        c.memory().write(c.arg(1), b.array());
        return 0;
    }

    /** Getrandom implements Linux syscall getrandom(2). */
    static long getrandom(SyscallContext c) throws FsError {
        long len = randomCount(c);
        if (len <= 0) {
            return len;
        }
        int n = (int) Math.min(len, MAX_RANDOM);
        var into = SysArgs.buffers(c.memory(), c.arg(0), n, true);
        long total = 0;
        for (var b : into) {
            byte[] r = new byte[b.remaining()];
            RANDOM.nextBytes(r);
            b.put(r);
            total += r.length;
        }
        return total;
    }

    /** getrandom's flags and buffer checked as Linux does: the count to fill (0: none), or a negated errno. */
    private static long randomCount(SyscallContext c) {
        long flags = c.arg(2);
        if ((flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) != 0
                || (flags & (GRND_RANDOM | GRND_INSECURE)) == (GRND_RANDOM | GRND_INSECURE)) {
            return Errno.EINVAL.negated();
        }
        long len = Long.compareUnsigned(c.arg(1), Integer.MAX_VALUE) > 0 ? Integer.MAX_VALUE : c.arg(1);   // cut first, as Linux does
        return SysArgs.userRange(c.arg(0), len) ? len : Errno.EFAULT.negated();
    }

    private static final int NR_GETRANDOM = 318, RANDOM_CHUNK = 4096, IOV = 0, CHUNK = 64;

    /**
     * Getrandom served where the host kernel keeps the process (ptrace): the Sentry draws from the
     * host's generator for itself and copies page-sized chunks into the program, at most
     * {@link #MAX_RANDOM} bytes a call (any count up to 256 comes whole, as Linux promises). A
     * buffer that ends early gives what was copied, or EFAULT for none, as Linux.
     */
    static long getrandomServed(SyscallContext c) {
        long len = randomCount(c);
        if (len <= 0) {
            return len;
        }
        HostTask t = c.hostTask();
        var s = t.scratch();
        long want = Math.min(len, MAX_RANDOM), done = 0;
        while (done < want) {
            int n = (int) Math.min(want - done, RANDOM_CHUNK);
            long got = HostCalls.call(NR_GETRANDOM, s.at(CHUNK), n, 0);
            if (got <= 0) {
                return done > 0 ? done : got < 0 ? got : Errno.EAGAIN.negated();
            }
            long copied = HostCalls.copy(t.hostTid(), true, s.at(IOV), s.at(CHUNK), c.arg(0) + done, got);
            done += Math.max(0, copied);
            if (copied != got) {
                break;
            }
        }
        return done > 0 ? done : Errno.EFAULT.negated();
    }
}
