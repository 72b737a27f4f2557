package dev.palisade.sandbox.platform.kvm;

import java.util.HashSet;
import java.util.Set;

import static dev.palisade.sandbox.platform.kvm.GuestLayout.PAGE;

/**
 * Patches the program's read(2) call site so that it reaches the syscall stub by a jump instead
 * of the {@code syscall} instruction, which on kvm_pvm costs 25–30 µs even when the stub serves
 * the call without an exit (the technique of gVisor's systrap). Only one exact byte sequence is
 * patched — glibc's single-threaded read() wrapper:
 *
 * <pre>
 *   31 c0               xor  %eax,%eax
 *   0f 05               syscall
 *   48 3d 00 f0 ff ff   cmp  $-4096,%rax
 * </pre>
 *
 * becomes {@code jmp thunk} plus a 5-byte nop, and the per-site thunk (in a page just below the
 * program) does what {@code syscall} would for the stub: rax = 0, rcx = return address, r11 =
 * rflags, jump to the stub; on return it runs the {@code cmp} and jumps back after it. The site
 * is found from the return address of a read that exited, so only sites the program really uses
 * are touched, once. Patching changes only the program's own memory.
 */
final class SyscallPatcher {
    static final byte[] READ_SITE = {0x31, (byte) 0xc0, 0x0f, 0x05, 0x48, 0x3d, 0x00, (byte) 0xf0, (byte) 0xff, (byte) 0xff};
    private static final int THUNK_SIZE = 64;
    /** The continuation's offset in a thunk, and the length of its start that every thunk has alike (up to the stub address). */
    private static final int CONT = 0x2a, FIXED_PREFIX = 0x22;
    private static final int AREA_SIZE = 64 << 10;

    /** Thunk template (GNU as, see docs/kvm.md); patched: lea rel32 at 0x18 fixed, stub address at 0x22, jmp rel32 at 0x31. */
    private static final byte[] THUNK = {
            0x31, (byte) 0xc0,                                                  // xor %eax,%eax
            0x48, (byte) 0x8d, (byte) 0xa4, 0x24, 0x00, (byte) 0xff, (byte) 0xff, (byte) 0xff, // lea -256(%rsp),%rsp
            (byte) 0x9c,                                                        // pushfq
            0x41, 0x5b,                                                         // pop %r11
            0x48, (byte) 0x8d, (byte) 0xa4, 0x24, 0x00, 0x01, 0x00, 0x00,       // lea 256(%rsp),%rsp
            0x48, (byte) 0x8d, 0x0d, 0x0e, 0x00, 0x00, 0x00,                    // lea cont(%rip),%rcx
            (byte) 0xff, 0x25, 0x00, 0x00, 0x00, 0x00,                          // jmp *stubaddr(%rip)
            0, 0, 0, 0, 0, 0, 0, 0,                                             // stubaddr
            0x48, 0x3d, 0x00, (byte) 0xf0, (byte) 0xff, (byte) 0xff,            // cont: cmp $-4096,%rax
            (byte) 0xe9, 0, 0, 0, 0};                                           // jmp site+10

    private final GuestMemory mem;
    private final long area;
    private final Set<Long> tried = new HashSet<>();
    private int used;
    private long mappedUpTo;

    /** @param programLow lowest address of the loaded program; the thunk area goes right below it */
    SyscallPatcher(GuestMemory mem, long programLow) {
        this.mem = mem;
        long a = (programLow & ~(PAGE - 1)) - AREA_SIZE;
        this.area = a >= GuestLayout.MIN_USER_VA && mem.isFree(a, AREA_SIZE) ? a : -1;
        this.mappedUpTo = area;
    }

    /**
     * After a read(2) that exited: patches the site it came from if it is the glibc wrapper.
     * Returns where this call must now return to: the thunk's continuation when the site was just
     * patched (its old return address is now inside the jump), else {@code returnAddress}.
     */
    long afterRead(long returnAddress) {
        long site = returnAddress - 4;
        if (area < 0 || used * THUNK_SIZE >= AREA_SIZE || !tried.add(site) || tried.size() > 4096) {
            return returnAddress;
        }
        byte[] code;
        try {
            if ((mem.protOf(site) & GuestMemory.PROT_EXEC) == 0 || (mem.protOf(site + READ_SITE.length - 1) & GuestMemory.PROT_EXEC) == 0) {
                return returnAddress;
            }
            code = new byte[READ_SITE.length];
            for (int i = 0; i < code.length; i++) {
                code[i] = mem.physicalByte(mem.translate(site + i, GuestMemory.PROT_EXEC));
            }
        } catch (GuestMemory.Fault f) {
            return returnAddress;
        }
        if (!java.util.Arrays.equals(code, READ_SITE)) {
            return returnAddress;
        }
        long thunk = area + (long) used * THUNK_SIZE;
        if (Math.abs(thunk - (site + 5)) > Integer.MAX_VALUE / 2) {
            return returnAddress;
        }
        if (thunk + THUNK_SIZE > mappedUpTo) {
            if (!mem.isFree(mappedUpTo, PAGE) || !mem.allocator().canAllocateUser(1)) {
                return returnAddress;
            }
            mem.map(mappedUpTo, PAGE, GuestMemory.PROT_READ | GuestMemory.PROT_EXEC);
            mappedUpTo += PAGE;
        }
        byte[] t = THUNK.clone();
        putLong(t, 0x22, GuestLayout.USTUB_VA);
        putInt(t, 0x31, (int) ((site + READ_SITE.length) - (thunk + 0x35)));
        mem.writeInitial(thunk, t, 0, t.length);
        byte[] jmp = {(byte) 0xe9, 0, 0, 0, 0, 0x0f, 0x1f, 0x44, 0x00, 0x00};
        putInt(jmp, 1, (int) (thunk - (site + 5)));
        mem.writeInitial(site, jmp, 0, jmp.length);
        used++;
        return thunk + CONT;
    }

    /**
     * Where a call that returns to {@code returnAddress} is made again (a restart after a signal):
     * the {@code syscall} instruction before it, or — when it returns into a thunk's continuation —
     * the thunk's start, which sets rax again and enters the stub as the patched site did. Told by
     * the thunk's own bytes, so any thread of the process finds it.
     */
    static long restartAt(GuestMemory mem, long returnAddress) {
        long thunk = returnAddress - CONT;
        try {
            for (int i = 0; i < FIXED_PREFIX; i++) {
                if (mem.ram().getByte(mem.translate(thunk + i, GuestMemory.PROT_EXEC)) != THUNK[i]) {
                    return returnAddress - 2;
                }
            }
        } catch (RuntimeException f) {   // not mapped, not executable (GuestMemory.Fault), outside the guest
            return returnAddress - 2;
        }
        return thunk;
    }

    int patched() {
        return used;
    }

    private static void putInt(byte[] b, int off, int v) {
        for (int i = 0; i < 4; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }

    private static void putLong(byte[] b, int off, long v) {
        for (int i = 0; i < 8; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }
}
