package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.vfs.FsError;

import java.time.Instant;

/** Clocks and sleeping. A sleep ends early (EINTR) when the sandbox is ending. */
final class SysTime {
    private static final int TIMER_ABSTIME = 1;

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
        if (c.arg(0) != 0) {
            long n = c.clockNanos(true);
            c.memory().writeLong(c.arg(0), n / 1_000_000_000L);
            c.memory().writeLong(c.arg(0) + 8, (n / 1000) % 1_000_000);
        }
        if (c.arg(1) != 0) {
            c.memory().writeLong(c.arg(1), 0);   // tz_minuteswest, tz_dsttime
        }
        return 0;
    }

    /** Time implements Linux syscall time(2). */
    static long time(SyscallContext c) {
        long s = c.clockNanos(true) / 1_000_000_000L;
        if (c.arg(0) != 0) {
            c.memory().writeLong(c.arg(0), s);
        }
        return s;
    }

    /** Nanosleep implements Linux syscall nanosleep(2). */
    static long nanosleep(SyscallContext c) throws FsError {
        return sleepNanos(c, SysArgs.timespec(c.memory(), c.arg(0)));
    }

    /** Clock_nanosleep implements Linux syscall clock_nanosleep(2). */
    static long clockNanosleep(SyscallContext c) throws FsError {
        long clock = c.arg(0), flags = c.arg(1);
        if (clock == 3) {
            return Errno.EINVAL.negated();   // CLOCK_THREAD_CPUTIME_ID, as Linux
        }
        long base = clockNanos(c, clock);
        long d = SysArgs.timespec(c.memory(), c.arg(2));
        if ((flags & TIMER_ABSTIME) != 0) {
            d -= base;
        }
        return d <= 0 ? 0 : sleepNanos(c, d);
    }

    private static long sleepNanos(SyscallContext c, long nanos) {
        long now = System.nanoTime();
        long until = nanos > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + nanos;
        while (!c.aborted()) {
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
}
