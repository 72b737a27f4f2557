package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.abi.Signal;

/**
 * Signals where the Sentry keeps the process: dispositions, the mask and the pending set; a
 * signal the program sends itself is raised and delivered by the platform before the program
 * resumes ({@link SignalFrame}), or ends it by its default action.
 */
final class SysSignal {
    private static final int SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;

    private SysSignal() {
    }

    /**
     * Kill implements Linux syscall kill(2): a process of the sandbox, the caller's group (0), a
     * group (-pgid; ESRCH when it has no member), or every process but the caller and pid 1 (-1).
     */
    static long kill(SyscallContext c) {
        int pid = (int) c.arg(0);   // a pid_t
        long sig = c.arg(1);
        if (pid <= 0) {
            if (sig < 0 || sig > Signal.NSIG) {
                return Errno.EINVAL.negated();
            }
            if (pid == Integer.MIN_VALUE) {
                return Errno.ESRCH.negated();   // as Linux: -INT_MIN names no group
            }
            return toGroup(c, pid == 0 ? c.process().pgid : -pid, pid == -1, (int) sig);
        }
        return deliver(c, pid, sig, SignalFrame.SI_USER);
    }

    /**
     * Sends {@code sig} to every live process of group {@code pgid} (or, {@code all}, to every
     * one but the caller and pid 1), the caller last, as Linux's kill_pgrp and kill(-1).
     */
    private static long toGroup(SyscallContext c, int pgid, boolean all, int sig) {
        boolean found = false, self = false;
        for (int q : c.processIds()) {
            if (all && (q == 1 || q == c.pid())) {
                continue;
            }
            VirtualProcess o = q == c.pid() ? c.process() : c.processOf(q);
            if (o == null || (!all && o.pgid != pgid)) {
                continue;
            }
            found = true;
            if (q == c.pid()) {
                self = true;
            } else {
                toOther(c, q, o, sig);
            }
        }
        if (!found) {
            return c.zombie(all ? -1 : 0, all ? 0 : pgid) ? 0 : Errno.ESRCH.negated();   // as Linux: zombies are still members
        }
        return self ? deliver(c, c.pid(), sig, SignalFrame.SI_USER) : 0;
    }

    /** Sends {@code sig} to process {@code pid}, another one of the sandbox than the caller's. */
    private static void toOther(SyscallContext c, int pid, VirtualProcess other, int sig) {
        if (sig == Signal.SIGKILL && pid != 1) {
            c.killProcess(pid, Signal.SIGKILL);
        } else if (sig != 0 && (pid != 1 || SignalFrame.handled(other, sig))) {
            SignalFrame.send(other, sig, SignalFrame.SI_USER, c.pid());   // pid 1, as a namespace's init, takes only what it handles
        }
    }

    /** Tkill implements Linux syscall tkill(2). */
    static long tkill(SyscallContext c) {
        if (c.arg(0) <= 0) {
            return Errno.EINVAL.negated();
        }
        if (c.arg(0) != c.tid()) {
            return toThread(c, c.arg(0), c.arg(1));
        }
        return deliver(c, c.arg(0), c.arg(1), SignalFrame.SI_TKILL);
    }

    /** Tgkill implements Linux syscall tgkill(2). */
    static long tgkill(SyscallContext c) {
        if (c.arg(0) <= 0 || c.arg(1) <= 0) {
            return Errno.EINVAL.negated();
        }
        if (c.arg(0) != c.pid()) {
            return Errno.ESRCH.negated();
        }
        if (c.arg(1) != c.tid()) {
            return toThread(c, c.arg(1), c.arg(2));
        }
        return deliver(c, c.arg(1), c.arg(2), SignalFrame.SI_TKILL);
    }

    /**
     * Sends {@code sig} to {@code target}, another thread of the caller's process: ESRCH if there
     * is none; else pending for that thread alone (it takes it where it runs, or as it returns
     * from a call, woken from a futex wait), or the process ends by the default action.
     */
    private static long toThread(SyscallContext c, long tid, long sig) {
        if (sig < 0 || sig > Signal.NSIG) {
            return Errno.EINVAL.negated();
        }
        VirtualThread target = tid == (int) tid ? c.threadOf((int) tid) : null;
        if (target == null) {
            return Errno.ESRCH.negated();
        }
        int s = (int) sig;
        VirtualProcess p = c.process();
        if (s == 0 || p.ignores(s) || (Signal.ignoredByDefault(s) && !SignalFrame.handled(p, s))) {
            return 0;
        }
        if (SignalFrame.handled(p, s) || (target.sigmask & (1L << (s - 1))) != 0) {
            SignalFrame.raise(target, s, SignalFrame.SI_TKILL, 0);
            target.interruptWait(p);
            p.wakeSleepers();
            Runnable kick = target.interrupter;
            if (kick != null) {
                kick.run();
            }
            return 0;
        }
        c.end(Termination.SIGNALED, -1, s, "killed by signal " + s + " (sent by the program to itself)");
        return 0;
    }

