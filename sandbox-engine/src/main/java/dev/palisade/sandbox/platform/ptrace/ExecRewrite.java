package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.nativeinterop.Ptrace;
import dev.palisade.sandbox.nativeinterop.Regs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** The workload's execve, rewritten from the stub's placeholder to the spec's program, arguments and environment. */
final class ExecRewrite {

    private ExecRewrite() {
    }

    /** The program's path, argv and envp go to the upper half of the scratch mapping: at most this many bytes. */
    private static final int EXEC_AREA = 512 << 10;

    /**
     * What the workload's execve gets, NUL-terminated: argv, then envp (the spec's environment, a
     * default PATH unless it sets one), then the program's path. Refused with a clear error when it
     * does not fit the area it is written to (checked before a sandbox starts).
     */
    static byte[][] strings(SandboxSpec spec, String program) {
        List<String> all = new ArrayList<>(spec.command());
        spec.environment().forEach((k, v) -> all.add(k + "=" + v));
        if (!spec.environment().containsKey("PATH")) {
            all.add("PATH=/usr/local/bin:/usr/bin:/bin");
        }
        all.add(program);
        byte[][] encoded = new byte[all.size()][];
        long size = (all.size() + 1) * 8L; // the argv and envp pointer arrays, each ending in NULL
        for (int i = 0; i < all.size(); i++) {
            encoded[i] = (all.get(i) + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            size += encoded[i].length;
        }
        if (size > EXEC_AREA) {
            throw new SandboxException("the command and environment take " + size + " bytes; at most " + EXEC_AREA
                    + " are allowed");
        }
        return encoded;
    }

    /**
     * The workload's execve: the stub only knows a placeholder, so its path, argv and envp are
     * replaced here by the spec's, written into the scratch mapping (shared with the sandbox's
     * init, which is blocked in vfork meanwhile). Nothing else runs in that memory. The buffer is
     * exactly what is written: one of the whole area per run was a humongous object for G1, which
     * then collected and marked concurrently several times a second under load.
     */
    static void rewrite(Ptrace pt, Regs regs, int tid, long scratch, SandboxSpec spec, String program) {
        byte[][] strings = strings(spec, program);
        int argc = spec.command().size(), envc = strings.length - 1 - argc;
        int pointers = (argc + 1 + envc + 1) * 8;
        int size = pointers;
        for (byte[] z : strings) {
            size += z.length;
        }
        long base = scratch + EXEC_AREA;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        long[] addr = new long[strings.length];
        long at = base + pointers;
        b.position(pointers);
        for (int i = 0; i < strings.length; i++) {
            addr[i] = at;
            b.put(strings[i]);
            at += strings[i].length;
        }
        int k = 0;
        for (int i = 0; i < argc; i++) {
            b.putLong(k++ * 8, addr[i]);
        }
        b.putLong(k++ * 8, 0);
        for (int i = 0; i < envc; i++) {
            b.putLong(k++ * 8, addr[argc + i]);
        }
        b.putLong(k * 8, 0);
        if (!pt.writeMemory(tid, base, b.array())) {
            throw new SandboxException("cannot write the program's arguments into the sandbox");
        }
        regs.arg(0, addr[strings.length - 1]);
        regs.arg(1, base);
        regs.arg(2, base + (argc + 1) * 8L);
        pt.setRegs(tid, regs);
    }
}
