package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.nativeinterop.HostCalls;
import dev.palisade.sandbox.nativeinterop.NativeScratch;
import dev.palisade.sandbox.sentry.vfs.FsError;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/** Clocks and sleeping. A sleep ends early (EINTR) when the sandbox is ending. */
final class SysTime {
    private static final int TIMER_ABSTIME = 1;
    private static final int NR_GETTIMEOFDAY = 96, NR_CLOCK_GETRES = 229, AT_FDCWD = -100, O_RDONLY_CLOEXEC = 02000000;
    /** Scratch area of a served call for a status file's name and text, and how much of it is read. */
    private static final int STATUS = 64, STATUS_READ = 4096;

    private SysTime() {
    }

    static long realtimeNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private static long clockNanos(SyscallContext c, long clock) throws FsError {
        return switch ((int) clock == clock ? (int) clock : -1) {
            case 0, 5, 8, 11 -> c.clockNanos(true);   // REALTIME, REALTIME_COARSE, REALTIME_ALARM, TAI
            case 1, 4, 6, 7, 9 -> c.clockNanos(false);   // MONOTONIC, _RAW, _COARSE, BOOTTIME, BOOTTIME_ALARM
            case 2, 3 -> c.cpuNanos();   // PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID
            default -> throw new FsError(Errno.EINVAL);
        };
    }

    /** Clock_gettime implements Linux syscall clock_gettime(2). */
    static long clockGettime(SyscallContext c) throws FsError {
        long n = clockNanos(c, c.arg(0));
        c.memory().writeLong(c.arg(1), n / 1_000_000_000L);
        c.memory().writeLong(c.arg(1) + 8, n % 1_000_000_000L);
        return 0;
    }

    /** Clock_getres implements Linux syscall clock_getres(2): one nanosecond. */
    static long clockGetres(SyscallContext c) throws FsError {
        clockNanos(c, c.arg(0));
        if (c.arg(1) != 0) {
            c.memory().writeLong(c.arg(1), 0);
            c.memory().writeLong(c.arg(1) + 8, 1);
        }
        return 0;
    }

    /** Gettimeofday implements Linux syscall gettimeofday(2); the timezone is UTC, as the vDSO says. */
    static long gettimeofday(SyscallContext c) {
        return gettimeofday(c, 0);
    }

    /**
     * Gettimeofday served where the host kernel keeps the process (ptrace): the timezone is the
     * host kernel's (sys_tz, which the program's vDSO reports too), read by the Sentry for itself.
     */
    static long gettimeofdayServed(SyscallContext c) {
        NativeScratch s = c.hostTask().scratch();
        s.putLong(0, 0);
        HostCalls.call(NR_GETTIMEOFDAY, 0, s.at(0), 0);
        return gettimeofday(c, s.getLong(0));
    }

    /** The time in {@code tv} and {@code tz} (struct timezone's two ints as one long), each when not null. */
    private static long gettimeofday(SyscallContext c, long tz) {
        if (c.arg(0) != 0) {
            long n = c.clockNanos(true);
            c.memory().writeLong(c.arg(0), n / 1_000_000_000L);
            c.memory().writeLong(c.arg(0) + 8, (n / 1000) % 1_000_000);
        }
        if (c.arg(1) != 0) {
            c.memory().writeLong(c.arg(1), tz);   // tz_minuteswest, tz_dsttime
        }
        return 0;
    }

    /**
     * The host kernel's resolution of each clock id 0..15 (ns), or its negated errno, and of the
     * CPU-time clocks' kinds (PROF, VIRT, SCHED): what clock_getres answers. The Sentry asks for
     * its own clocks once; the program's ids are only looked up here.
     */
    private static volatile long[] hostResolutions;

    private static long[] hostResolutions(NativeScratch s) {
        long[] r = hostResolutions;
        if (r == null) {
            r = new long[16 + 3];
            for (int id = 0; id < r.length; id++) {
                int clock = id < 16 ? id : CPU_CLOCK_SELF | (id - 16);
                long e = HostCalls.call(NR_CLOCK_GETRES, clock, s.at(0), 0);
                r[id] = e < 0 ? e : s.getLong(0) * 1_000_000_000L + s.getLong(8);
            }
            hostResolutions = r;
        }
        return r;
    }

    /** clock_getres's id of the calling process's own CPU clock (pid 0), to be or-ed with PROF, VIRT or SCHED. */
    private static final int CPU_CLOCK_SELF = ~0 << 3, CPUCLOCK_PERTHREAD = 4, CPUCLOCK_WHICH = 3, CLOCKFD = 3, CLOCKFD_MASK = 7;

