package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.DeniedCall;
import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.abi.Signal;
import dev.palisade.sandbox.abi.SyscallNr;
import dev.palisade.sandbox.nativeinterop.VcpuExit;
import dev.palisade.sandbox.sentry.Sentry;
import dev.palisade.sandbox.sentry.SignalFrame;
import dev.palisade.sandbox.sentry.SentryFault;
import dev.palisade.sandbox.sentry.Syscall;
import dev.palisade.sandbox.sentry.SyscallContext;
import dev.palisade.sandbox.sentry.SyscallTable;
import dev.palisade.sandbox.sentry.TaskMemory;
import dev.palisade.sandbox.sentry.TaskStopped;
import dev.palisade.sandbox.sentry.VirtualProcess;
import dev.palisade.sandbox.sentry.VirtualThread;
import dev.palisade.sandbox.sentry.net.Loopback;
import dev.palisade.sandbox.sentry.vfs.DiskBound;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.HostFile;
import dev.palisade.sandbox.sentry.vfs.Interruption;
import dev.palisade.sandbox.sentry.vfs.QueueFile;
import dev.palisade.sandbox.sentry.vfs.WaitQueue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.palisade.sandbox.nativeinterop.KvmIoctls.*;
import static dev.palisade.sandbox.platform.kvm.GuestLayout.canonicalUser;

/**
 * One thread of a KVM process, on its own vCPU and host thread (the first thread of the first
 * process is the sandbox's): builds the machine, loads the program, and runs the loop
 * enter guest → exit → Sentry → resume until the program exits, faults, or a limit or kill
 * ends it. Every system call goes to the one {@link Sentry} dispatch with this task as its
 * {@link SyscallContext}: registers, guest memory, and the {@link VirtualProcess} the Sentry
 * keeps for the program.
 */
final class KvmTask implements SyscallContext {
    static final int MAX_DENIED = 1000;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    final KvmSandbox sandbox;
    /** The program this process runs; execve replaces it. */
    KvmLaunch launch;
    /** This process's pid in the sandbox (1 for the first program). */
    int pid;
    /** Volatile: the process's other threads read it to kick this one. */
    private volatile VcpuKicker kicker;
    /** Set by execve: the loop resumes at the new program's entry instead of returning from the call. */
    private boolean execed;
    /** Calls counted by number (hot path: no boxing); unknown numbers by name. */
    private final long[] countByNumber = new long[SyscallTable.maxNumber() + 1];
    private final Map<String, Long> unknownCounts = new LinkedHashMap<>();

    Map<String, Long> counts() {
        Map<String, Long> m = new java.util.TreeMap<>(unknownCounts);
        for (int i = 0; i < countByNumber.length; i++) {
            if (countByNumber[i] > 0) {
                m.put(SyscallTable.nameOf(i), countByNumber[i]);
            }
        }
        return m;
    }
    final List<DeniedCall> denied = new ArrayList<>();
    long deniedDropped;
    long cpuStartNs;
    /** This thread's Sentry state: tid, signal mask, tid address. */
    private VirtualThread vthread;
    /** The threads of this task's process, shared by them. */
    private KvmThreadGroup group;
    /** Set when this thread alone ends (its exit(2), or its process's execve); the process goes on. */
    private volatile boolean threadExited;

    GuestMachine machine;
    VirtualProcess proc;
    SyscallGate gate;
    ReadAhead readAhead;
    /** The arguments of the call being served. */
    private final long[] args = new long[6];
    private final Limits limits;
    private long outputBytes;
    SyscallPatcher patcher;

    /** Set by a handler to end the run: exit_group, a fatal signal, a limit. */
    volatile Termination endTermination;
    int endExitCode = -1;
    int endSignal;
    String endMessage;

    /** The sandbox's first process, pid 1. */
    KvmTask(KvmSandbox sandbox, KvmLaunch launch) {
        this(sandbox, launch, 1);
        sandbox.processes.addRoot(this);
        startProcess(0);
    }

    /** Makes this task the first thread of a new process (pid already set), with {@code sigmask}. */
    private void startProcess(long sigmask) {
        vthread = new VirtualThread(pid, sigmask);
        vthread.interrupter = this::kick;
        group = new KvmThreadGroup(this);
        group.add(pid, this);
    }

    private KvmTask(KvmSandbox sandbox, KvmLaunch launch, int pid) {
        this.sandbox = sandbox;
        this.launch = launch;
        this.limits = launch.spec().limits();
        this.pid = pid;
    }

    @Override
    public long cpuNanos() {
        return THREADS.getCurrentThreadCpuTime() - cpuStartNs;
    }

    /** Ends the process (every thread of it): the first reason wins, and is recorded on the leader, which reports it. */
    @Override
    public void end(Termination t, int exitCode, int signal, String message) {
        KvmTask leader = group == null ? this : group.leader;
        if (leader != this) {
            leader.end(t, exitCode, signal, message);
            return;
        }
        synchronized (this) {
            if (endTermination == null) {
                endTermination = t;
                endExitCode = exitCode;
                endSignal = signal;
                endMessage = message;
            }
        }
        if (proc != null) {
            proc.stopTimers();
        }
        stopThreads();
    }

    /** Kicks this thread out of KVM_RUN (a signal for it; its process ending). */
    private void kick() {
        VcpuKicker k = kicker;
        if (k != null) {
            k.kick();
        }
    }

    /** Makes the process's other threads leave their loops: out of KVM_RUN, out of a futex wait. */
    private void stopThreads() {
        if (group == null) {
            return;
        }
        for (KvmTask o : group.othersThan(this)) {
            o.kick();
            if (proc != null && o.vthread != null) {
                proc.futexes.interrupt(o.vthread);
            }
        }
    }

    /** Whether this thread's loop must return: its process ended, or it alone did. */
    private boolean done() {
        return threadExited || (group == null ? endTermination : group.leader.endTermination) != null;
    }

