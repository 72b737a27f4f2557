package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.abi.SyscallNr;
import dev.palisade.sandbox.nativeinterop.HostCalls;
import dev.palisade.sandbox.nativeinterop.NativeScratch;
import dev.palisade.sandbox.nativeinterop.Ptrace;
import dev.palisade.sandbox.nativeinterop.Regs;
import dev.palisade.sandbox.sentry.ExecChoice;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code execve} and {@code execveat} served by the Sentry with path serving on: the program runs
 * a file the Sentry chose, never a path the host resolves for it.
 *
 * <p>The filter stops both calls at the tracer ({@code SECCOMP_RET_TRACE}). The tracer turns the
 * call into {@link #MARKER}, which the kernel's second pass of the filter sends to the serving
 * thread (user notification): there the path is read once, resolved and checked in the sandbox at
 * the program's identity ({@code SysPath.exec}), and the file is installed in the program
 * close-on-exec by {@code ADDFD}, its number the marker's answer. At the marker's exit the tracer
 * has the same {@code syscall} instruction run again as {@code execveat(fd, "", argv, envp,
 * AT_EMPTY_PATH)} with the program's argv and envp (for a script, the interpreter's fd and the
 * argument list the kernel would have made), the empty path written below the thread's stack
 * pointer. If that exec fails the tracer closes the descriptor in the program (one injected
 * {@code close}) and gives the program the errno with its own registers back.
 *
 * <p>The process's other threads are stopped meanwhile, so none can rewrite the empty path or
 * replace the descriptor before the kernel reads them: at the exec's seccomp stop the tracer
 * interrupts each ({@code PTRACE_INTERRUPT}) and keeps the exec there until every one has stopped
 * ({@code PTRACE_EVENT_STOP}) or is gone; only then does the call become the marker. A thread
 * created by a clone under way at that moment is held from its first stop; another thread's exec
 * meanwhile is run again once that thread is released. If the exec fails, the threads go on as
 * they were: a group-stop is gone back to, and a blocking call the stop interrupted is restarted
 * by the kernel (no signal is involved, so {@code SA_RESTART} plays no part). If it succeeds, the
 * kernel killed them. A single-threaded exec interrupts nothing.
 *
 * <p>The wait is bounded by {@link #STOP_WAIT_NANOS}: a thread in a served call the Sentry handed
 * off (a {@code connect} or a lock that waits on a peer) stops only when that call ends. A thread
 * not stopped by then is inside a call, not running, and stops before its next instruction, so the
 * exec goes on; what its call still does meanwhile (a served call's answer, the kernel's own
 * asynchronous writes), and memory or a descriptor table shared with another process, are left to
 * the exec event's check: the image the kernel loaded must be the file the Sentry chose (device
 * and inode of {@code /proc/<tid>/exe}), or the process is killed before its first instruction and
 * the sandbox ends as a policy violation.
 */
final class ExecServing {
    /** tuxcall: ENOSYS on Linux; here the tracer's hand-over of an exec to the serving thread. */
    static final int MARKER = 184;
    private static final int AT_EMPTY_PATH = 0x1000, NR_CLOSE = 3, SIGKILL = 9, NR_PRCTL = 157, PR_SET_NAME = 15;
    /** The kernel's restart codes: a call interrupted by a signal before it did anything. */
    private static final long ERESTARTSYS = -512, ERESTARTNOINTR = -513, ERESTARTNOHAND = -514, ERESTART_RESTARTBLOCK = -516;
    /** Arguments a script's new argument list may take; more is E2BIG (the kernel allows more). */
    private static final int MAX_ARGS = 1 << 16;
    /** Bytes left alone below the stack pointer (the red zone is 128) before the Sentry's strings. */
    private static final int BELOW_STACK = 256;
    /** Longest an exec waits for its process's other threads to stop before it goes on (see the class comment). */
    static final long STOP_WAIT_NANOS = 100_000_000L;

    /** CHOOSING..CLOSING: the exec; NAMING_*: after it, the task's name set as the kernel would have. */
    private enum Stage { CHOOSING, ISSUED, RUNNING, CLOSING, NAMING_EXIT, NAMING_ENTRY, NAMING_RUN }