    /**
     * Clock_getres served where the host kernel keeps the process (ptrace): the host's resolution of
     * every clock id it accepts, and EINVAL otherwise, without the program's id reaching it. A
     * CPU-time clock id names a process or a thread of the caller's process in the sandbox's pid
     * space (0: the caller); a dynamic clock (a descriptor of a clock device) is EINVAL, as none is
     * in the sandbox.
     */
    static long clockGetresServed(SyscallContext c) throws FsError {
        int clock = (int) c.arg(0);
        long[] res = hostResolutions(c.hostTask().scratch());
        long ns;
        if (clock >= 0) {
            ns = clock < 16 ? res[clock] : Errno.EINVAL.negated();
        } else if ((clock & CLOCKFD_MASK) == CLOCKFD || (clock & CPUCLOCK_WHICH) == CLOCKFD) {
            ns = Errno.EINVAL.negated();
        } else {
            int pid = ~(clock >> 3);
            boolean thread = (clock & CPUCLOCK_PERTHREAD) != 0;
            ns = pid == 0 || cpuClockTarget(c, pid, thread) ? res[16 + (clock & CPUCLOCK_WHICH)] : Errno.EINVAL.negated();
        }
        if (ns < 0) {
            return ns;
        }
        if (c.arg(1) != 0) {
            c.memory().writeLong(c.arg(1), ns / 1_000_000_000L);
            c.memory().writeLong(c.arg(1) + 8, ns % 1_000_000_000L);
        }
        return 0;
    }

    /**
     * Whether {@code pid} of the sandbox's pid space is a process (a thread group's leader) or,
     * {@code thread}, a thread of the caller's process: from its status in the sandbox's /proc,
     * which the serving thread (in the sandbox's root) opens.
     */
    private static boolean cpuClockTarget(SyscallContext c, int pid, boolean thread) {
        if (pid < 0) {
            return false;
        }
        NativeScratch s = c.hostTask().scratch();
        byte[] name = ("/proc/" + pid + "/status").getBytes(StandardCharsets.US_ASCII);
        s.write(STATUS, name, 0, name.length);
        s.putByte(STATUS + name.length, (byte) 0);
        long fd = HostCalls.call(HostCalls.NR_OPENAT, AT_FDCWD, s.at(STATUS), O_RDONLY_CLOEXEC, 0);
        if (fd < 0) {
            return false;
        }
        long n;
        try {
            n = HostCalls.call(HostCalls.NR_READ, fd, s.at(STATUS), STATUS_READ);
        } finally {
            HostCalls.close(fd);
        }
        if (n <= 0) {
            return false;
        }
        byte[] b = new byte[(int) n];
        s.read(STATUS, b, 0, (int) n);
        for (String line : new String(b, StandardCharsets.ISO_8859_1).split("\n")) {
            if (line.startsWith("Tgid:")) {
                int tgid = Integer.parseInt(line.substring(5).trim());
                return thread ? tgid == c.hostTask().nsTgid() : tgid == pid;
            }
        }
        return false;
    }

    /** Time implements Linux syscall time(2). */
    static long time(SyscallContext c) {
        long s = c.clockNanos(true) / 1_000_000_000L;
        if (c.arg(0) != 0) {
            c.memory().writeLong(c.arg(0), s);
        }
        return s;
    }

    /** Nanosleep implements Linux syscall nanosleep(2); interrupted, it writes the time left to {@code rem}. */
    static long nanosleep(SyscallContext c) throws FsError {
        return sleepNanos(c, SysArgs.timespec(c.memory(), c.arg(0)), c.arg(1));
    }

    /** Clock_nanosleep implements Linux syscall clock_nanosleep(2); the time left only for a relative sleep. */
    static long clockNanosleep(SyscallContext c) throws FsError {
        long clock = c.arg(0), flags = c.arg(1);
        if (clock == 3) {
            return Errno.EINVAL.negated();   // CLOCK_THREAD_CPUTIME_ID, as Linux
        }
        long base = clockNanos(c, clock);
        long d = SysArgs.timespec(c.memory(), c.arg(2));
        boolean absolute = (flags & TIMER_ABSTIME) != 0;
        if (absolute) {
            d -= base;
        }
        return d <= 0 ? 0 : sleepNanos(c, d, absolute ? 0 : c.arg(3));
    }

