package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.nativeinterop.Ptrace;
import dev.palisade.sandbox.sentry.BadAddress;
import dev.palisade.sandbox.sentry.TaskMemory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A stopped tracee's memory for the Sentry, through {@code process_vm_readv/writev}: the kernel
 * checks every address against the tracee's own mappings.
 */
final class TraceeMemory implements TaskMemory {
    private static final int PAGE = 4096;
    private final Ptrace pt;
    private int tid;

    TraceeMemory(Ptrace pt) {
        this.pt = pt;
    }

    /** Points this view at the task whose call is being served. */
    void of(int tid) {
        this.tid = tid;
    }

    @Override
    public void read(long va, byte[] dst, int off, int len) {
        if (len <= 0) {
            return;
        }
        if (!pt.readMemory(tid, va, dst, off, len)) {
            throw new BadAddress(va);
        }
    }

    @Override
    public void write(long va, byte[] src, int off, int len) {
        if (len <= 0) {
            return;
        }
        byte[] b = off == 0 && len == src.length ? src : Arrays.copyOfRange(src, off, off + len);
        if (!pt.writeMemory(tid, va, b)) {
            throw new BadAddress(va);
        }
    }

    @Override
    public String readCString(long va, int max) {
        byte[] all = new byte[max];
        int got = 0;
        while (got < max) {
            int chunk = (int) Math.min(max - got, PAGE - ((va + got) & (PAGE - 1)));
            byte[] b = new byte[chunk];
            read(va + got, b, 0, chunk);
            for (int i = 0; i < chunk; i++) {
                if (b[i] == 0) {
                    System.arraycopy(b, 0, all, got, i);
                    return new String(all, 0, got + i, StandardCharsets.UTF_8);
                }
            }
            System.arraycopy(b, 0, all, got, chunk);
            got += chunk;
        }
        return null;
    }

    /** On ptrace the host kernel moves a call's data itself; no handler asks for buffers here. */
    @Override
    public ByteBuffer[] accessible(long va, int len, boolean intoTask) {
        throw new IllegalStateException("ptrace: the host kernel moves the tracee's data");
    }
}
