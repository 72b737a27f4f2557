package dev.palisade.sandbox.nativeinterop;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * A block of this process's memory that one thread uses for the arguments and results of raw
 * calls ({@link HostCalls}): offsets are the caller's layout, every access is bounds-checked.
 */
public final class NativeScratch implements AutoCloseable {
    private final Memory mem;
    private final long base;

    public NativeScratch(int size) {
        this.mem = new Memory(size);
        this.base = Pointer.nativeValue(mem);
        mem.clear();
    }

    /** The native address of {@code off}. */
    public long at(int off) {
        if (off < 0 || off >= mem.size()) {
            throw new IndexOutOfBoundsException(off);
        }
        return base + off;
    }

    public void read(int off, byte[] dst, int dstOff, int len) {
        mem.read(off, dst, dstOff, len);
    }

    public void write(int off, byte[] src, int srcOff, int len) {
        mem.write(off, src, srcOff, len);
    }

    public void putByte(int off, byte b) {
        mem.setByte(off, b);
    }

    public void putLong(int off, long v) {
        mem.setLong(off, v);
    }

    public void putInt(int off, int v) {
        mem.setInt(off, v);
    }

    public long getLong(int off) {
        return mem.getLong(off);
    }

    public int getInt(int off) {
        return mem.getInt(off);
    }

    /** Frees the memory now, for a block made per call: the collector may not run for a long time. */
    @Override
    public void close() {
        mem.close();
    }
}
