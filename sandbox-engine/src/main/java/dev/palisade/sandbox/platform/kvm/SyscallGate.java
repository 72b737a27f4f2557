package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.abi.Signal;

import dev.palisade.sandbox.nativeinterop.KvmIoctls;
import dev.palisade.sandbox.nativeinterop.VcpuExit;
import dev.palisade.sandbox.nativeinterop.VcpuFd;

import static dev.palisade.sandbox.nativeinterop.KvmIoctls.*;
import static dev.palisade.sandbox.platform.kvm.GuestLayout.*;

/**
 * The path-specific half of the run loop: is this exit a system call, how to return from one,
 * and what fault it was when it is not.
 */
final class SyscallGate {
    private final GuestMachine m;
    private final VcpuFd cpu;

    SyscallGate(GuestMachine m) {
        this.m = m;
        this.cpu = m.vcpu;
    }

    boolean isSyscall(VcpuExit e) {
        return switch (m.path) {
            case HARDWARE_LSTAR -> e instanceof VcpuExit.IoOut io && io.port() == PORT_SYSCALL;
            case PVM_SHUTDOWN -> e instanceof VcpuExit.Shutdown && cpu.reg(REG_RIP) == m.lstar;
            case PVM_MMIO -> e instanceof VcpuExit.Mmio mm && (mm.physAddr() & ~0xfffL) == m.mmioPa
                    && cpu.reg(REG_RIP) == MMIO_EXIT_RIP;
        };
    }

    /**
     * Returns from the call with {@code result} in rax. Returns false when the program's return
     * address is not a user address (it cannot continue).
     */
    boolean complete(long result) {
        long rcx = cpu.reg(REG_RCX);
        if (!canonicalUser(rcx)) {
            return false;
        }
        cpu.setReg(REG_RAX, result);
        long flags = sanitizeRflags(cpu.reg(REG_R11));
        if (m.path == SyscallPath.HARDWARE_LSTAR) {
            cpu.setReg(REG_R11, flags);   // the trampoline's sysretq loads rip=rcx, rflags=r11
        } else {
            cpu.setReg(REG_RIP, rcx);
            cpu.setReg(REG_RFLAGS, flags);
        }
        return true;
    }

    /** A fault of the program: the signal Linux would send, a one-line reason, and the siginfo's si_code and si_addr. */
    record Fault(int signal, String reason, int code, long address) {
        Fault(int signal, String reason) {
            this(signal, reason, 0, 0);
        }
    }

    /**
     * The program's registers at a fault (kvm_regs order), for a signal handler's frame; null
     * when the exit does not carry them. On the IDT paths the general registers are intact and
     * rip, rflags and rsp come from the exception frame on the IST stack.
     */
    long[] faultRegisters(VcpuExit e) {
        long[] r = new long[18];
        for (int i = 0; i < 18; i++) {
            r[i] = cpu.reg(8 * i);
        }
        if (e instanceof VcpuExit.IoOut io && io.port() == PORT_EXCEPTION && m.path.hasIdt()) {
            long pa = m.istFramePa(cpu.reg(REG_RSP), 56);
            if (pa < 0) {
                return null;
            }
            r[16] = m.ram.getLong(pa + 16);
            r[17] = m.ram.getLong(pa + 32);
            r[6] = m.ram.getLong(pa + 40);
            return r;
        }
        return e instanceof VcpuExit.Shutdown && !m.path.hasIdt() ? r : null;
    }


