package dev.palisade.sandbox.nativeinterop;

import com.sun.jna.Memory;

/**
 * {@code struct user_regs_struct} of x86-64 in native memory, reused across stops. Field offsets
 * follow {@code sys/user.h}: r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi,
 * rdi, orig_rax, rip, cs, eflags, rsp, ss, fs_base, gs_base, ds, es, fs, gs.
 */
public final class Regs {

    public static final int SIZE = 27 * 8;
    private static final int R10 = 7 * 8, R9 = 8 * 8, R8 = 9 * 8, RAX = 10 * 8, RDX = 12 * 8, RSI = 13 * 8,
            RDI = 14 * 8, ORIG_RAX = 15 * 8, RIP = 16 * 8, RSP = 19 * 8;

    private final Memory m = new Memory(SIZE);

    Memory memory() {
        return m;
    }

    public long rax() { return m.getLong(RAX); }
    public long origRax() { return m.getLong(ORIG_RAX); }
    public long rip() { return m.getLong(RIP); }
    public long rsp() { return m.getLong(RSP); }

    public void rax(long v) { m.setLong(RAX, v); }
    public void origRax(long v) { m.setLong(ORIG_RAX, v); }
    public void rip(long v) { m.setLong(RIP, v); }

    /** System call argument {@code i} (0..5): rdi, rsi, rdx, r10, r8, r9. */
    public long arg(int i) {
        return m.getLong(argOffset(i));
    }

    public void arg(int i, long v) {
        m.setLong(argOffset(i), v);
    }

    private static int argOffset(int i) {
        return switch (i) {
            case 0 -> RDI;
            case 1 -> RSI;
            case 2 -> RDX;
            case 3 -> R10;
            case 4 -> R8;
            case 5 -> R9;
            default -> throw new IllegalArgumentException("syscall argument " + i);
        };
    }

    public void copyFrom(Regs other) {
        byte[] b = other.m.getByteArray(0, SIZE);
        m.write(0, b, 0, SIZE);
    }
}