    private static final class State {
        int tid, tgid;
        /** The process's other threads: interrupted, not stopped yet. */
        final Set<Integer> waiting = new HashSet<>();
        /** The process's other threads held in their stop, with the stop's signal (a group-stop is gone back to). */
        final Map<Integer, Integer> stopped = new HashMap<>();
        /** Kept at its seccomp stop until no thread is {@link #waiting} or the deadline passes. */
        boolean holding;
        long deadline;
        final Regs saved = new Regs();
        ExecChoice choice;
        Stage stage;
        int fd;
        long emptyVa, argv, envp, error, sigmask;
        /** The task's name after the exec natively (the path's last part), or null where the kernel's is right. */
        byte[] comm;
    }

    private final Ptrace pt;
    private final Tracer tracer;
    private final Regs work = new Regs();
    private final NativeScratch statBuf = new NativeScratch(512);
    /** Host tid -> the exec in progress; touched by the tracer thread only. */
    private final Map<Integer, State> states = new HashMap<>();
    /** Host tid -> the exec the serving thread is to choose for. */
    private final Map<Integer, ExecChoice> plans = new ConcurrentHashMap<>();
    /** Host tid of another thread -> the exec of its process that interrupted it; tracer thread only. */
    private final Map<Integer, State> stopping = new HashMap<>();
    /** Host tgid -> the exec holding that process's threads. */
    private final Map<Integer, State> byGroup = new HashMap<>();
    /** Execs kept at their seccomp stop while their process's threads stop. */
    private final List<State> holds = new ArrayList<>();

    ExecServing(Ptrace pt, Tracer tracer) {
        this.pt = pt;
        this.tracer = tracer;
    }

    /** For the serving thread: the exec the marker call of {@code tid} stands for, or null (a program's own tuxcall). */
    ExecChoice plan(int tid) {
        return plans.get(tid);
    }

    boolean active(int tid) {
        return states.containsKey(tid);
    }

    /** At a seccomp stop, {@code regs} just read: true when this took the stop (the task is resumed). */
    boolean onSeccomp(Task t, Regs regs) {
        State s = states.get(t.tid);
        long nr = regs.origRax();
        if (s != null && s.stage == Stage.NAMING_RUN) {
            pt.resume(Ptrace.PTRACE_SYSCALL, t.tid, 0); // the tracer's own prctl(PR_SET_NAME)
            return true;
        }
        if ((nr == SyscallNr.EXECVE || nr == SyscallNr.EXECVEAT) && stopping.containsKey(t.tid)) {
            // another thread's exec is holding this process: this one is run again once the
            // thread is released (if that exec succeeds, the thread is gone, as natively the loser is)
            regs.origRax(-1);
            regs.rax(nr);
            regs.rip(regs.rip() - 2);
            pt.setRegs(t.tid, regs);
            pt.resume(Ptrace.PTRACE_CONT, t.tid, 0);
            return true;
        }
        if (s != null && s.stage == Stage.ISSUED) {
            if (nr == SyscallNr.EXECVEAT && regs.arg(0) == s.fd && regs.arg(1) == s.emptyVa && regs.arg(2) == s.argv
                    && regs.arg(3) == s.envp && regs.arg(4) == AT_EMPTY_PATH) {
                s.stage = Stage.RUNNING;
                pt.sigmask(t.tid, s.sigmask);
                pt.resume(Ptrace.PTRACE_SYSCALL, t.tid, 0);
                return true;
            }
            states.remove(t.tid); // not the call it was given (its code changed under it): an ordinary call
            pt.sigmask(t.tid, s.sigmask);
            release(s);
        }
        if (nr != SyscallNr.EXECVE && nr != SyscallNr.EXECVEAT) {
            return false;
        }
        long[] args = new long[6];
        for (int i = 0; i < 6; i++) {
            args[i] = regs.arg(i);
        }
        byte[] path;
        try {
            path = readPath(t.tid, args[nr == SyscallNr.EXECVE ? 0 : 1]);
        } catch (PathError e) {
            regs.origRax(-1); // not run: the error is the answer
            regs.rax(e.errno);
            pt.setRegs(t.tid, regs);
            pt.resume(Ptrace.PTRACE_CONT, t.tid, 0);
            return true;
        }
        s = new State();
        s.tid = t.tid;
        s.saved.copyFrom(regs);
        s.choice = new ExecChoice((int) nr, args, path);
        s.stage = Stage.CHOOSING;
        s.comm = path.length == 0 ? null : commOf(path);
        states.put(t.tid, s);
        if (stopOthers(t, s)) {
            s.holding = true;
            s.deadline = System.nanoTime() + STOP_WAIT_NANOS;
            holds.add(s);
        } else {
            choose(s, regs);
        }
        return true;
    }