    private static long deliver(SyscallContext c, long pid, long sig, int code) {
        if (sig < 0 || sig > Signal.NSIG) {
            return Errno.EINVAL.negated();
        }
        int target = (int) pid;
        if (pid != target) {
            return Errno.ESRCH.negated();
        }
        if (target > 0 && target != c.pid() && target != c.tid()) {
            VirtualProcess other = c.processOf(target);
            if (other == null) {
                return c.zombie(target, 0) ? 0 : Errno.ESRCH.negated();   // as Linux: a zombie takes (and drops) a signal
            }
            toOther(c, target, other, (int) sig);
            return 0;
        }
        if (target != c.pid() && target != c.tid()) {
            return Errno.ESRCH.negated();
        }
        int s = (int) sig;
        VirtualProcess p = c.process();
        boolean blocked = s != 0 && (c.thread().blocked() & (1L << (s - 1))) != 0;   // as Linux: a blocked signal is never discarded
        if (s == 0 || !blocked && (p.ignores(s) || (Signal.ignoredByDefault(s) && !SignalFrame.handled(p, s)))) {
            return 0;
        }
        if (SignalFrame.handled(p, s) || (c.thread().sigmask & (1L << (s - 1))) != 0) {
            if (code == SignalFrame.SI_TKILL) {
                SignalFrame.raise(c.thread(), s, code, 0);
            } else {
                SignalFrame.raise(p, s, code, 0);
                c.processSignalled(s);
                p.wakeSleepers();
            }
            return 0;
        }
        c.end(Termination.SIGNALED, -1, s, "killed by signal " + s + " (sent by the program to itself)");
        return 0;
    }

    /**
     * Rt_sigsuspend implements Linux syscall rt_sigsuspend(2): the thread waits with the given
     * mask until a signal it lets through is pending, then EINTR; the handler runs with that mask
     * and its return restores the mask from before the call.
     */
    static long rtSigsuspend(SyscallContext c) {
        if (c.arg(1) != 8) {
            return Errno.EINVAL.negated();
        }
        VirtualThread t = c.thread();
        long mask = c.memory().readLong(c.arg(0)) & ~((1L << (Signal.SIGKILL - 1)) | (1L << (Signal.SIGSTOP - 1)));
        long before = t.sigmask;
        t.sigmask = mask;
        SysTime.awaitSignal(c, Long.MAX_VALUE);
        if (t.signalDeliverable(c.process())) {
            t.maskAfterSignal = before;   // the handler's frame saves this one, so its return restores it
            t.hasMaskAfterSignal = true;
        } else {
            t.sigmask = before;   // the sandbox is ending: nothing to take
        }
        return Errno.EINTR.negated();
    }

    /**
     * Rt_sigtimedwait implements Linux syscall rt_sigtimedwait(2): takes a pending signal of the
     * set (blocked or not) without running its handler, waiting for one until the timeout
     * (EAGAIN) or until a signal outside the set is taken (EINTR); the siginfo as a handler sees it.
     */
    static long rtSigtimedwait(SyscallContext c) {
        if (c.arg(3) != 8) {
            return Errno.EINVAL.negated();
        }
        long unblockable = (1L << (Signal.SIGKILL - 1)) | (1L << (Signal.SIGSTOP - 1));
        long set = c.memory().readLong(c.arg(0)) & ~unblockable;
        long until = Long.MAX_VALUE;
        if (c.arg(2) != 0) {
            long sec = c.memory().readLong(c.arg(2)), nsec = c.memory().readLong(c.arg(2) + 8);
            if (sec < 0 || nsec < 0 || nsec >= 1_000_000_000L) {
                return Errno.EINVAL.negated();
            }
            long ns = sec > Long.MAX_VALUE / 1_000_000_000L / 2 ? Long.MAX_VALUE / 2 : sec * 1_000_000_000L + nsec;
            until = System.nanoTime() + ns;
        }
        VirtualProcess p = c.process();
        VirtualThread t = c.thread();
        long[] got = SignalFrame.take(p, t, set);
        if (got == null) {
            long before = t.sigmask;
            t.realBlocked = before;
            t.sigmask = before & ~set;   // as Linux: the set's signals wake the wait, and so does any other not blocked
            long left = SysTime.awaitSignal(c, until);
            t.sigmask = before;
            t.realBlocked = 0;
            got = SignalFrame.take(p, t, set);
            if (got == null) {
                return (left <= 0 ? Errno.EAGAIN : Errno.EINTR).negated();
            }
        }
        int sig = (int) got[0];
        if (c.arg(1) != 0 && !c.write(c.arg(1), SignalFrame.siginfo(c, sig, (int) got[1], got[2]))) {
            return Errno.EFAULT.negated();
        }
        return sig;
    }

