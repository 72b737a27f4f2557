package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.nativeinterop.HostCalls;
import dev.palisade.sandbox.nativeinterop.NativeScratch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The calls that read or set a property of a process or thread the program names by pid —
 * scheduling (affinity, policy, priority, nice, I/O priority), resource limits, the process group
 * and session, a pidfd — served on ptrace, so that none reaches the host with the program's pid.
 *
 * <p>Why it is safe: a pid is translated by {@link HostTask#hostTidOf}, which knows the sandbox's
 * own tasks only (any other pid is ESRCH, as the sandbox's pid namespace makes it natively), so
 * the host call never names a process outside the sandbox. The serving thread makes the call at
 * the program's uid and gid with no capability, so the kernel's own permission checks (raising a
 * hard limit, lowering nice, a real-time policy or I/O class) refuse what the program could not
 * do. Every size the program names is bounded before a copy. The group and user forms
 * (PRIO_PGRP, PRIO_USER), which the host kernel would apply to every matching process it has, are
 * applied task by task to the sandbox's tasks only, and an affinity is narrowed to the sandbox's CPUs.
 */
public final class SysProcessControl {
    private SysProcessControl() {
    }

    private static final int NR_GETPRIORITY = 140, NR_SETPRIORITY = 141, NR_SCHED_SETPARAM = 142,
            NR_SCHED_GETPARAM = 143, NR_SCHED_SETSCHEDULER = 144, NR_SCHED_GETSCHEDULER = 145,
            NR_SCHED_RR_GET_INTERVAL = 148, NR_SCHED_SETAFFINITY = 203, NR_SCHED_GETAFFINITY = 204,
            NR_IOPRIO_SET = 251, NR_IOPRIO_GET = 252, NR_PRLIMIT64 = 302, NR_SCHED_SETATTR = 314,
            NR_SCHED_GETATTR = 315, NR_PIDFD_OPEN = 434;
    private static final int PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;
    private static final int IOPRIO_WHO_PROCESS = 1, IOPRIO_WHO_PGRP = 2, IOPRIO_WHO_USER = 3;
    /** The largest affinity mask copied: 32768 CPUs, more than Linux's limit. */
    private static final int MASK_MAX = 4096;
    private static final int PAGE_SIZE = 4096, SCHED_ATTR_SIZE_VER0 = 48;
    private static final int PIDFD_NONBLOCK = 04000, PIDFD_THREAD = 0200;

    /** The kernel's cpumask_size() and sizeof(struct sched_attr), learnt from the host on first use. */
    private static volatile int maskSize, schedAttrSize;
    /** The NUMA node of each host CPU, read before the serving thread leaves the host's root (it is preloaded). */
    private static final int[] NODE_OF_CPU = nodesOfCpus();

    private static HostTask task(SyscallContext c) {
        return c.hostTask();
    }

    private static long esrch() {
        return Errno.ESRCH.negated();
    }

    private static long einval() {
        return Errno.EINVAL.negated();
    }

    // ------------------------------------------------------------------ affinity

    /** Sched_getaffinity: the kernel checks the length (on the caller itself when the pid is not the sandbox's), bounded by {@link #MASK_MAX}. */
    static long schedGetaffinity(SyscallContext c) {
        long len = c.arg(1) & 0xffffffffL;
        if ((len & 7) != 0) {
            return einval();
        }
        HostTask t = task(c);
        int tid = t.hostTidOf((int) c.arg(0));
        NativeScratch s = t.scratch();
        long r = HostCalls.call(NR_SCHED_GETAFFINITY, tid < 0 ? t.hostTid() : tid, Math.min(len, MASK_MAX), s.at(0));
        if (r < 0) {
            return r;
        }
        if (tid < 0) {
            return esrch();
        }
        byte[] mask = new byte[(int) r];
        if (t.onOneCpuForNow()) {
            // held to one CPU by the platform, not by itself: its affinity is the sandbox's CPUs
            for (int cpu : t.sandboxCpus()) {
                if (cpu / 8 < mask.length) {
                    mask[cpu / 8] |= (byte) (1 << (cpu % 8));
                }
            }
        } else {
            s.read(0, mask, 0, mask.length);
        }
        c.memory().write(c.arg(2), mask);
        return r;
    }

    /** Sched_setaffinity: the mask narrowed to the sandbox's CPUs; none of them left is EINVAL, as a mask of no online CPU. */
    static long schedSetaffinity(SyscallContext c) {
        HostTask t = task(c);
        int size = maskSize(t);
        long len = c.arg(1) & 0xffffffffL;
        byte[] mask = Arrays.copyOf(c.memory().read(c.arg(2), (int) Math.min(len, size)), size);
        int tid = t.hostTidOf((int) c.arg(0));
        if (tid < 0) {
            return esrch();
        }
        byte[] allowed = new byte[size];
        for (int cpu : t.sandboxCpus()) {
            if (cpu / 8 < size) {
                allowed[cpu / 8] |= (byte) (1 << (cpu % 8));
            }
        }
        boolean any = false;
        for (int i = 0; i < size; i++) {
            mask[i] &= allowed[i];
            any |= mask[i] != 0;
        }
        if (!any) {
            return einval();
        }
        // from here on the kernel's affinities are the program's own, inherited as Linux does
        t.spreadOverSandboxCpus();
        NativeScratch s = t.scratch();
        s.write(0, mask, 0, size);
        return HostCalls.call(NR_SCHED_SETAFFINITY, tid, size, s.at(0));
    }

    private static int maskSize(HostTask t) {
        if (maskSize == 0) {
            long r = HostCalls.call(NR_SCHED_GETAFFINITY, t.hostTid(), MASK_MAX, t.scratch().at(0));
            maskSize = r > 0 ? (int) r : 128;
        }
        return maskSize;
    }

    /** Getcpu: the CPU the caller last ran on and its node, from the host (the vDSO answers it otherwise). */
    static long getcpu(SyscallContext c) {
        int cpu = Math.max(0, task(c).lastCpu());
        if (c.arg(0) != 0) {
            c.memory().writeInt(c.arg(0), cpu);
        }
        if (c.arg(1) != 0) {
            c.memory().writeInt(c.arg(1), cpu < NODE_OF_CPU.length ? NODE_OF_CPU[cpu] : 0);
        }
        return 0;
    }

    private static int[] nodesOfCpus() {
        int[] node = new int[MASK_MAX * 8];
        try (var dirs = Files.newDirectoryStream(Path.of("/sys/devices/system/node"), "node[0-9]*")) {
            for (Path d : dirs) {
                int n = Integer.parseInt(d.getFileName().toString().substring(4));
                for (String range : Files.readString(d.resolve("cpulist")).trim().split(",")) {
                    if (range.isEmpty()) {
                        continue;
                    }
                    String[] ab = range.split("-");
                    int a = Integer.parseInt(ab[0]), b = ab.length > 1 ? Integer.parseInt(ab[1]) : a;
                    for (int cpu = a; cpu <= b && cpu < node.length; cpu++) {
                        node[cpu] = n;
                    }
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // no NUMA information: every CPU on node 0, as a kernel without NUMA says
        }
        return node;
    }

    // ------------------------------------------------------------------ policy and parameters

    /** Sched_getparam: struct sched_param is one int. */
    static long schedGetparam(SyscallContext c) {
        int pid = (int) c.arg(0);
        if (c.arg(1) == 0 || pid < 0) {
            return einval();
        }
        HostTask t = task(c);
        int tid = t.hostTidOf(pid);
        if (tid < 0) {
            return esrch();
        }
        long r = HostCalls.call(NR_SCHED_GETPARAM, tid, t.scratch().at(0), 0);
        if (r == 0) {
            c.memory().writeInt(c.arg(1), t.scratch().getInt(0));
        }
        return r;
    }

    static long schedSetparam(SyscallContext c) {
        int pid = (int) c.arg(0);
        if (c.arg(1) == 0 || pid < 0) {
            return einval();
        }
        int priority = c.memory().readInt(c.arg(1));
        HostTask t = task(c);
        int tid = t.hostTidOf(pid);
        if (tid < 0) {
            return esrch();
        }
        t.scratch().write(0, intBytes(priority), 0, 4);
        return HostCalls.call(NR_SCHED_SETPARAM, tid, t.scratch().at(0), 0);
    }

    static long schedGetscheduler(SyscallContext c) {
        int pid = (int) c.arg(0);
        if (pid < 0) {
            return einval();
        }
        int tid = task(c).hostTidOf(pid);
        return tid < 0 ? esrch() : HostCalls.call(NR_SCHED_GETSCHEDULER, tid, 0, 0);
    }

    /** Sched_setscheduler: the kernel decides the policy (a real-time one needs what the program lacks). */
    static long schedSetscheduler(SyscallContext c) {
        int pid = (int) c.arg(0), policy = (int) c.arg(1);
        if (policy < 0 || c.arg(2) == 0 || pid < 0) {
            return einval();
        }
        int priority = c.memory().readInt(c.arg(2));
        HostTask t = task(c);
        int tid = t.hostTidOf(pid);
        if (tid < 0) {
            return esrch();
        }
        t.scratch().write(0, intBytes(priority), 0, 4);
        return HostCalls.call(NR_SCHED_SETSCHEDULER, tid, policy, t.scratch().at(0));
    }

    static long schedRrGetInterval(SyscallContext c) {
        int pid = (int) c.arg(0);
        if (pid < 0) {
            return einval();
        }
        HostTask t = task(c);
        int tid = t.hostTidOf(pid);
        if (tid < 0) {
            return esrch();
        }
        long r = HostCalls.call(NR_SCHED_RR_GET_INTERVAL, tid, t.scratch().at(0), 0);
        if (r == 0) {
            byte[] ts = new byte[16];
            t.scratch().read(0, ts, 0, 16);
            c.memory().write(c.arg(1), ts);
        }
        return r;
    }

    /** Sched_getattr: the size the program names is at most a page (as Linux), the buffer copied in and out whole. */
    static long schedGetattr(SyscallContext c) {
        int pid = (int) c.arg(0);
        long usize = c.arg(2) & 0xffffffffL;
        if (c.arg(1) == 0 || pid < 0 || usize > PAGE_SIZE || usize < SCHED_ATTR_SIZE_VER0 || (int) c.arg(3) != 0) {
            return einval();
        }
        HostTask t = task(c);
        int tid = t.hostTidOf(pid);
        if (tid < 0) {
            return esrch();
        }
        // the buffer as the program has it, so that what the kernel leaves (past the size it knows,
        // which a newer kernel zeroes and an older one leaves alone) stays as it would natively
        byte[] attr = c.memory().read(c.arg(1), (int) usize);
        t.scratch().write(0, attr, 0, attr.length);
        long r = HostCalls.call(NR_SCHED_GETATTR, tid, t.scratch().at(0), usize, 0);
        if (r == 0) {
            t.scratch().read(0, attr, 0, attr.length);
            c.memory().write(c.arg(1), attr);
        }
        return r;
    }

    /**
     * Sched_setattr: the struct copied once (its size bounded to a page, as Linux) and given to the
     * kernel; where the kernel says E2BIG it wrote the size it knows into the copy, which goes back.
     */
    static long schedSetattr(SyscallContext c) {
        int pid = (int) c.arg(0);
        long uattr = c.arg(1);
        if (uattr == 0 || pid < 0 || (int) c.arg(2) != 0) {
            return einval();
        }
        HostTask t = task(c);
        long size = c.memory().readInt(uattr) & 0xffffffffL;
        long effective = size == 0 ? SCHED_ATTR_SIZE_VER0 : size;
        byte[] attr = effective < SCHED_ATTR_SIZE_VER0 || effective > PAGE_SIZE ? c.memory().read(uattr, 4)
                : c.memory().read(uattr, (int) effective);
        int tid = t.hostTidOf(pid);
        if (tid < 0) {
            // what the kernel checks before it looks the pid up
            int ksize = schedAttrSize(t);
            if (attr.length == 4) {
                c.memory().writeInt(uattr, ksize);
                return Errno.E2BIG.negated();
            }
            for (int i = ksize; i < attr.length; i++) {
                if (attr[i] != 0) {
                    c.memory().writeInt(uattr, ksize);
                    return Errno.E2BIG.negated();
                }
            }
            return intAt(attr, 4) < 0 ? einval() : esrch();
        }
        NativeScratch s = t.scratch();
        s.write(0, attr, 0, attr.length);
        long r = HostCalls.call(NR_SCHED_SETATTR, tid, s.at(0), 0);
        if (r == Errno.E2BIG.negated()) {
            c.memory().writeInt(uattr, s.getInt(0));
        }
        return r;
    }

    private static int schedAttrSize(HostTask t) {
        if (schedAttrSize == 0) {
            long r = HostCalls.call(NR_SCHED_GETATTR, t.hostTid(), t.scratch().at(0), PAGE_SIZE, 0);
            schedAttrSize = r == 0 ? t.scratch().getInt(0) : 56;
        }
        return schedAttrSize;
    }

    // ------------------------------------------------------------------ nice and I/O priority

    /** Getpriority: the raw answer (20 - nice), the best of the tasks named; PRIO_PGRP and PRIO_USER over the sandbox's tasks. */
    static long getpriority(SyscallContext c) {
        int which = (int) c.arg(0);
        if (which < PRIO_PROCESS || which > PRIO_USER) {
            return einval();
        }
        long best = esrch();
        for (int tid : named(c, which == PRIO_PGRP, which == PRIO_USER, (int) c.arg(1))) {
            long r = HostCalls.call(NR_GETPRIORITY, PRIO_PROCESS, tid, 0);
            if (r >= 0 && r > best) {
                best = r;
            }
        }
        return best;
    }

    /** Setpriority: each task named, as the kernel's set_one_prio (the first refusal is the answer, the others still change). */
    static long setpriority(SyscallContext c) {
        int which = (int) c.arg(0);
        if (which < PRIO_PROCESS || which > PRIO_USER) {
            return einval();
        }
        long error = esrch();
        for (int tid : named(c, which == PRIO_PGRP, which == PRIO_USER, (int) c.arg(1))) {
            long r = HostCalls.call(NR_SETPRIORITY, PRIO_PROCESS, tid, (int) c.arg(2));
            if (r < 0) {
                error = r;
            } else if (error == esrch()) {
                error = 0;
            }
        }
        return error;
    }

    static long ioprioGet(SyscallContext c) {
        int which = (int) c.arg(0);
        if (which < IOPRIO_WHO_PROCESS || which > IOPRIO_WHO_USER) {
            return einval();
        }
        long ret = esrch();
        for (int tid : named(c, which == IOPRIO_WHO_PGRP, which == IOPRIO_WHO_USER, (int) c.arg(1))) {
            long io = HostCalls.call(NR_IOPRIO_GET, IOPRIO_WHO_PROCESS, tid, 0);
            if (io < 0) {
                continue;
            }
            ret = ret == esrch() ? io : Math.min(normalIoprio(ret), normalIoprio(io));
        }
        return ret;
    }

    /** The kernel's ioprio_best: a task without a class counts as best-effort, level 4. */
    private static long normalIoprio(long io) {
        return (io >> 13) == 0 ? (2 << 13) | 4 : io;
    }

    /** Ioprio_set: the kernel checks the priority first (its class and level, a real-time class needs a capability), then each task named. */
    static long ioprioSet(SyscallContext c) {
        int which = (int) c.arg(0), ioprio = (int) c.arg(2);
        if (which < IOPRIO_WHO_PROCESS || which > IOPRIO_WHO_USER) {
            // an invalid which (0 is one): the kernel's own answer, the priority checked first, nothing changed
            return HostCalls.call(NR_IOPRIO_SET, 0, 0, ioprio);
        }
        long r = esrch();
        for (int tid : named(c, which == IOPRIO_WHO_PGRP, which == IOPRIO_WHO_USER, (int) c.arg(1))) {
            r = HostCalls.call(NR_IOPRIO_SET, IOPRIO_WHO_PROCESS, tid, ioprio);
            if (r != 0) {
                return r;
            }
        }
        return r == esrch() ? ioprioCheck(ioprio, r) : r;
    }

    /** The kernel's ioprio_check_cap, which comes before the lookup: its error, else {@code otherwise}. */
    private static long ioprioCheck(int ioprio, long otherwise) {
        int cls = (ioprio >> 13) & 7, level = ioprio & 7;
        return switch (cls) {
            case 1 -> Errno.EPERM.negated(); // real-time: CAP_SYS_NICE or CAP_SYS_ADMIN, which the program has not
            case 2, 3 -> otherwise;
            case 0 -> level != 0 ? einval() : otherwise;
            default -> einval();
        };
    }

    /**
     * The host tids a priority call names: {@code who} a task (0: the caller), else the sandbox's
     * tasks of process group {@code who} (0: the caller's) or of user {@code who} (0: the
     * caller's), the program's own uid being the only one its tasks have.
     */
    private static int[] named(SyscallContext c, boolean group, boolean user, int who) {
        HostTask t = task(c);
        if (user) {
            return who == 0 || who == c.uid() ? t.sandboxTasks() : new int[0];
        }
        if (!group) {
            int tid = t.hostTidOf(who);
            return tid < 0 ? new int[0] : new int[] {tid};
        }
        int hostPgid = -1;
        if (who == 0) {
            int[] me = t.nsStatus(t.hostTid());
            hostPgid = me == null ? -1 : me[5];
        }
        List<int[]> all = new ArrayList<>();
        for (int tid : t.sandboxTasks()) {
            int[] st = t.nsStatus(tid);
            if (st != null) {
                all.add(st);
                if (who > 0 && st[2] == who) {
                    hostPgid = st[5];
                }
            }
        }
        final int pgid = hostPgid;
        return pgid < 0 ? new int[0] : all.stream().filter(st -> st[5] == pgid).mapToInt(st -> st[4]).toArray();
    }

    // ------------------------------------------------------------------ resource limits

    /** Getrlimit: prlimit64 of the caller (the kernel checks the resource). */
    static long getrlimit(SyscallContext c) {
        HostTask t = task(c);
        long r = HostCalls.call(NR_PRLIMIT64, t.hostTid(), c.arg(0) & 0xffffffffL, 0, t.scratch().at(0));
        if (r == 0) {
            byte[] l = new byte[16];
            t.scratch().read(0, l, 0, 16);
            c.memory().write(c.arg(1), l);
        }
        return r;
    }

    /** Setrlimit: prlimit64 of the caller; raising a hard limit is the kernel's EPERM, the serving thread having no capability. */
    static long setrlimit(SyscallContext c) {
        byte[] l = c.memory().read(c.arg(1), 16);
        HostTask t = task(c);
        t.scratch().write(0, l, 0, 16);
        return HostCalls.call(NR_PRLIMIT64, t.hostTid(), c.arg(0) & 0xffffffffL, t.scratch().at(0), 0);
    }

    static long prlimit64(SyscallContext c) {
        HostTask t = task(c);
        NativeScratch s = t.scratch();
        long newAt = c.arg(2), oldAt = c.arg(3);
        if (newAt != 0) {
            s.write(0, c.memory().read(newAt, 16), 0, 16);
        }
        int tid = t.hostTidOf((int) c.arg(0));
        if (tid < 0) {
            return esrch();
        }
        long r = HostCalls.call(NR_PRLIMIT64, tid, c.arg(1) & 0xffffffffL, newAt == 0 ? 0 : s.at(0), oldAt == 0 ? 0 : s.at(16));
        if (r == 0 && oldAt != 0) {
            byte[] l = new byte[16];
            s.read(16, l, 0, 16);
            c.memory().write(oldAt, l);
        }
        return r;
    }

    // ------------------------------------------------------------------ group and session

    /** Getpgid: the group in the sandbox's pid space, 0 when its leader has no pid there (as Linux in a pid namespace). */
    static long getpgid(SyscallContext c) {
        return nsIdOf(c, (int) c.arg(0), 2);
    }

    static long getpgrp(SyscallContext c) {
        return nsIdOf(c, 0, 2);
    }

    static long getsid(SyscallContext c) {
        return nsIdOf(c, (int) c.arg(0), 3);
    }

    private static long nsIdOf(SyscallContext c, int pid, int field) {
        HostTask t = task(c);
        int tid = t.hostTidOf(pid);
        int[] st = tid < 0 ? null : t.nsStatus(tid);
        return st == null ? esrch() : st[field];
    }

    // ------------------------------------------------------------------ pidfd

    /** Pidfd_open: the Sentry opens the pidfd of the sandbox's task and installs it (close-on-exec, as Linux's). */
    static long pidfdOpen(SyscallContext c) {
        int pid = (int) c.arg(0);
        long flags = c.arg(1) & 0xffffffffL;
        if ((flags & ~(long) (PIDFD_NONBLOCK | PIDFD_THREAD)) != 0 || pid <= 0) {
            return einval();
        }
        HostTask t = task(c);
        int tid = t.hostTidOf(pid);
        if (tid < 0) {
            return esrch();
        }
        long fd = HostCalls.call(NR_PIDFD_OPEN, tid, flags, 0);
        if (fd < 0) {
            return fd;
        }
        try {
            return t.install((int) fd, true);
        } finally {
            HostCalls.close(fd);
        }
    }

    private static byte[] intBytes(int v) {
        return new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
    }

    private static int intAt(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }
}