    /** The exec goes to the Sentry: the call becomes the marker. */
    private void choose(State s, Regs regs) {
        // Signals stay blocked until the execveat runs: natively an exec is never interrupted, and
        // a signal in the marker's wait (before the Sentry takes it) would restart it from the start
        // over and over under a fast timer. The program's mask is back before the kernel runs the exec.
        s.sigmask = pt.sigmask(s.tid);
        pt.sigmask(s.tid, ~0L);
        plans.put(s.tid, s.choice);
        regs.origRax(MARKER);
        pt.setRegs(s.tid, regs);
        pt.resume(Ptrace.PTRACE_SYSCALL, s.tid, 0);
    }

    /** Interrupts the other threads of {@code t}'s process; true when there is one to wait for. */
    private boolean stopOthers(Task t, State s) {
        for (Task o : tracer.tasks()) {
            if (o.tgid == t.tgid && o.tid != t.tid && !o.held && pt.interrupt(o.tid)) {
                s.waiting.add(o.tid);
                stopping.put(o.tid, s);
            }
        }
        if (s.waiting.isEmpty()) {
            return false;
        }
        s.tgid = t.tgid;
        byGroup.put(t.tgid, s);
        return true;
    }

    /** Whether an exec is waiting for threads to stop (the tracer then polls, to keep the deadline). */
    boolean holding() {
        return !holds.isEmpty();
    }

    /** Lets each exec whose deadline passed go on: a thread not stopped by then is inside a call (see the class comment). */
    void pastDeadline() {
        long now = System.nanoTime();
        for (State s : List.copyOf(holds)) {
            if (now - s.deadline >= 0) {
                proceed(s);
            }
        }
    }

    private void proceed(State s) {
        s.holding = false;
        holds.remove(s);
        if (pt.getRegs(s.tid, work)) {
            choose(s, work);
        }
    }

    /**
     * At a {@code PTRACE_EVENT_STOP}: true when it is the stop of a thread an exec interrupted,
     * which then stays stopped until the exec is over.
     */
    boolean onStop(Task t, int sig) {
        State s = stopping.get(t.tid);
        if (s == null || !s.waiting.remove(t.tid)) {
            return false;
        }
        s.stopped.put(t.tid, sig);
        if (s.holding && s.waiting.isEmpty()) {
            proceed(s);
        }
        return true;
    }

    /**
     * A thread created (by a clone that was under way at the interrupt) in a process whose exec
     * holds its threads: held as well, from its first stop ({@code stopped}: it is in it). True
     * when taken.
     */
    boolean adopt(Task c, boolean stopped) {
        State s = byGroup.get(c.tgid);
        if (s == null || c.tid == c.tgid) {
            return false;
        }
        stopping.put(c.tid, s);
        if (stopped) {
            s.stopped.put(c.tid, 0);
        } else {
            s.waiting.add(c.tid);
        }
        return true;
    }

    /** The exec is over without a new image: the threads it held go on as they were. */
    private void release(State s) {
        if (s == null) {
            return;
        }
        for (var e : s.stopped.entrySet()) {
            stopping.remove(e.getKey());
            tracer.release(e.getKey(), e.getValue());
        }
        forget(s);
    }