    /** Describes an exit that is not a system call. */
    Fault describe(VcpuExit e) {
        if (e instanceof VcpuExit.IoOut io && io.port() == PORT_EXCEPTION && m.path.hasIdt()) {
            long rsp = cpu.reg(REG_RSP);
            long pa = m.istFramePa(rsp, 56);
            if (pa < 0) {
                return new Fault(Signal.SIGSEGV, "exception with a corrupt frame");
            }
            int vec = (int) m.ram.getLong(pa);
            long err = m.ram.getLong(pa + 8);
            long rip = m.ram.getLong(pa + 16);
            return switch (vec) {
                case 14 -> {
                    long cr2 = m.cr2();
                    yield new Fault(Signal.SIGSEGV, String.format("SIGSEGV: page fault at address 0x%x (%s, rip 0x%x)",
                            cr2, pfKind(err), rip), (err & 1) != 0 ? 2 : 1, cr2);   // SEGV_ACCERR : SEGV_MAPERR
                }
                case 6 -> new Fault(Signal.SIGILL, String.format("SIGILL: invalid opcode at rip 0x%x", rip), 2, rip);
                case 0 -> new Fault(Signal.SIGFPE, String.format("SIGFPE: divide error at rip 0x%x", rip), 1, rip);
                case 16, 19 -> new Fault(Signal.SIGFPE, String.format("SIGFPE: floating-point exception at rip 0x%x", rip), 0, rip);
                case 1, 3 -> new Fault(Signal.SIGTRAP, String.format("SIGTRAP: breakpoint at rip 0x%x", rip), 1, rip);
                case 17 -> new Fault(Signal.SIGBUS, String.format("SIGBUS: alignment check at rip 0x%x", rip), 1, rip);
                case 13 -> new Fault(Signal.SIGSEGV, String.format("SIGSEGV: general protection fault at rip 0x%x", rip), 0x80, 0);
                default -> new Fault(Signal.SIGSEGV, String.format("SIGSEGV: exception %d at rip 0x%x", vec, rip));
            };
        }
        if (e instanceof VcpuExit.Shutdown) {
            long rip = cpu.reg(REG_RIP);
            if (!m.path.hasIdt()) {
                long cr2 = m.cr2();
                if (cr2 != 0 && cr2 != m.lstar) {
                    // the error code is lost too: a page the program has mapped was accessed against its protection
                    return new Fault(Signal.SIGSEGV, String.format("SIGSEGV: page fault at address 0x%x (rip 0x%x)", cr2, rip),
                            m.memory.protOf(cr2) >= 0 ? 2 : 1, cr2);
                }
                int b0 = peek(rip, 0), b1 = peek(rip, 1);
                if (b0 < 0) {
                    return new Fault(Signal.SIGSEGV, String.format("SIGSEGV: instruction fetch from unmapped rip 0x%x", rip), 1, rip);
                }
                if (isDivide(rip)) {
                    return new Fault(Signal.SIGFPE, String.format("SIGFPE: divide error at rip 0x%x", rip), 1, rip);
                }
                if (b0 == 0x0f && (b1 == 0x0b || b1 == 0xff || b1 == 0xb9)) {
                    return new Fault(Signal.SIGILL, String.format("SIGILL: invalid opcode at rip 0x%x", rip));
                }
                if (b0 == 0xcc) {
                    return new Fault(Signal.SIGTRAP, String.format("SIGTRAP: breakpoint at rip 0x%x", rip));
                }
                return new Fault(Signal.SIGSEGV, String.format("SIGSEGV: fault at rip 0x%x (privileged or invalid instruction; "
                        + "this syscall path loses the exception vector)", rip));
            }
            return new Fault(Signal.SIGSEGV, String.format("SIGSEGV: triple fault at rip 0x%x", rip));
        }
        if (e instanceof VcpuExit.Mmio mm) {
            return new Fault(Signal.SIGSEGV, String.format("SIGSEGV: access to unbacked guest address (physical 0x%x) at rip 0x%x",
                    mm.physAddr(), cpu.reg(REG_RIP)));
        }
        if (e instanceof VcpuExit.InternalError ie) {
            return new Fault(Signal.SIGSEGV, String.format("SIGSEGV: KVM could not emulate an instruction (suberror %d) at rip 0x%x",
                    ie.suberror(), cpu.reg(REG_RIP)));
        }
        if (e instanceof VcpuExit.IoOut io) {
            return new Fault(Signal.SIGSEGV, String.format("SIGSEGV: port I/O 0x%x at rip 0x%x", io.port(), cpu.reg(REG_RIP)));
        }
        if (e instanceof VcpuExit.Hlt) {
            return new Fault(Signal.SIGSEGV, String.format("SIGSEGV: hlt at rip 0x%x", cpu.reg(REG_RIP)));
        }
        if (e instanceof VcpuExit.FailEntry fe) {
            return new Fault(0, String.format("KVM refused to enter the guest (hardware reason 0x%x)", fe.hardwareReason()));
        }
        if (e instanceof VcpuExit.Other o) {
            return new Fault(Signal.SIGSEGV, "SIGSEGV: unexpected " + KvmIoctls.exitName(o.reason()) + String.format(" at rip 0x%x", cpu.reg(REG_RIP)));
        }
        return new Fault(Signal.SIGSEGV, "SIGSEGV: unexpected exit " + e);
    }

    private static String pfKind(long err) {
        String what = (err & 16) != 0 ? "instruction fetch" : (err & 2) != 0 ? "write" : "read";
        return what + ((err & 1) != 0 ? " violating protection" : " of unmapped page");
    }

    /**
     * Whether the instruction at {@code rip} is a DIV or IDIV (F6/F7 with ModRM reg 6 or 7, after
     * legacy and REX prefixes): on the path that loses the vector, the likely fault of a divide.
     */
    private boolean isDivide(long rip) {
        int i = 0, b = peek(rip, 0);
        while (i < 14 && (b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3 || b == 0xf0 || b == 0x2e || b == 0x36
                || b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65 || (b >= 0x40 && b <= 0x4f))) {
            b = peek(rip, ++i);
        }
        if (b != 0xf6 && b != 0xf7) {
            return false;
        }
        int modrm = peek(rip, i + 1);
        return modrm >= 0 && ((modrm >> 3) & 7) >= 6;
    }

    /** A byte at a user address, or -1 when unmapped. */
    private int peek(long va, int off) {
        long pa = m.memory.physicalOrMinusOne(va + off);
        return pa < 0 ? -1 : m.memory.physicalByte(pa) & 0xff;
    }
}
