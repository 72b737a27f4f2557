package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.DeniedCall;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.abi.SyscallNr;
import dev.palisade.sandbox.nativeinterop.Ptrace;
import dev.palisade.sandbox.nativeinterop.Regs;
import dev.palisade.sandbox.sentry.Handler;
import dev.palisade.sandbox.sentry.Sentry;
import dev.palisade.sandbox.sentry.SentryFault;
import dev.palisade.sandbox.sentry.Syscall;
import dev.palisade.sandbox.sentry.SyscallContext;
import dev.palisade.sandbox.sentry.SyscallTable;
import dev.palisade.sandbox.sentry.TaskMemory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The trapped calls of a ptrace sandbox: each goes to {@link Sentry#call} with this as the
 * {@link SyscallContext} of the calling task (its registers, its memory through
 * {@code process_vm_readv/writev}, its ids in the sandbox's pid space), and the result goes back
 * into its registers. Keeps the per-call counts and the refused calls (security events).
 */
final class SyscallCalls implements SyscallContext {
    private static final int MAX_DENIED_RECORDED = 1000;
    /** Refusals by the process limit after which the sandbox is ended as a fork bomb. */
    static final int PROCESS_LIMIT_STRIKES = 200;

    private final Tracer tracer;
    private final Ptrace pt;
    private final Regs regs;
    private final SandboxSpec spec;
    private final int uid, gid;
    private final long startNanos;
    private final Consumer<String> trace;
    private final Map<Integer, Task> tasks;
    private final RunOutcome outcome;
    private final TraceeMemory memory;
    private final PidSpace pids;
    private final Map<String, Long> counts = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<DeniedCall> denied = new ArrayList<>();
    private long deniedDropped;
    private int pendingClones;
    private int limitStrikes;
    /** The task whose call is being served. */
    private Task cur;

    SyscallCalls(Tracer tracer, Ptrace pt, Regs regs, SandboxSpec spec, int uid, int gid, long startNanos,
                 Consumer<String> trace, Map<Integer, Task> tasks, RunOutcome outcome) {
        this.tracer = tracer;
        this.pt = pt;
        this.regs = regs;
        this.spec = spec;
        this.uid = uid;
        this.gid = gid;
        this.startNanos = startNanos;
        this.trace = trace;
        this.tasks = tasks;
        this.outcome = outcome;
        this.memory = new TraceeMemory(pt);
        this.pids = new PidSpace(tasks, tracer::stubPid);
    }

    /** The translation between the sandbox's pids and the host's, shared with the serving thread. */
    PidSpace pids() {
        return pids;
    }

    Map<String, Long> counts() {
        return counts;
    }

    /** Counts one call (also from the path server's thread). */
    void count(String name) {
        counts.merge(name, 1L, Long::sum);
    }

    List<DeniedCall> denied() {
        return denied;
    }

    long deniedDropped() {
        return deniedDropped;
    }

    /** Serves the trapped call of {@code t}, whose registers are in {@code regs}: the Sentry decides, the result goes into its registers. */
    void serve(Task t) {
        if (t.pendingClone) {
            t.pendingClone = false;
            pendingClones = Math.max(0, pendingClones - 1);
        }
        long nr = regs.origRax();
        Syscall s = SyscallTable.get(nr);
        String name = s == null ? "unknown_" + nr : s.name();
        counts.merge(name, 1L, Long::sum);
        cur = t;
        memory.of(t.tid);
        long result;
        try {
            result = Sentry.call(Sentry.Platform.PTRACE, nr, this);
        } catch (SentryFault e) {
            record(t, (int) nr, name, 0, "fault", e.getCause().toString());
            tracer.killAll(Termination.ENGINE_ERROR, e.getMessage());
            result = Errno.EIO.negated();
        }
        String decision = Sentry.decision(Sentry.Platform.PTRACE, nr, result);
        if (result == Sentry.KILL) {
            record(t, (int) nr, name, 0, "kill", s.note());
            result = Handler.RUN_NATIVELY;
            tracer.killAll(Termination.POLICY_VIOLATION, "killed for calling " + name);
            outcome.policyKilled("killed for calling " + name + ": " + s.note());
        } else if (result == Handler.RUN_NATIVELY && (nr == SyscallNr.CLONE || nr == SyscallNr.FORK || nr == SyscallNr.VFORK)) {
            t.pendingClone = true;
            pendingClones++;
        }
        if (trace != null) {
            trace.accept("[" + nsPid(t) + "] " + name + "(0x" + Long.toHexString(regs.arg(0)) + ", 0x"
                    + Long.toHexString(regs.arg(1)) + ", 0x" + Long.toHexString(regs.arg(2)) + ") "
                    + (result == Handler.RUN_NATIVELY ? "-> " + decision + " (kernel runs it)"
                    : "= " + (result < 0 && result > -4096 ? "-" + Errno.nameOf((int) -result) : Long.toString(result))
                    + " (" + decision + ")"));
        }
        if (result != Handler.RUN_NATIVELY) {
            regs.origRax(-1);
            regs.rax(result);
            pt.setRegs(t.tid, regs);
        }
    }

    /** A new task appeared: the clone its parent was let through for has happened. */
    void cloneReported(Task parent) {
        parent.pendingClone = false;
        if (pendingClones > 0) {
            pendingClones--;
        }
    }

    void record(Task t, int nr, String name, int errno, String action, String detail) {
        if (denied.size() < MAX_DENIED_RECORDED) {
            denied.add(new DeniedCall(nsPid(t), nr, name, errno, action, detail));
        } else {
            deniedDropped++;
        }
    }

    @Override
    public long refuse(Errno errno, String detail) {
        long nr = regs.origRax();
        String args = "(0x" + Long.toHexString(regs.arg(0)) + ", 0x" + Long.toHexString(regs.arg(1)) + ", 0x"
                + Long.toHexString(regs.arg(2)) + ")";
        record(cur, (int) nr, SyscallTable.nameOf(nr), errno.value(), "deny", detail + " " + args);
        if (errno == Errno.EAGAIN && detail.startsWith("process limit") && ++limitStrikes >= PROCESS_LIMIT_STRIKES) {
            tracer.killAll(Termination.PROCESS_LIMIT, "process limit of " + spec.limits().maxProcesses()
                    + " reached " + limitStrikes + " times: ended as a fork bomb");
        }
        return errno.negated();
    }

    // ------------------------------------------------------------------ what the handlers see

    @Override
    public long arg(int i) {
        return regs.arg(i);
    }

    @Override
    public int pid() {
        return nsTgid(cur);
    }

    @Override
    public int tid() {
        return nsPid(cur);
    }

    @Override
    public int ppid() {
        int initPid = tracer.initPid();
        if (cur.tgid == initPid) {
            return 0; // the parent is outside the sandbox
        }
        Task p = tasks.get(cur.parentTgid);
        return p == null ? 1 : nsTgid(p); // a parent gone means reparented to the sandbox's init
    }

    @Override
    public int uid() {
        return uid;
    }

    @Override
    public int gid() {
        return gid;
    }

    @Override
    public int taskCount() {
        return tasks.size() - (tasks.containsKey(tracer.stubPid()) ? 1 : 0);
    }

    @Override
    public int pendingTasks() {
        return pendingClones;
    }

    @Override
    public int maxTasks() {
        return spec.limits().maxProcesses();
    }

    @Override
    public long memoryLimit() {
        return spec.limits().memoryBytes();
    }

    @Override
    public long uptimeNanos() {
        return System.nanoTime() - startNanos;
    }

    @Override
    public TaskMemory memory() {
        return memory;
    }

    /** The task's thread id in the sandbox's pid namespace (from /proc, cached). */
    int nsPid(Task t) {
        if (t == null) {
            return 0;
        }
        if (t.nsTid < 0) {
            readNs(t);
        }
        return t.nsTid;
    }

    private int nsTgid(Task t) {
        if (t.nsTgid < 0) {
            readNs(t);
        }
        return t.nsTgid;
    }

    private void readNs(Task t) {
        int[] ids = pids.ids(PidSpace.HOST_PROC, t.tid);
        t.nsTid = ids[0];
        t.nsTgid = ids[1];
    }
}