    /**
     * Drops what the exec held, resuming nothing: after a new image the kernel killed the other
     * threads. A thread still to stop is resumed at its stop as any stray one is.
     */
    private void forget(State s) {
        holds.remove(s);
        byGroup.remove(s.tgid, s);
        for (int tid : s.waiting) {
            stopping.remove(tid);
        }
        for (int tid : s.stopped.keySet()) {
            stopping.remove(tid);
        }
        s.waiting.clear();
        s.stopped.clear();
    }

    /** At a syscall stop of a task with an exec in progress. */
    void onSyscallStop(Task t) {
        State s = states.get(t.tid);
        int op = pt.syscallInfoOp(t.tid);
        if (s.stage == Stage.NAMING_EXIT || s.stage == Stage.NAMING_ENTRY || s.stage == Stage.NAMING_RUN) {
            name(t, s, op);
            return;
        }
        if (op != Ptrace.SYSCALL_INFO_EXIT) {
            pt.resume(Ptrace.PTRACE_SYSCALL, t.tid, 0); // the entry of the injected close
            return;
        }
        if (!pt.getRegs(t.tid, work)) {
            return;
        }
        long r = work.rax();
        switch (s.stage) {
            case CHOOSING -> {
                plans.remove(t.tid);
                if (r == ERESTARTSYS || r == ERESTARTNOHAND || r == ERESTART_RESTARTBLOCK) {
                    // a signal came before the Sentry took the call: natively an exec is not
                    // interrupted, so it restarts after the handler whatever SA_RESTART says
                    finish(t, s, ERESTARTNOINTR);
                    return;
                }
                if (r < 0 || !s.choice.chosen) {
                    finish(t, s, r < 0 ? r : Errno.EIO.negated());
                    return;
                }
                s.fd = (int) r;
                boolean at = s.choice.nr == SyscallNr.EXECVEAT;
                s.envp = s.choice.args[at ? 3 : 2];
                long err = placeArguments(t.tid, s, s.choice.args[at ? 2 : 1], work.rsp());
                if (err < 0) {
                    s.error = err;
                    closeDescriptor(t, s);
                    return;
                }
                work.rip(work.rip() - 2); // the same syscall instruction, run again
                work.rax(SyscallNr.EXECVEAT);
                work.arg(0, s.fd);
                work.arg(1, s.emptyVa);
                work.arg(2, s.argv);
                work.arg(3, s.envp);
                work.arg(4, AT_EMPTY_PATH);
                pt.setRegs(t.tid, work);
                s.stage = Stage.ISSUED;
                pt.resume(Ptrace.PTRACE_CONT, t.tid, 0);
            }
            case RUNNING -> {
                // a successful exec reports its event first and runs on; this one failed
                s.error = r;
                closeDescriptor(t, s);
            }
            case CLOSING -> finish(t, s, s.error);
            default -> pt.resume(Ptrace.PTRACE_CONT, t.tid, 0);
        }
    }

    /**
     * At a signal-delivery stop: a signal met between the marker's exit and the execveat would
     * have its frame written over the empty path below the stack pointer, so the task is put back
     * at its own call, which runs again from the start after the handler (the installed
     * descriptor stays, close-on-exec).
     */
    void onSignal(Task t) {
        State s = states.get(t.tid);
        if (s == null || s.stage != Stage.ISSUED) {
            return;
        }
        states.remove(t.tid);
        pt.sigmask(t.tid, s.sigmask);
        work.copyFrom(s.saved);
        work.rip(s.saved.rip() - 2);
        work.rax(s.saved.origRax());
        pt.setRegs(t.tid, work);
        release(s);
    }

    /**
     * At an exec event ({@code tid}: the process's leader, which an executing thread becomes):
     * false when the kernel loaded another file than the Sentry chose; the process is then killed.
     */
    boolean onExecEvent(int tid) {
        int former = (int) pt.eventMessage(tid);
        State s = states.remove(former > 0 ? former : tid);
        State leader = states.remove(tid);
        if (leader != null) {
            forget(leader);
        }
        if (s == null) {
            return true;
        }
        forget(s); // the kernel killed the threads it held
        byte[] name = ("/proc/" + tid + "/exe").getBytes(StandardCharsets.US_ASCII);
        statBuf.write(256, name, 0, name.length);
        statBuf.putByte(256 + name.length, (byte) 0);
        long r = HostCalls.call(HostCalls.NR_NEWFSTATAT, -100, statBuf.at(256), statBuf.at(0), 0);
        if (r == 0 && statBuf.getLong(0) == s.choice.dev && statBuf.getLong(8) == s.choice.ino) {
            if (s.comm != null && !Arrays.equals(comm(tid), s.comm)) {
                // the kernel named it after the descriptor's file (a symlink's target, the
                // interpreter): at the program's first call the tracer sets the path's name
                State n = new State();
                n.comm = s.comm;
                n.stage = Stage.NAMING_EXIT;
                states.put(tid, n);
            }
            return true;
        }
        Ptrace.kill(tid, SIGKILL);
        return false;
    }

