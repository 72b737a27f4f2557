package dev.palisade.sandbox.nativeinterop;

import com.sun.jna.Function;
import com.sun.jna.Pointer;

/**
 * The host CPU's time-stamp counter, read by six instructions in a page of our own
 * ({@code mfence; lfence; rdtsc; lfence}, then rdx:rax joined), because Java has no rdtsc. The
 * KVM platform's vDSO clock pairs it with the host's clocks. The fences order it after every
 * store before the call, which the clock's sequence count relies on.
 */
public final class HostTsc {
    private static final byte[] CODE = {
            0x0f, (byte) 0xae, (byte) 0xf0,               // mfence
            0x0f, (byte) 0xae, (byte) 0xe8,               // lfence
            0x0f, 0x31,                                   // rdtsc
            0x0f, (byte) 0xae, (byte) 0xe8,               // lfence
            0x48, (byte) 0xc1, (byte) 0xe2, 0x20,         // shl $32,%rdx
            0x48, 0x09, (byte) 0xd0,                      // or %rdx,%rax
            (byte) 0xc3};                                 // ret
    private static final long SYS_MPROTECT = 10;
    private static volatile Function function;

    private HostTsc() {
    }

    private static Function function() {
        Function f = function;
        if (f == null) {
            synchronized (HostTsc.class) {
                f = function;
                if (f == null) {
                    long page = 4096;
                    long a = KvmNative.mmap(0, page, KvmNative.PROT_READ | KvmNative.PROT_WRITE,
                            KvmNative.MAP_PRIVATE | KvmNative.MAP_ANONYMOUS, -1, 0);
                    if (a == KvmNative.MAP_FAILED) {
                        throw new KvmException("mmap of the rdtsc page", KvmNative.lastError());
                    }
                    new Pointer(a).write(0, CODE, 0, CODE.length);
                    if (KvmNative.syscall(SYS_MPROTECT, a, page, KvmNative.PROT_READ | KvmNative.PROT_EXEC) != 0) {
                        throw new KvmException("mprotect of the rdtsc page", KvmNative.lastError());
                    }
                    f = Function.getFunction(new Pointer(a), Function.C_CONVENTION);
                    function = f;
                }
            }
        }
        return f;
    }

    /** The time-stamp counter now. */
    public static long read() {
        return function().invokeLong(new Object[0]);
    }
}