    /**
     * The leader's loop is over: waits for the process's other threads (stopping them when the
     * process ended), so that neither the report nor the VM's end comes before theirs. Blocking
     * calls look at their thread's process ({@link #aborted()}); one that does not return anyway
     * is given two seconds (the VM outlives it: its vCPU is released last).
     */
    private void awaitThreads() {
        try {
            while (true) {
                if (endTermination == null && sandbox.aborted()) {
                    end(sandbox.stopReason == null ? Termination.KILLED : sandbox.stopReason, -1, Signal.SIGKILL,
                            sandbox.stopMessage == null ? "stopped" : sandbox.stopMessage);
                }
                if (endTermination != null) {
                    stopThreads();
                    group.awaitOthers(this, 2000);
                    return;
                }
                if (group.awaitOthers(this, -1)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The memory limit in bytes this sandbox runs with (no limit: 4 GiB of guest memory). */
    static long memoryBytes(KvmLaunch l) {
        return l.spec().limits().memoryBytes() > 0 ? l.spec().limits().memoryBytes() : VcpuThreads.STANDBY_MEMORY;
    }

    /** Runs the sandbox on the calling (vCPU) thread, on {@code prebuilt} if given (built on this thread). */
    void run(GuestMachine prebuilt) {
        run(prebuilt, null, null);
    }

    /**
     * Like {@link #run(GuestMachine)}; {@code preElf}/{@code preLoaded}: an executable the standby
     * already loaded into {@code prebuilt} (used when it is this sandbox's, removed otherwise).
     */
    void run(GuestMachine prebuilt, ElfImage preElf, ElfImage.Loaded preLoaded) {
        CURRENT.set(this);
        cpuStartNs = THREADS.getCurrentThreadCpuTime();
        sandbox.cpuBaselineNanos = cpuStartNs;
        long wall0 = sandbox.startNanos;
        try {
            if (prebuilt != null) {
                machine = prebuilt;
                machine.memory.allocator().setLimitPages((memoryBytes(launch) + GuestLayout.PAGE - 1) / GuestLayout.PAGE);
            } else {
                SyscallPath path = SyscallPathProbe.chosen();
                if (path == null) {
                    throw new IllegalStateException("no system call path works on this host: " + SyscallPathProbe.result().summary());
                }
                machine = new GuestMachine(path, memoryBytes(launch));
            }
            SyscallPath path = machine.path;
            kicker = new VcpuKicker(machine.vcpu);
            sandbox.attach(kicker, machine.memory);
            gate = new SyscallGate(machine);
            proc = new VirtualProcess(machine.memory, launch.fs(), launch.workdir(), launch.execPath(), sizeLimit);
            proc.signalWaker = this::wakeForSignal;
            sandbox.loopback.calls = interruption;   // answers for whichever of the sandbox's threads blocks on a TCP socket
            proc.nameAfter(launch.spec().command().get(0));
            if (path == SyscallPath.PVM_MMIO && !launch.spec().trace()) {
                readAhead = new ReadAhead(machine);
            }
            setUpStdio();
            ElfImage.Loaded pre = null;
            if (preLoaded != null && preElf == launch.elf()) {
                pre = preLoaded;
            } else if (preLoaded != null) {
                machine.memory.unmap(preLoaded.low(), preLoaded.end() - preLoaded.low());
            }
            long[] entry = KvmStartup.load(launch, machine.memory, proc, pre);
            if (readAhead != null) {
                patcher = new SyscallPatcher(machine.memory, entry[2]);
            }
            machine.setEntry(entry[0], entry[1]);
            sandbox.firstInstructionNanos = System.nanoTime();
            loop();
        } catch (Throwable e) {
            endBy(e, "engine error: ");
        } finally {
            awaitThreads();
            sandbox.detach(kicker, machine == null ? null : machine.memory);
            long cpu = cpuNanos() + sandbox.otherCpuNanos();
            if (proc != null) {
                proc.closeAll();
            }
            // as when a pid namespace's init ends: the other processes are stopped (their counts join the result)
            sandbox.initEnded();
            try {
                sandbox.processes.awaitOthers(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Map<String, Long> allCounts = counts();
            sandbox.processes.endedCounts().forEach((k, v) -> allCounts.merge(k, v, Long::sum));
            List<DeniedCall> allDenied = new ArrayList<>(denied);
            allDenied.addAll(sandbox.processes.endedDenied());
            sandbox.loopback.close();
            sandbox.closeOutputs();
            long peak = machine != null ? machine.memory.allocator().peakUserBytes() : 0;
            Termination t = endTermination == null ? Termination.ENGINE_ERROR : endTermination;
            String msg = endMessage == null ? "ended" : endMessage;
            // as on ptrace: a program that failed after its writes got ENOSPC from the disk bound ended by that bound
            DiskBound full = launch.fs().bounds().stream().filter(DiskBound::reached).findFirst().orElse(null);
            if (full != null) {
                String disk = launch.spec().limits().diskLimitMessage(full.where());
                if (t == Termination.EXITED && endExitCode != 0) {
                    t = Termination.DISK_LIMIT;
                    msg = disk + "; exit code " + endExitCode;
                } else if (t == Termination.SIGNALED) {
                    t = Termination.DISK_LIMIT;
                    msg = disk + "; " + msg;
                } else if (t == Termination.EXITED) {
                    msg += "; " + disk;
                }
            }
            boolean exited = t == Termination.EXITED || t == Termination.DISK_LIMIT;
            sandbox.finish(new SandboxResult(t, exited ? endExitCode : -1, endSignal, msg, "kvm", cpu,
                    System.nanoTime() - wall0, peak, allCounts, allDenied, deniedDropped));
            if (machine != null) {
                machine.close();   // after the result: tearing the VM down takes a while and nobody waits for it
            }
        }
    }

    private void loop() {
        boolean trace = launch.spec().trace();
        while (true) {
            if (done()) {
                return;
            }
            if (sandbox.stopReason != null) {
                end(sandbox.stopReason, -1, 9, sandbox.stopMessage);
                return;
            }
            if (sandbox.aborted()) {
                end(Termination.KILLED, -1, Signal.SIGKILL, "the sandbox's first process ended");
                return;
            }
            sandbox.throttle();
            var cpu = machine.vcpu;   // execve replaces the machine
            VcpuExit e = cpu.run();
            if (gate.isSyscall(e)) {
                long nr = cpu.reg(REG_RAX);
                long result = dispatch(nr, trace);
                if (done()) {
                    return;
                }
                if (execed) {   // the new program's registers are set: nothing returns from execve
                    execed = false;
                    continue;
                }
                if (resumeRegs != null) {   // rt_sigreturn: the frame's registers, not a return from the call
                    long[] r = resumeRegs;
                    resumeRegs = null;
                    if (!resumeAfterSignals(r, machine.path == SyscallPath.HARDWARE_LSTAR)) {
                        return;
                    }
                    continue;
                }
                if ((SignalFrame.interrupted(result) || vthread.signalDeliverable(proc)) && canonicalUser(cpu.reg(REG_RCX))) {
                    long[] r = userRegisters();
                    r[0] = result;
                    if (!resumeAfterSignals(r, machine.path == SyscallPath.HARDWARE_LSTAR, nr)) {
                        return;
                    }
                    continue;
                }
                if (!gate.complete(result)) {
                    end(Termination.SIGNALED, -1, Signal.SIGSEGV, String.format(
                            "SIGSEGV: system call returned to a non-user address 0x%x", cpu.reg(REG_RCX)));
                    return;
                }
                continue;
            }
            if (e instanceof VcpuExit.Interrupted) {
                cpu.setImmediateExit(false);
                if (!done() && vthread.signalDeliverable(proc)) {
                    // a signal sent to this thread while it ran (tgkill, a timer, kicks it): taken where it stands, as at
                    // an interrupt; caught inside the syscall stub it waits for the call's return instead
                    long[] r = new long[18];
                    for (int i = 0; i < 18; i++) {
                        r[i] = cpu.reg(8 * i);
                    }
                    if (GuestLayout.programAddress(r[16]) && !resumeAfterSignals(r, false)) {
                        return;
                    }
                }
                continue;   // the loop head looks at why
            }
            SyscallGate.Fault f = gate.describe(e);
            long[] at = f.signal() == 0 ? null : gate.faultRegisters(e);
            if (at != null && SignalFrame.deliverFault(this, at, f.signal(), f.code(), f.address())) {
                if (!resumeAfterSignals(at, true)) {
                    return;
                }
                continue;
            }
            if (done()) {
                return;
            }
            if (f.signal() == 0) {
                end(Termination.ENGINE_ERROR, -1, 0, f.reason());
            } else {
                end(Termination.SIGNALED, -1, f.signal(), f.reason());
            }
            return;
        }
    }

    // ------------------------------------------------------------------ processes

    /** Tasks (processes and threads) per sandbox whatever the spec's limit (0 is no limit): each is a vCPU and a host thread. */
    static final int MAX_PROCESSES = 256;
    private static final long CLONE_VM = 0x100, CLONE_SIGHAND = 0x800, CLONE_VFORK = 0x4000, CLONE_THREAD = 0x10000,
            CLONE_SETTLS = 0x80000, CLONE_PARENT_SETTID = 0x100000, CLONE_CHILD_CLEARTID = 0x200000,
            CLONE_CHILD_SETTID = 0x01000000;

    /**
     * Fork: a new process in a VM of its own whose memory is a copy of this one's (copied while
     * this task waits), with the same registers (rax = 0), FS base and FPU state, on a vCPU
     * thread of its own. CLONE_THREAD makes a thread instead ({@link #spawnThread}); a process
     * sharing this one's memory (CLONE_VM without CLONE_VFORK or CLONE_THREAD) is not offered.
     */
    @Override
    public long forkProcess(long flags) {
        boolean clone = machine.vcpu.reg(REG_RAX) == SyscallNr.CLONE;
        if (!clone) {
            flags = 0;
        }
        if ((flags & CLONE_THREAD) != 0) {
            return spawnThread(flags);
        }
        if ((flags & CLONE_SIGHAND) != 0 && (flags & CLONE_VM) == 0) {
            return Errno.EINVAL.negated();
        }
        if ((flags & CLONE_VM) != 0 && (flags & CLONE_VFORK) == 0) {
            return Errno.ENOSYS.negated();   // a process sharing this one's memory: processes are VMs of their own
        }
        if (sandbox.processes.count() >= MAX_PROCESSES) {
            return refuse(Errno.EAGAIN, "the KVM platform's own limit of " + MAX_PROCESSES + " processes per sandbox");
        }
        long[] regs = userRegisters();
        regs[0] = 0;
        if (clone && args[1] != 0) {
            regs[6] = args[1];   // the child's stack
        }
        long fs = clone && (flags & CLONE_SETTLS) != 0 ? args[4] : machine.fsBase();
        long childTid = clone && (flags & CLONE_CHILD_SETTID) != 0 ? args[3] : 0;
        byte[] fpu = fpuState();
        KvmTask child = new KvmTask(sandbox, launch, -1);
        child.pid = sandbox.processes.add(child, pid);
        child.startProcess(vthread.sigmask());
        child.vthread.inheritAltStack(vthread);
        java.util.concurrent.CompletableFuture<Long> ready = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> child.runForked(this, regs, fs, fpu, childTid, ready), "palisade-kvm-vcpu-" + child.pid);
        t.setDaemon(true);
        t.start();
        long r;
        try {
            r = ready.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Errno.EINTR.negated();
        } catch (java.util.concurrent.ExecutionException e) {
            return Errno.EAGAIN.negated();
        }
        if (r > 0 && clone && (flags & CLONE_PARENT_SETTID) != 0) {
            try {
                machine.memory.writeInt(args[2], (int) r);
            } catch (dev.palisade.sandbox.sentry.BadAddress ignored) {
                // Linux ignores a bad parent_tid too
            }
        }
        return r;
    }

    /** The child's side of {@link #forkProcess}: build, copy, report to the parent, run, record the exit. */
    private void runForked(KvmTask parent, long[] regs, long fs, byte[] fpu, long childTid,
                           java.util.concurrent.CompletableFuture<Long> ready) {
        CURRENT.set(this);
        cpuStartNs = THREADS.getCurrentThreadCpuTime();
        sandbox.vcpuStarted(cpuStartNs);
        try {
            machine = new GuestMachine(parent.machine.path, memoryBytes(launch));
            kicker = new VcpuKicker(machine.vcpu);
            sandbox.attach(kicker, machine.memory);
            gate = new SyscallGate(machine);
            machine.memory.copyFrom(parent.machine.memory);
            proc = parent.proc.forkInto(machine.memory, sizeLimit);
            proc.signalWaker = this::wakeForSignal;
            machine.setFsBase(fs);
            machine.vcpu.setXsave(fpu);
            if (childTid != 0) {
                try {
                    machine.memory.writeInt(childTid, pid);
                } catch (dev.palisade.sandbox.sentry.BadAddress ignored) {
                    // as Linux: a bad child_tid is not an error of the fork
                }
            }
            machine.resumeUser(regs, false);
            ready.complete((long) pid);
            loop();
        } catch (PhysicalAllocator.MemoryLimitExceeded e) {
            ready.complete(Errno.ENOMEM.negated());
            end(Termination.MEMORY_LIMIT, -1, 9, "memory limit: " + e.getMessage());
        } catch (TaskStopped e) {
            ready.complete(Errno.EAGAIN.negated());
            end(Termination.KILLED, -1, Signal.SIGKILL, "stopped");
        } catch (SentryFault e) {
            sandbox.stop(Termination.ENGINE_ERROR, "process " + pid + ": " + e.getMessage());
        } catch (Throwable e) {
            ready.complete(Errno.EAGAIN.negated());
            sandbox.stop(Termination.ENGINE_ERROR, "process " + pid + ": engine error: " + e);
        } finally {
            awaitThreads();
            sandbox.detach(kicker, machine == null ? null : machine.memory);
            sandbox.vcpuEnded(cpuNanos());
            if (proc != null) {
                proc.closeAll();
            }
            if (machine != null) {
                machine.memory.releaseShared();   // as Linux drops the mm before the parent can reap: written back when the exit is seen
            }
            boolean forked = ready.getNow(-1L) > 0;
            int status = endTermination == Termination.EXITED ? (endExitCode & 0xff) << 8
                    : endTermination == Termination.SIGNALED ? endSignal & 0x7f : Signal.SIGKILL;
            sandbox.processes.addDenied(denied);
            sandbox.processes.ended(pid, status, counts(), forked);   // SIGCHLD to the parent now (pid 1 after a reparent)
            if (machine != null) {
                machine.close();
            }
        }
    }

    /**
     * A thread (clone with CLONE_THREAD, as pthread_create makes it): another vCPU of this
     * process's VM on a host thread of its own, starting with this thread's registers (rax = 0)
     * on the stack it names, the TLS it names (else this thread's FS base), this thread's FPU
     * state and signal mask, and a tid from the sandbox's pid space. Counted by the process limit.
     */
    private long spawnThread(long flags) {
        if ((flags & CLONE_SIGHAND) == 0 || (flags & CLONE_VM) == 0) {
            return Errno.EINVAL.negated();   // as Linux: a thread shares the handlers, and they need the memory
        }
        if (sandbox.processes.count() >= MAX_PROCESSES) {
            return refuse(Errno.EAGAIN, "the KVM platform's own limit of " + MAX_PROCESSES + " tasks per sandbox");
        }
        if (readAhead != null) {
            // the stub's window table is the process's and its consumed counts are not atomic: no windows once threads exist
            readAhead.syncAll();
            readAhead = null;
            patcher = null;
        }
        long[] regs = userRegisters();
        regs[0] = 0;
        if (args[1] != 0) {
            regs[6] = args[1];
        }
        long fs = (flags & CLONE_SETTLS) != 0 ? args[4] : machine.fsBase();
        byte[] fpu = fpuState();
        KvmTask t = new KvmTask(sandbox, launch, pid);
        t.proc = proc;
        t.group = group;
        int tid = sandbox.processes.addThread(t);
        t.vthread = new VirtualThread(tid, vthread.sigmask());
        t.vthread.interrupter = t::kick;
        if ((flags & CLONE_CHILD_CLEARTID) != 0) {
            t.vthread.clearChildTid = args[3];
        }
        // the memory is shared: both tid words are written before the thread can run (and exit)
        if ((flags & CLONE_PARENT_SETTID) != 0) {
            writeTid(args[2], tid);
        }
        if ((flags & CLONE_CHILD_SETTID) != 0) {
            writeTid(args[3], tid);
        }
        group.add(tid, t);
        GuestMachine first = machine;
        java.util.concurrent.CompletableFuture<Long> ready = new java.util.concurrent.CompletableFuture<>();
        Thread h = new Thread(() -> t.runThread(first, regs, fs, fpu, ready), "palisade-kvm-vcpu-" + pid + "-" + tid);
        h.setDaemon(true);
        h.start();
        try {
            return ready.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Errno.EINTR.negated();
        } catch (java.util.concurrent.ExecutionException e) {
            return Errno.EAGAIN.negated();
        }
    }

    private void writeTid(long at, int tid) {
        try {
            machine.memory.writeInt(at, tid);
        } catch (dev.palisade.sandbox.sentry.BadAddress ignored) {
            // as Linux: a bad tid pointer is not an error of the clone
        }
    }

    /** The new thread's side of {@link #spawnThread}: take a vCPU of the VM, start, run, leave. */
    private void runThread(GuestMachine first, long[] regs, long fs, byte[] fpu, java.util.concurrent.CompletableFuture<Long> ready) {
        CURRENT.set(this);
        cpuStartNs = THREADS.getCurrentThreadCpuTime();
        sandbox.vcpuStarted(cpuStartNs);
        try {
            try {
                machine = first.threadVcpu();
                kicker = new VcpuKicker(machine.vcpu);
                sandbox.attach(kicker, machine.memory);
                gate = new SyscallGate(machine);
                machine.setFsBase(fs);
                machine.vcpu.setXsave(fpu);
                machine.resumeUser(regs, true);   // a reused vCPU may have last stopped in an exception stub
            } catch (RuntimeException e) {
                // no vCPU for it (KVM refused one, no page left for its stacks): the clone fails, the process goes on
                ready.complete(e instanceof PhysicalAllocator.MemoryLimitExceeded ? Errno.ENOMEM.negated() : Errno.EAGAIN.negated());
                return;
            }
            ready.complete((long) vthread.tid);
            loop();
        } catch (Throwable e) {
            endBy(e, "engine error in thread " + vthread.tid + ": ");
        } finally {
            if (kicker != null) {
                sandbox.detach(kicker, machine.memory);
            }
            sandbox.vcpuEnded(cpuNanos());
            sandbox.processes.threadEnded(vthread.tid, counts(), denied);
            group.leave(vthread.tid);
            if (machine != null) {
                machine.close();
            }
        }
    }

    /**
     * A signal for the process: unless this thread takes it as its call returns, the first other
     * thread that does not block it is kicked out of the guest or its futex wait to take it (as
     * Linux's complete_signal picks a thread).
     */
    @Override
    public void processSignalled(int sig) {
        long bit = 1L << (sig - 1);
        if ((vthread.sigmask() & bit) == 0) {
            return;
        }
        for (KvmTask o : group.othersThan(this)) {
            if ((o.vthread.sigmask() & bit) == 0) {
                o.kick();
                o.vthread.interruptWait(proc);
                return;
            }
        }
    }

    /**
     * A signal raised for the process outside any call (a timer's SIGALRM): the first of its
     * threads that does not block it is kicked out of the guest or its futex wait to take it.
     */
    private void wakeForSignal(int sig) {
        long bit = 1L << (sig - 1);
        KvmTask leader = group == null ? this : group.leader;
        List<KvmTask> threads = new ArrayList<>();
        threads.add(leader);
        if (group != null) {
            threads.addAll(group.othersThan(leader));
        }
        for (KvmTask o : threads) {
            VirtualThread t = o.vthread;
            if (t != null && (t.sigmask() & bit) == 0) {
                o.kick();
                t.interruptWait(proc);
                return;
            }
        }
    }

    /** How what left a run loop ends the task: a limit, the sandbox's stop, a Sentry fault, or an engine error. */
    private void endBy(Throwable e, String engineError) {
        if (e instanceof PhysicalAllocator.MemoryLimitExceeded) {
            end(Termination.MEMORY_LIMIT, -1, 9, "memory limit: " + e.getMessage());
        } else if (e instanceof TaskStopped) {
            end(sandbox.stopReason == null ? Termination.KILLED : sandbox.stopReason, -1, Signal.SIGKILL, sandbox.stopMessage);
        } else if (e instanceof SentryFault f) {
            deny(cpuReg(REG_RAX), f.call(), null, "fault", f.getCause().toString());
            end(Termination.ENGINE_ERROR, -1, 0, f.getMessage());
        } else {
            end(Termination.ENGINE_ERROR, -1, 0, engineError + e);
        }
    }

    /** Threads of this task's process now running (/proc's Threads line). */
    int threadCount() {
        return group.size();
    }

    /** Exit(2): this thread ends; the last thread's exit ends the process. */
    @Override
    public void exitThread(int code) {
        if (group.leave(vthread.tid)) {
            end(Termination.EXITED, code, 0, "exited with code " + code);
        } else {
            threadExited = true;
        }
    }

    /**
     * Execve: the program at {@code path} (resolved in the sandbox from the cwd) replaces this
     * process's in a fresh VM; descriptors without close-on-exec, cwd, mask and ignored signals
     * carry over. Errors before the point of no return come back as the call's errno.
     */
    @Override
    public long execProgram(String path, List<String> argv, List<String> envp) {
        if (group.size() > 1 && group.leader != this) {
            return refuse(Errno.EAGAIN, "execve from a thread other than the process's first is not offered");
        }
        ElfImage elf, interp = null;
        dev.palisade.sandbox.sentry.vfs.VirtualFs.Resolved r;
        try {
            r = launch.fs().resolve(pid, proc.cwd(), path, true);
            if (r.synthetic() || !java.nio.file.Files.isRegularFile(r.host(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return r.synthetic() || java.nio.file.Files.isDirectory(r.host()) ? Errno.EACCES.negated() : Errno.ENOENT.negated();
            }
            if (!java.nio.file.Files.isExecutable(r.host())) {
                return Errno.EACCES.negated();
            }
            if (java.nio.file.Files.size(r.host()) > KvmPlatform.MAX_EXECUTABLE) {
                return Errno.ENOMEM.negated();
            }
            elf = KvmPlatform.parseCached(r.host());
            if (elf.dynamic()) {
                var ri = launch.fs().resolve("/", elf.interpreter, true);
                if (ri.synthetic() || !java.nio.file.Files.isRegularFile(ri.host(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    return Errno.ENOENT.negated();
                }
                interp = KvmPlatform.parseCached(ri.host());
                if (interp.dynamic() || !interp.pie()) {
                    return Errno.ELIBBAD.negated();
                }
            }
        } catch (FsError e) {
            return e.errno().negated();
        } catch (ElfImage.ElfException e) {
            return Errno.ENOEXEC.negated();
        } catch (java.io.IOException e) {
            return Errno.EIO.negated();
        }
        KvmLaunch next = new KvmLaunch(launch.spec(), launch.fs(), launch.workdir(), r.path(), elf, interp, List.copyOf(argv),
                List.copyOf(envp), launch.tmpDir(), launch.ownWorkspace(), launch.trace());
        if (!stopOtherThreads()) {
            return Errno.EAGAIN.negated();
        }
        GuestMachine old = machine;
        GuestMachine fresh = new GuestMachine(old.path, memoryBytes(launch));
        // the point of no return: from here a failure ends the process, as Linux's exec after flush_old_exec
        sandbox.detach(kicker, old.memory);
        machine = fresh;
        kicker = new VcpuKicker(fresh.vcpu);
        sandbox.attach(kicker, fresh.memory);
        gate = new SyscallGate(fresh);
        readAhead = null;
        patcher = null;
        proc = proc.execInto(fresh.memory, r.path());   // the interval timer goes on, as Linux keeps it
        vthread.disableAltStack();
        proc.signalWaker = this::wakeForSignal;
        proc.nameAfter(path);
        launch = next;
        old.close();
        long[] entry = KvmStartup.load(next, fresh.memory, proc, null);
        fresh.setEntry(entry[0], entry[1]);
        execed = true;
        return 0;
    }

    /** Execve ends the process's other threads (as Linux's de_thread); false if one did not leave within two seconds. */
    private boolean stopOtherThreads() {
        List<KvmTask> others = group.othersThan(this);
        if (others.isEmpty()) {
            return true;
        }
        for (KvmTask o : others) {
            o.threadExited = true;
        }
        for (KvmTask o : others) {
            o.kick();
            proc.futexes.interrupt(o.vthread);
        }
        try {
            return group.awaitOthers(this, 2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public long[] waitChild(int idtype, int id, boolean noHang, boolean reap) {
        try {
            return sandbox.processes.await(pid, idtype, id, noHang, reap, interruption);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new long[] {Errno.EINTR.negated()};
        }
    }

    /** Registers rt_sigreturn restores; set by {@link #resumeWith}, installed by the loop. */
    private long[] resumeRegs;

    /**
     * Resumes the program at {@code r}, first delivering any signal that is pending and not
     * blocked (which points {@code r} at its handler). False when that ended the program.
     */
    private boolean resumeAfterSignals(long[] r, boolean fromRing0) {
        return resumeAfterSignals(r, fromRing0, -1);
    }

    /**
     * As {@link #resumeAfterSignals(long[], boolean)} as system call {@code nr} returns (-1: not
     * a call's return): a call a signal interrupted ends with EINTR or is made again from its
     * {@code syscall} instruction ({@link SignalFrame#deliverPending(SyscallContext, long[], long, long)}).
     */
    private boolean resumeAfterSignals(long[] r, boolean fromRing0, long nr) {
        boolean interrupted = nr >= 0 && SignalFrame.interrupted(r[0]);
        if ((interrupted || vthread.signalDeliverable(proc))
                && !SignalFrame.deliverPending(this, r, interrupted ? nr : -1, interrupted ? SyscallPatcher.restartAt(machine.memory, r[16]) : 0)
                && done()) {
            return false;
        }
        if (!canonicalUser(r[16])) {
            end(Termination.SIGNALED, -1, Signal.SIGSEGV, String.format("SIGSEGV: resuming at a non-user address 0x%x", r[16]));
            return false;
        }
        r[17] = GuestLayout.sanitizeRflags(r[17]);
        machine.resumeUser(r, fromRing0);
        return true;
    }

    @Override
    public long[] userRegisters() {
        long[] r = new long[18];
        for (int i = 0; i < 18; i++) {
            r[i] = machine.vcpu.reg(8 * i);
        }
        r[16] = r[2];                              // a call returns to rcx
        r[17] = GuestLayout.sanitizeRflags(r[11]); // with the flags of r11
        return r;
    }

    @Override
    public void resumeWith(long[] regs) {
        resumeRegs = regs.clone();
    }

    @Override
    public byte[] fpuState() {
        return machine.vcpu.getXsave();
    }

    @Override
    public boolean restoreFpuState(byte[] image) {
        return machine.vcpu.setXsave(image);
    }

    private long cpuReg(int reg) {
        return machine == null ? -1 : machine.vcpu.reg(reg);
    }

    private long dispatch(long nr, boolean trace) {
        Syscall entry = SyscallTable.get(nr);
        String name;
        if (entry == null) {
            name = "unknown_" + nr;
            if (unknownCounts.size() < 1000 || unknownCounts.containsKey(name)) {
                unknownCounts.merge(name, 1L, Long::sum);
            }
        } else {
            name = entry.name();
            countByNumber[entry.number()]++;
        }
        var cpu = machine.vcpu;
        args[0] = cpu.reg(REG_RDI);
        args[1] = cpu.reg(REG_RSI);
        args[2] = cpu.reg(REG_RDX);
        args[3] = cpu.reg(REG_R10);
        args[4] = cpu.reg(REG_R8);
        args[5] = cpu.reg(REG_R9);
        if (readAhead != null && readAhead.active() && !ReadAhead.keeps((int) nr) && !writeToNonFile(nr)) {
            readAhead.syncAll();
        }
        long r = Sentry.call(Sentry.Platform.KVM, nr, this);
        if (r == Errno.EPIPE.negated() && raisesSigpipe(nr)) {
            SignalFrame.brokenPipe(this);
        }
        if (r == Sentry.KILL) {
            deny(nr, name, null, "kill", entry.note());
            end(Termination.POLICY_VIOLATION, -1, Signal.SIGKILL, "policy violation: system call " + name + " is not allowed");
            r = -1;
        }
        long a0 = args[0];
        if (nr == SyscallNr.READ && readAhead != null && r > 0 && r == args[2] && a0 >= 0 && a0 < GuestLayout.WIN_FDS) {
            readAhead.refill((int) a0, proc.fds[(int) a0]);
            long back = cpu.reg(REG_RCX);
            long now = patcher.afterRead(back);
            if (now != back) {
                cpu.setReg(REG_RCX, now);
            }
        }
        if (trace) {
            launch.trace().accept(String.format("[kvm] %s(0x%x, 0x%x, 0x%x) = %s  [%s]", name, args[0], args[1], args[2],
                    r < 0 && r > -4096 ? "-" + Errno.nameOf((int) -r) : "0x" + Long.toHexString(r),
                    Sentry.decision(Sentry.Platform.KVM, nr, r)));
        }
        return r;
    }

    /** Calls whose EPIPE comes with SIGPIPE: the writes, and sends without MSG_NOSIGNAL. */
    private boolean raisesSigpipe(long nr) {
        final long msgNoSignal = 0x4000;
        return switch ((int) nr) {
            case SyscallNr.WRITE, SyscallNr.WRITEV, 18 /* pwrite64 */ -> true;
            case 44 /* sendto */ -> (args[3] & msgNoSignal) == 0;
            case 46 /* sendmsg */ -> (args[2] & msgNoSignal) == 0;
            default -> false;
        };
    }

    /** A write to a pipe, socket or stdio: read-ahead windows of files stay valid across it. */
    private boolean writeToNonFile(long nr) {
        if (nr != SyscallNr.WRITE && nr != SyscallNr.WRITEV) {
            return false;
        }
        long fd = args[0];
        return !(fd >= 0 && fd < VirtualProcess.MAX_FDS && proc.fds[(int) fd] instanceof HostFile);
    }

    private void deny(long nr, String name, Errno errno, String action, String detail) {
        if (denied.size() < MAX_DENIED) {
            denied.add(new DeniedCall(pid, (int) nr, name, errno == null ? 0 : errno.value(), action,
                    detail + " (0x" + Long.toHexString(args[0]) + ", 0x" + Long.toHexString(args[1]) + ", 0x"
                            + Long.toHexString(args[2]) + ")"));
        } else {
            deniedDropped++;
        }
    }

    // ------------------------------------------------------------------ the Sentry's view of this task

    private void setUpStdio() throws FsError {
        KvmSandbox s = sandbox;
        proc.install(new QueueFile(s.stdinQueue, false, interruption, null, 10), false, 0);
        proc.install(new QueueFile(s.stdoutQueue, true, interruption, this::allowOutput, 11), false, 1);
        proc.install(new QueueFile(s.stderrQueue, true, interruption, this::allowOutput, 12), false, 2);
    }

    /** Output budget of the sandbox (kept by pid 1; the forked processes share its stdout and stderr). */
    private synchronized long allowOutput(long n) {
        long max = limits.outputBytes();
        if (max <= 0) {
            return n;
        }
        long left = max - outputBytes;
        long ok = Math.max(0, Math.min(n, left));
        outputBytes += ok;
        if (ok < n) {
            String why = "output limit of " + max + " bytes reached";
            end(Termination.OUTPUT_LIMIT, -1, Signal.SIGKILL, why);
            sandbox.stop(Termination.OUTPUT_LIMIT, why);   // a forked writer ends the whole sandbox, as pid 1's own write does
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
            if (!proc.ignores(Signal.SIGXFSZ)) {
                end(Termination.FILE_SIZE_LIMIT, -1, Signal.SIGXFSZ, "file size limit of " + limits.fileSizeBytes() + " bytes reached");
            }
        }
    };

    @Override
    public long arg(int i) {
        return args[i];
    }

    @Override
    public int pid() {
        return pid;
    }

    @Override
    public int tid() {
        return vthread.tid;
    }

    @Override
    public boolean keepsThreads() {
        return true;
    }

    @Override
    public VirtualThread thread() {
        return vthread;
    }

    @Override
    public VirtualProcess processOf(int pid) {
        KvmTask t = sandbox.processes.task(pid);
        return t == null || t.done() ? null : t.proc;
    }

    @Override
    public int[] processIds() {
        return sandbox.processes.pids();
    }

    @Override
    public boolean zombie(int pid, int pgid) {
        return sandbox.processes.zombie(pid, pgid);
    }

    @Override
    public int parentOf(int pid) {
        return sandbox.processes.parentOf(pid);
    }

    /** The signal mask of the process's first thread, which decides whether a signal ignored by default stays pending. */
    long leaderMask() {
        KvmTask leader = group == null ? this : group.leader;
        return leader.vthread == null ? 0 : leader.vthread.blocked();
    }

    @Override
    public void killProcess(int pid, int sig) {
        KvmTask t = sandbox.processes.task(pid);
        if (t != null) {
            t.end(Termination.SIGNALED, -1, sig, "killed by signal " + sig + " (sent by process " + this.pid + ")");
        }
    }

    @Override
    public VirtualThread threadOf(int tid) {
        KvmTask t = group.byTid(tid);
        return t == null ? null : t.vthread;
    }

    @Override
    public int ppid() {
        return pid == 1 ? 0 : sandbox.processes.parentOf(pid);   // the first one's parent is outside the sandbox
    }

    @Override
    public int uid() {
        return VirtualProcess.UID;
    }

    @Override
    public int gid() {
        return VirtualProcess.GID;
    }

    @Override
    public int taskCount() {
        return sandbox.processes.count();
    }

    @Override
    public int maxTasks() {
        return limits.maxProcesses();
    }

    @Override
    public long memoryLimit() {
        return limits.memoryBytes();
    }

    @Override
    public long memoryUsed() {
        return machine.memory.userBytes();
    }

    /** The clock the vDSO reads, while it reads one: a program mixing the vDSO and the syscall sees one clock. */
    @Override
    public long clockNanos(boolean realtime) {
        long t = VdsoClock.now(realtime);
        return t >= 0 ? t : SyscallContext.super.clockNanos(realtime);
    }

    @Override
    public long uptimeNanos() {
        return System.nanoTime() - sandbox.startNanos;
    }

    @Override
    public TaskMemory memory() {
        return machine.memory;
    }

    @Override
    public long refuse(Errno errno, String detail) {
        long nr = machine.vcpu.reg(REG_RAX);
        deny(nr, SyscallTable.nameOf(nr), errno, "deny", detail);
        return errno.negated();
    }

    @Override
    public VirtualProcess process() {
        return proc;
    }

    @Override
    public Limits limits() {
        return limits;
    }

    @Override
    public boolean aborted() {
        if (sandbox.aborted()) {
            return true;
        }
        KvmTask t = CURRENT.get();
        return t != null && t.sandbox == sandbox && t.done();
    }

    /**
     * What a call blocked on a file this task made, or on a child, looks at: the sandbox's end,
     * and the end of or a signal for whichever thread blocks ({@link #CURRENT}: a pipe or socket
     * outlives its maker and crosses fork), whose wait that signal wakes.
     */
    private final Interruption interruption = new Interruption() {
        @Override
        public boolean interrupted() {
            if (aborted()) {
                return true;
            }
            KvmTask t = CURRENT.get();
            return t != null && t.vthread != null && t.proc != null && t.vthread.signalDeliverable(t.proc);
        }

        @Override
        public void blockedOn(WaitQueue.Waiter w) {
            KvmTask t = CURRENT.get();
            if (t != null && t.vthread != null) {
                t.vthread.blockedOn = w;
            }
        }
    };

    @Override
    public Interruption interruption() {
        return interruption;
    }

    /**
     * The task whose host thread this is. A blocking call looks at whether the sandbox or the
     * calling thread's process is ending, whichever task's descriptor (pipe, stdio) it blocks
     * on: a pipe made by a process that has ended does not interrupt a reader in another.
     */
    private static final ThreadLocal<KvmTask> CURRENT = new ThreadLocal<>();

    @Override
    public Loopback loopback() {
        return sandbox.loopback;
    }

    @Override
    public long fsBase() {
        return machine.fsBase();
    }

    @Override
    public void setFsBase(long base) {
        machine.setFsBase(base);
    }

    /** Startup helper: loads the ELF and builds the initial stack. */
    static final class KvmStartup {
        private static final SecureRandom RANDOM = new SecureRandom();

        private KvmStartup() {
        }

        /** The interpreter's path with its links followed, as /proc/&lt;pid&gt;/maps names it. */
        private static String interpreterPath(KvmLaunch l) {
            try {
                return l.fs().resolve("/", l.elf().interpreter, true).path();
            } catch (dev.palisade.sandbox.sentry.vfs.FsError e) {
                return l.elf().interpreter;
            }
        }

        static long[] load(KvmLaunch l, GuestMemory mem, VirtualProcess p, ElfImage.Loaded preloaded) {
            VdsoClock.start();
            ElfImage.Loaded img = preloaded != null ? preloaded : l.elf().load(mem);
            p.brkStart = p.brk = img.end();
            // a dynamic program starts in its interpreter, which finds the program through AT_PHDR and AT_ENTRY
            p.mappedImage(img.low(), img.end() - img.low(), l.execPath());
            ElfImage.Loaded interp = l.interp() == null ? null : l.interp().load(mem, GuestLayout.INTERP_BASE);
            if (interp != null) {
                p.mappedImage(interp.low(), interp.end() - interp.low(), interpreterPath(l));
            }
            long stackLow = GuestLayout.STACK_TOP - GuestLayout.STACK_SIZE;
            if (!mem.isMapped(stackLow)) {
                mapStack(mem);
            }
            p.stackLow = stackLow;
            long sp = GuestLayout.STACK_TOP;
            // strings
            List<String> argv = l.argv();
            List<String> env = l.envp();
            long[] argvPtr = new long[argv.size()];
            long[] envPtr = new long[env.size()];
            sp = pushString(mem, sp, l.execPath());
            long execfn = sp;
            for (int i = env.size() - 1; i >= 0; i--) {
                sp = pushString(mem, sp, env.get(i));
                envPtr[i] = sp;
            }
            for (int i = argv.size() - 1; i >= 0; i--) {
                sp = pushString(mem, sp, argv.get(i));
                argvPtr[i] = sp;
            }
            sp = pushString(mem, sp, "x86_64");
            long platform = sp;
            byte[] rnd = new byte[16];
            RANDOM.nextBytes(rnd);
            sp -= 16;
            mem.write(sp, rnd);
            long random = sp;
            long vdso = VdsoClock.map(mem);
            p.mappedSpecial(vdso, GuestLayout.VDSO_SIZE, "[vdso]");
            long[][] auxv = {{33, vdso},
                    {3, img.phdr()}, {4, 56}, {5, img.phnum()}, {6, 4096}, {7, interp == null ? 0 : interp.bias()}, {8, 0},
                    {9, img.entry()},
                    {11, VirtualProcess.UID}, {12, VirtualProcess.UID}, {13, VirtualProcess.GID}, {14, VirtualProcess.GID},
                    {15, platform}, {16, 0x178bfbffL}, {17, 100}, {23, 0}, {25, random}, {26, 2}, {31, execfn}, {0, 0}};
            int words = 1 + argv.size() + 1 + env.size() + 1 + 2 * auxv.length;
            sp = (sp - 8L * words) & ~0xfL;
            long at = sp;
            mem.writeLong(at, argv.size());
            at += 8;
            for (long a : argvPtr) {
                mem.writeLong(at, a);
                at += 8;
            }
            mem.writeLong(at, 0);
            at += 8;
            for (long e : envPtr) {
                mem.writeLong(at, e);
                at += 8;
            }
            mem.writeLong(at, 0);
            at += 8;
            for (long[] a : auxv) {
                mem.writeLong(at, a[0]);
                mem.writeLong(at + 8, a[1]);
                at += 16;
            }
            return new long[] {interp == null ? img.entry() : interp.entry(), sp, img.low()};
        }

        /** Maps the (zeroed) stack region; a machine built ahead of time has it already. */
        static void mapStack(GuestMemory mem) {
            mem.map(GuestLayout.STACK_TOP - GuestLayout.STACK_SIZE, GuestLayout.STACK_SIZE,
                    GuestMemory.PROT_READ | GuestMemory.PROT_WRITE);
        }

        private static long pushString(GuestMemory mem, long sp, String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            sp -= b.length + 1;
            mem.write(sp, b);
            mem.write(sp + b.length, new byte[1]);
            return sp;
        }
    }
}