    private static final class PathError extends Exception {
        final long errno;

        PathError(Errno e) {
            super(e.name(), null, false, false);
            this.errno = e.negated();
        }
    }

    private final byte[] pathPage = new byte[4096];

    /** The NUL-terminated path at {@code va}, read once, page by page: EFAULT, or ENAMETOOLONG past PATH_MAX. */
    private byte[] readPath(int tid, long va) throws PathError {
        int got = 0;
        while (got < 4096) {
            int chunk = (int) Math.min(4096 - got, 4096 - ((va + got) & 4095));
            if (!pt.readMemory(tid, va + got, pathPage, got, chunk)) {
                throw new PathError(Errno.EFAULT);
            }
            for (int i = got; i < got + chunk; i++) {
                if (pathPage[i] == 0) {
                    return java.util.Arrays.copyOf(pathPage, i);
                }
            }
            got += chunk;
        }
        throw new PathError(Errno.ENAMETOOLONG);
    }

    /** The last part of a path, at most 15 bytes: the task name Linux gives an exec of it. */
    private static byte[] commOf(byte[] path) {
        int from = path.length;
        while (from > 0 && path[from - 1] != '/') {
            from--;
        }
        return Arrays.copyOfRange(path, from, Math.min(path.length, from + 15));
    }

    /** The task's name ({@code /proc/<tid>/comm} without its newline), or null. */
    private byte[] comm(int tid) {
        byte[] b = tracer.pids().read(PidSpace.HOST_PROC, tid, "comm");
        return b == null ? null : Arrays.copyOf(b, b[b.length - 1] == '\n' ? b.length - 1 : b.length);
    }

    /**
     * Sets the name after an exec: past the execveat's exit, the program's first call is turned
     * into prctl(PR_SET_NAME) with the name written below the stack pointer, then run again as
     * it was.
     */
    private void name(Task t, State s, int op) {
        switch (s.stage) {
            case NAMING_EXIT -> {
                if (op == Ptrace.SYSCALL_INFO_EXIT) {
                    s.stage = Stage.NAMING_ENTRY;
                }
                pt.resume(Ptrace.PTRACE_SYSCALL, t.tid, 0);
            }
            case NAMING_ENTRY -> {
                if (op != Ptrace.SYSCALL_INFO_ENTRY || !pt.getRegs(t.tid, work)) {
                    pt.resume(Ptrace.PTRACE_SYSCALL, t.tid, 0);
                    return;
                }
                s.saved.copyFrom(work);
                long at = ((work.rsp() - BELOW_STACK) & ~15L) - 16;
                if (!pt.writeMemory(t.tid, at, Arrays.copyOf(s.comm, 16))) {
                    states.remove(t.tid);
                    pt.resume(Ptrace.PTRACE_CONT, t.tid, 0);
                    return;
                }
                work.origRax(NR_PRCTL);
                work.arg(0, PR_SET_NAME);
                work.arg(1, at);
                pt.setRegs(t.tid, work);
                s.stage = Stage.NAMING_RUN;
                pt.resume(Ptrace.PTRACE_SYSCALL, t.tid, 0);
            }
            default -> {
                if (op != Ptrace.SYSCALL_INFO_EXIT) {
                    pt.resume(Ptrace.PTRACE_SYSCALL, t.tid, 0);
                    return;
                }
                states.remove(t.tid);
                work.copyFrom(s.saved); // the program's call, run again from its instruction
                work.rip(s.saved.rip() - 2);
                work.rax(s.saved.origRax());
                pt.setRegs(t.tid, work);
                pt.resume(Ptrace.PTRACE_CONT, t.tid, 0);
            }
        }
    }

