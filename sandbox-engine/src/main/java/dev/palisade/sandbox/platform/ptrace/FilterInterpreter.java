package dev.palisade.sandbox.platform.ptrace;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Runs a compiled seccomp-bpf program on a call, as the kernel would: the instructions our
 * compiler emits (absolute word loads of {@code seccomp_data}, {@code JEQ}/{@code JGE}/{@code JSET}
 * with a constant, {@code SeccompFilter.JA}, {@code RET} of a constant). It reads the filter's bytes, not the
 * table, so what it says is what the kernel gets. Also notes whether the path taken read an
 * argument register: a call allowed without reading one reaches the host with free arguments.
 */
final class FilterInterpreter {


    /** The filter's answer for one call and whether it looked at any argument to give it. */
    record Verdict(int action, boolean readArguments) {
        boolean allowed() {
            return action == SeccompFilter.RET_ALLOW;
        }
    }

    private final byte[] program;

    FilterInterpreter(byte[] program) {
        if (program.length % 8 != 0) {
            throw new IllegalArgumentException("not a sock_filter array");
        }
        this.program = program.clone();
    }

    /** The filter's verdict for call {@code nr} of architecture {@code arch} with these six argument registers. */
    Verdict run(int arch, int nr, long... args) {
        ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(0, nr).putInt(4, arch);
        for (int i = 0; i < 6 && i < args.length; i++) {
            data.putLong(SeccompFilter.OFF_ARGS + 8 * i, args[i]);
        }
        ByteBuffer p = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
        int n = program.length / 8;
        int a = 0;
        boolean readArgs = false;
        for (int pc = 0; pc < n; ) {
            int code = p.getShort(pc * 8) & 0xffff;
            int jt = p.get(pc * 8 + 2) & 0xff, jf = p.get(pc * 8 + 3) & 0xff;
            int k = p.getInt(pc * 8 + 4);
            switch (code) {
                case SeccompFilter.LD_W_ABS -> {
                    a = data.getInt(k);
                    readArgs |= k >= SeccompFilter.OFF_ARGS;
                    pc++;
                }
                case SeccompFilter.JEQ_K -> pc += 1 + (a == k ? jt : jf);
                case SeccompFilter.JGE_K -> pc += 1 + (Integer.compareUnsigned(a, k) >= 0 ? jt : jf);
                case SeccompFilter.JSET_K -> pc += 1 + ((a & k) != 0 ? jt : jf);
                case SeccompFilter.JA -> pc += 1 + k;
                case SeccompFilter.RET_K -> {
                    return new Verdict(k, readArgs);
                }
                default -> throw new IllegalStateException("instruction 0x" + Integer.toHexString(code) + " at " + pc + " not understood");
            }
        }
        throw new IllegalStateException("the filter ran off its end");
    }
}