    /**
     * Sleeps {@code nanos}, or until a signal this thread does not block is pending (EINTR, with
     * the time left written to {@code rem} when it is not 0), or until the sandbox ends.
     */
    private static long sleepNanos(SyscallContext c, long nanos, long rem) {
        long now = System.nanoTime();
        long until = nanos > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + nanos;
        long left = awaitSignal(c, until);
        if (left <= 0) {
            return 0;
        }
        if (rem != 0 && !c.aborted()) {
            c.memory().writeLong(rem, left / 1_000_000_000L);
            c.memory().writeLong(rem + 8, left % 1_000_000_000L);
        }
        return Errno.EINTR.negated();
    }

    /**
     * Waits until {@code untilNanos} (System.nanoTime), a signal the calling thread does not
     * block is pending, or the sandbox ends: the nanoseconds left (0 when the time came). A
     * raised signal wakes the wait at once; the periodic wake only looks whether the sandbox ends.
     */
    static long awaitSignal(SyscallContext c, long untilNanos) {
        VirtualProcess p = c.process();
        VirtualThread t = c.thread();
        while (true) {
            long left = untilNanos - System.nanoTime();
            if (left <= 0) {
                return 0;
            }
            if (c.aborted() || t.signalDeliverable(p)) {
                return left;
            }
            synchronized (p.signalled) {
                if (t.signalDeliverable(p)) {
                    return left;
                }
                try {
                    long ms = Math.min(left / 1_000_000 + 1, 50);
                    p.signalled.wait(ms);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Math.max(1, left);
                }
            }
        }
    }

    /** Pause implements Linux syscall pause(2): sleeps until a signal is taken, then EINTR. */
    static long pause(SyscallContext c) {
        awaitSignal(c, Long.MAX_VALUE);
        return Errno.EINTR.negated();
    }

    private static final int ITIMER_REAL = 0;

    /** Setitimer implements Linux syscall setitimer(2): ITIMER_REAL; the CPU-time timers are not kept (EINVAL). */
    static long setitimer(SyscallContext c) throws FsError {
        if (c.arg(0) != ITIMER_REAL) {
            return c.arg(0) == 1 || c.arg(0) == 2 ? c.refuse(Errno.EINVAL, "ITIMER_VIRTUAL and ITIMER_PROF are not kept")
                    : Errno.EINVAL.negated();
        }
        long interval = timeval(c, c.arg(1)), value = timeval(c, c.arg(1) + 16);
        long[] old = c.process().realTimer.set(value, interval);
        writeItimerval(c, c.arg(2), old);
        return 0;
    }

    /** Getitimer implements Linux syscall getitimer(2) for ITIMER_REAL. */
    static long getitimer(SyscallContext c) throws FsError {
        if (c.arg(0) != ITIMER_REAL) {
            return c.arg(0) == 1 || c.arg(0) == 2 ? c.refuse(Errno.EINVAL, "ITIMER_VIRTUAL and ITIMER_PROF are not kept")
                    : Errno.EINVAL.negated();
        }
        long[] now = c.process().realTimer.get();
        if (c.arg(1) == 0) {
            return Errno.EFAULT.negated();
        }
        writeItimerval(c, c.arg(1), now);
        return 0;
    }

    /** Alarm implements Linux syscall alarm(2): the seconds that were left (rounded up), and a new one. */
    static long alarm(SyscallContext c) {
        long seconds = c.arg(0) & 0xffffffffL;
        long[] old = c.process().realTimer.set(seconds * 1_000_000_000L, 0);
        return (old[0] + 999_999_999L) / 1_000_000_000L;
    }

    /** A struct timeval in nanoseconds; EINVAL for microseconds out of 0..999999 or negative seconds, as Linux. */
    private static long timeval(SyscallContext c, long va) throws FsError {
        if (va == 0) {
            return 0;
        }
        long sec = c.memory().readLong(va), usec = c.memory().readLong(va + 8);
        if (sec < 0 || usec < 0 || usec >= 1_000_000) {
            throw new FsError(Errno.EINVAL);
        }
        return sec > Long.MAX_VALUE / 1_000_000_000L - 1 ? Long.MAX_VALUE / 2 : sec * 1_000_000_000L + usec * 1000;
    }

    private static void writeItimerval(SyscallContext c, long va, long[] valueAndInterval) {
        if (va == 0) {
            return;
        }
        long value = valueAndInterval[0], interval = valueAndInterval[1];
        // microseconds rounded up, as Linux reports a timer that has not expired yet
        long v = (value + 999) / 1000, i = (interval + 999) / 1000;
        c.memory().writeLong(va, i / 1_000_000);
        c.memory().writeLong(va + 8, i % 1_000_000);
        c.memory().writeLong(va + 16, v / 1_000_000);
        c.memory().writeLong(va + 24, v % 1_000_000);
    }
}