    /** Forgets a task that is gone. */
    void gone(int tid) {
        release(states.remove(tid));
        plans.remove(tid);
        State s = stopping.remove(tid);
        if (s != null) {
            s.waiting.remove(tid);
            s.stopped.remove(tid);
            if (s.holding && s.waiting.isEmpty()) {
                proceed(s);
            }
        }
    }

    /**
     * Writes the empty path (and for a script the new argument list) below the thread's stack
     * pointer, where nothing of the program lives; 0, or a negated errno.
     */
    private long placeArguments(int tid, State s, long argv, long rsp) {
        List<byte[]> head = s.choice.argvHead;
        long top = (rsp - BELOW_STACK) & ~15L;
        if (head == null) {
            s.emptyVa = top - 16;
            s.argv = argv;
            return pt.writeMemory(tid, s.emptyVa, new byte[16]) ? 0 : Errno.EFAULT.negated();
        }
        // the program's argv[1..], as the kernel keeps them after a script's head
        long[] rest = new long[64];
        int n = 0;
        if (argv != 0) {
            byte[] ptr = new byte[8 * 64];
            long va = argv;
            for (int index = 0; ; ) {
                // page by page: a list may end just before an unmapped page
                int count = (int) Math.max(1, Math.min(64, (4096 - (va & 4095)) / 8));
                if (!pt.readMemory(tid, va, ptr, 0, count * 8)) {
                    return Errno.EFAULT.negated();
                }
                ByteBuffer b = ByteBuffer.wrap(ptr).order(ByteOrder.LITTLE_ENDIAN);
                boolean end = false;
                for (int k = 0; k < count && !end; k++, index++) {
                    long p = b.getLong(8 * k);
                    end = p == 0;
                    if (!end && index > 0) {
                        if (n == MAX_ARGS) {
                            return Errno.E2BIG.negated();
                        }
                        if (n == rest.length) {
                            rest = java.util.Arrays.copyOf(rest, n * 2);
                        }
                        rest[n++] = p;
                    }
                }
                if (end) {
                    break;
                }
                va += count * 8L;
            }
        }
        int strings = 1;
        for (byte[] h : head) {
            strings += h.length + 1;
        }
        int pointers = (head.size() + n + 1) * 8;
        long base = (top - strings - pointers) & ~15L;
        ByteBuffer out = ByteBuffer.allocate(pointers + strings).order(ByteOrder.LITTLE_ENDIAN);
        long at = base + pointers;
        out.position(pointers);
        s.emptyVa = at;
        out.put((byte) 0);
        at++;
        int k = 0;
        for (byte[] h : head) {
            out.putLong(8 * k++, at);
            out.put(h).put((byte) 0);
            at += h.length + 1;
        }
        for (int i = 0; i < n; i++) {
            out.putLong(8 * k++, rest[i]);
        }
        out.putLong(8 * k, 0);
        s.argv = base;
        return pt.writeMemory(tid, base, out.array()) ? 0 : Errno.ENOMEM.negated();
    }

    /** Has the program close the installed descriptor (the same instruction, run as close), then {@link #finish}. */
    private void closeDescriptor(Task t, State s) {
        pt.sigmask(t.tid, s.sigmask);
        work.rip(work.rip() - 2);
        work.rax(NR_CLOSE);
        work.arg(0, s.fd);
        pt.setRegs(t.tid, work);
        s.stage = Stage.CLOSING;
        pt.resume(Ptrace.PTRACE_SYSCALL, t.tid, 0);
    }

    /** The program's own registers back, the call's result in rax: the exec is over for it. */
    private void finish(Task t, State s, long result) {
        states.remove(t.tid);
        pt.sigmask(t.tid, s.sigmask);
        work.copyFrom(s.saved);
        work.rax(result);
        pt.setRegs(t.tid, work);
        pt.resume(Ptrace.PTRACE_CONT, t.tid, 0);
        release(s);
    }
}
