package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.abi.Signal;
import dev.palisade.sandbox.nativeinterop.Ptrace;
import dev.palisade.sandbox.nativeinterop.Regs;

import java.nio.charset.StandardCharsets;

/**
 * Makes a stopped tracee run system calls of the engine's choosing, before its own code goes on.
 *
 * <p>At a syscall-entry stop the tracee's own call is turned into the first injected call
 * (orig_rax and argument registers rewritten). Each further call runs from a trampoline in the
 * scratch mapping, {@code syscall; int3}: the tracer points rip at it with the call's registers,
 * lets the tracee go and takes the result at the breakpoint's stop, one round trip per call
 * where a rewound {@code syscall} instruction takes two (an entry and an exit stop). Without a
 * trampoline (before the scratch mapping exists) the tracer rewinds rip over the two-byte
 * {@code syscall} instruction at the exit stop and sets rax to the next number.
 * {@link #finish} rewinds the tracee to its own {@code syscall} instruction with the original
 * registers, so it replays its own call as if nothing happened. Pointer arguments point into a
 * scratch mapping the first call creates in the tracee ({@link #mapScratch}) and that the tracer
 * fills with process_vm_writev.
 *
 * <p>This is how the engine sets up namespaces, mounts, the root, the uid, no_new_privs and the
 * seccomp filter without a native helper: the tracee does it to itself, under our control.
 */
final class Injector {

    static final int SYSCALL_STOP = 5 | 0x80;

    private final Ptrace pt;
    private final int tid;
    private final Regs saved = new Regs();
    private final Regs work = new Regs();
    private static final int SCRATCH_USE = 16 * 1024;
    /** {@code syscall; int3}, on its own page of the scratch mapping after the arguments' part. */
    private static final byte[] TRAMPOLINE = {0x0f, 0x05, (byte) 0xcc};
    private boolean atEntry = true;
    private long scratch;
    /** The trampoline's address in the tracee, or 0 while there is none. */
    private long trampoline;
    private int scratchUsed;

    Injector(Ptrace pt, int tid) {
        this.pt = pt;
        this.tid = tid;
        if (!pt.getRegs(tid, saved)) {
            throw new SandboxException("cannot read the registers of process " + tid);
        }
    }

    int tid() {
        return tid;
    }

    /** The original call this tracee was about to make. */
    long originalCall() {
        return saved.origRax();
    }

    /** Uses an existing scratch mapping (inherited through fork). */
    void useScratch(long address) {
        this.scratch = address;
        this.trampoline = address + SCRATCH_USE;
    }

    /**
     * Maps 1 MiB of private memory in the tracee for pointer arguments and the trampoline
     * (executable: the stub's own shell code, replaced by the workload's at its exec); returns its address.
     */
    long mapScratch() {
        long addr = call(9, 0, 1 << 20, 7, 0x22, -1, 0); // mmap(NULL, 1M, RWX, PRIVATE|ANON)
        if (addr < 0 && addr > -4096) {
            throw new SandboxException("setup: mmap in the sandbox failed: " + Errno.nameOf((int) -addr));
        }
        scratch = addr;
        if (!pt.writeMemory(tid, addr + SCRATCH_USE, TRAMPOLINE)) {
            throw new SandboxException("setup: cannot write into the sandbox's scratch memory");
        }
        trampoline = addr + SCRATCH_USE;
        return addr;
    }

    /** Starts a new set of pointer arguments (the previous call's are no longer needed). */
    Injector reset() {
        scratchUsed = 0;
        return this;
    }

    /** Copies a NUL-terminated string into the scratch area; returns its address in the tracee (0 for null). */
    long str(String s) {
        if (s == null) {
            return 0;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        return bytes(z);
    }

    /** Copies bytes into the scratch area (8-byte aligned); returns their address in the tracee. */
    long bytes(byte[] data) {
        if (scratch == 0) {
            throw new IllegalStateException("no scratch mapping");
        }
        int at = (scratchUsed + 7) & ~7;
        if (at + data.length > SCRATCH_USE) {
            throw new SandboxException("setup: scratch area too small");
        }
        if (!pt.writeMemory(tid, scratch + at, data)) {
            throw new SandboxException("setup: cannot write into the sandbox's scratch memory");
        }
        scratchUsed = at + data.length;
        return scratch + at;
    }

    /** Runs system call {@code nr} in the tracee; returns rax (negative errno on failure). */
    long call(int nr, long... args) {
        work.copyFrom(saved);
        for (int i = 0; i < args.length; i++) {
            work.arg(i, args[i]);
        }
        if (atEntry) {
            work.origRax(nr);
            set();
            step();
            atEntry = false;
        } else if (trampoline != 0) {
            work.rip(trampoline);
            work.rax(nr);
            work.origRax(-1); // not in a call: no restart of it on the way back to user mode
            set();
            trap();
            return work.rax(); // trap() read the registers at the breakpoint
        } else {
            work.rip(saved.rip() - 2);
            work.rax(nr);
            work.origRax(nr);
            set();
            step(); // entry
            step(); // exit
        }
        if (!pt.getRegs(tid, work)) {
            throw new SandboxException("setup: process " + tid + " vanished");
        }
        return work.rax();
    }

    /** {@link #call} that throws naming {@code what} on failure. */
    long check(String what, int nr, long... args) {
        long rc = call(nr, args);
        if (rc < 0 && rc > -4096) {
            throw new SandboxException("setup: " + what + " failed: " + Errno.nameOf((int) -rc)
                    + " (" + Errno.of((int) -rc).map(Errno::description).orElse("?") + ")");
        }
        return rc;
    }

    /** Restores the tracee's registers so it replays its own call, and resumes it with {@code request}. */
    void finish(int request) {
        work.copyFrom(saved);
        if (!atEntry) {
            work.rip(saved.rip() - 2);
            work.rax(saved.origRax());
            work.origRax(-1);
        }
        set();
        pt.resume(request, tid, 0);
    }

    private void set() {
        if (!pt.setRegs(tid, work)) {
            throw new SandboxException("setup: cannot set the registers of process " + tid);
        }
    }

    /** Lets the tracee run the trampoline to its breakpoint. */
    private void trap() {
        runUntil(Ptrace.PTRACE_CONT, st -> Ptrace.stopSig(st) == Signal.SIGTRAP && Ptrace.event(st) == 0
                && pt.getRegs(tid, work) && work.rip() == trampoline + TRAMPOLINE.length);
    }

    /** Resumes to the next syscall stop. */
    private void step() {
        runUntil(Ptrace.PTRACE_SYSCALL, st -> Ptrace.stopSig(st) == SYSCALL_STOP && Ptrace.event(st) == 0);
    }

    /**
     * Resumes the tracee with {@code request} until a stop {@code ours} accepts; other stops on
     * the way (a signal for the stub) are let go without their signal.
     */
    private void runUntil(int request, java.util.function.IntPredicate ours) {
        pt.resume(request, tid, 0);
        while (true) {
            int w = pt.wait(tid, Ptrace.WALL);
            if (w < 0) {
                if (-w == 4) {
                    continue; // EINTR
                }
                throw new SandboxException("setup: lost process " + tid + ": " + Errno.nameOf(-w));
            }
            int st = pt.lastStatus();
            if (!Ptrace.stopped(st)) {
                throw new SandboxException("setup: process " + tid + " ended during setup (status 0x" + Integer.toHexString(st) + ")");
            }
            if (ours.test(st)) {
                return;
            }
            pt.resume(request, tid, 0);
        }
    }
}
