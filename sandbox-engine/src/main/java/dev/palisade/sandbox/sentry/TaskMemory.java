package dev.palisade.sandbox.sentry;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The calling task's memory as handlers see it: guest memory on KVM, {@code process_vm_readv}
 * and {@code process_vm_writev} on ptrace. Every access is checked against the task's own
 * mappings; an address it cannot use throws {@link BadAddress}.
 */
public interface TaskMemory {

    /** Copies {@code len} bytes at {@code va} into {@code dst}. */
    void read(long va, byte[] dst, int off, int len);

    /** Copies {@code len} bytes of {@code src} to {@code va}. */
    void write(long va, byte[] src, int off, int len);

    default void write(long va, byte[] src) {
        write(va, src, 0, src.length);
    }

    default byte[] read(long va, int len) {
        byte[] b = new byte[len];
        read(va, b, 0, len);
        return b;
    }

    default long readLong(long va) {
        return ByteBuffer.wrap(read(va, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    default int readInt(long va) {
        return ByteBuffer.wrap(read(va, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    default void writeLong(long va, long v) {
        write(va, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    default void writeInt(long va, int v) {
        write(va, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    /** A NUL-terminated string of at most {@code max} bytes, or null when longer. */
    String readCString(long va, int max);

    /**
     * Buffers over the part of [va, va+len) the task can access ({@code intoTask}: write, else
     * read) from {@code va} up to the first page it cannot; empty when {@code va} itself is not
     * accessible. What a handler copies is thereby bounded by the task's own mappings.
     */
    ByteBuffer[] accessible(long va, int len, boolean intoTask);
}