    private static long pending(VirtualProcess p, VirtualThread t) {
        long bits;
        synchronized (t) {
            bits = t.pendingSignals;
        }
        synchronized (p) {
            return bits | p.pendingSignals;
        }
    }

    /** Rt_sigreturn implements Linux syscall rt_sigreturn(2). */
    static long rtSigreturn(SyscallContext c) {
        return SignalFrame.sigreturn(c);
    }

    /** Rt_sigpending implements Linux syscall rt_sigpending(2). */
    static long rtSigpending(SyscallContext c) {
        if (Long.compareUnsigned(c.arg(1), 8) > 0) {
            return Errno.EINVAL.negated();
        }
        VirtualProcess p = c.process();
        byte[] set = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(pending(p, c.thread()) & c.thread().sigmask).array();
        c.memory().write(c.arg(0), set, 0, (int) c.arg(1));
        return 0;
    }

    /** Rt_sigaction implements Linux syscall rt_sigaction(2). */
    static long rtSigaction(SyscallContext c) {
        long sig = c.arg(0), act = c.arg(1), oact = c.arg(2);
        if (sig < 1 || sig > Signal.NSIG || c.arg(3) != 8) {
            return Errno.EINVAL.negated();
        }
        if ((sig == Signal.SIGKILL || sig == Signal.SIGSTOP) && act != 0) {
            return Errno.EINVAL.negated();
        }
        VirtualProcess p = c.process();
        TaskMemory mem = c.memory();
        long[] a = null;
        if (act != 0) {
            a = new long[4];
            for (int i = 0; i < 4; i++) {
                a[i] = mem.readLong(act + 8L * i);
            }
        }
        long[] old = p.sigactions.getOrDefault((int) sig, new long[4]);
        if (oact != 0) {
            for (int i = 0; i < 4; i++) {
                mem.writeLong(oact + 8L * i, old[i]);
            }
        }
        if (a != null) {
            p.sigactions.put((int) sig, a);
        }
        return 0;
    }

    /** Rt_sigprocmask implements Linux syscall rt_sigprocmask(2); unblocked pending signals arrive as it returns. */
    static long rtSigprocmask(SyscallContext c) {
        long how = c.arg(0), set = c.arg(1), oset = c.arg(2);
        if (c.arg(3) != 8) {
            return Errno.EINVAL.negated();
        }
        VirtualProcess p = c.process();
        TaskMemory mem = c.memory();
        long s = 0;
        if (set != 0) {
            if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK) {
                return Errno.EINVAL.negated();
            }
            s = mem.readLong(set);
        }
        if (oset != 0) {
            mem.writeLong(oset, c.thread().sigmask);
        }
        if (set != 0) {
            long keep = ~((1L << (Signal.SIGKILL - 1)) | (1L << (Signal.SIGSTOP - 1)));
            VirtualThread t = c.thread();   // a thread's mask is its own: only it changes it
            switch ((int) how) {
                case SIG_BLOCK -> t.sigmask |= s & keep;
                case SIG_UNBLOCK -> t.sigmask &= ~s;
                default -> t.sigmask = s & keep;
            }
        }
        return 0;
    }

    /**
     * Sigaltstack implements Linux syscall sigaltstack(2): the calling thread's alternate signal
     * stack, which handlers with SA_ONSTACK run on ({@link SignalFrame}). As Linux: the new one is
     * read first (EFAULT), checked and set (EPERM while running on the current one, EINVAL, ENOMEM
     * below MINSIGSTKSZ), then the old one written (EFAULT).
     */
    static long sigaltstack(SyscallContext c) {
        long ss = c.arg(0), oss = c.arg(1);
        TaskMemory mem = c.memory();
        VirtualThread t = c.thread();
        long sp = c.userRegisters()[6];
        long[] old = {t.altStackBase, t.altStackReport(sp), t.altStackSize};
        if (ss != 0) {
            long base = mem.readLong(ss), size = mem.readLong(ss + 16);
            int flags = mem.readInt(ss + 8);
            Errno e = t.setAltStack(base, flags, size, sp);
            if (e != null) {
                return e.negated();
            }
        }
        if (oss != 0) {
            mem.writeLong(oss, old[0]);
            mem.writeLong(oss + 8, old[1] & 0xffffffffL);   // ss_flags, then the padding before ss_size
            mem.writeLong(oss + 16, old[2]);
        }
        return 0;
    }
}
