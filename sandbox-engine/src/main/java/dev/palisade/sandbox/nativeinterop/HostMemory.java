package dev.palisade.sandbox.nativeinterop;

import com.sun.jna.Pointer;

import java.nio.ByteBuffer;

/**
 * One anonymous shared mapping of this process (guest RAM, or a vCPU's kvm_run page), with
 * bounds-checked accessors by offset. Offsets are checked here so that no caller can turn a
 * guest-supplied number into a host address outside the mapping.
 */
public final class HostMemory implements AutoCloseable {
    private final long address;
    private final long size;
    private final Pointer pointer;
    private final boolean owned;
    private boolean closed;

    private HostMemory(long address, long size, boolean owned) {
        this.address = address;
        this.size = size;
        this.pointer = new Pointer(address);
        this.owned = owned;
    }

    /** Anonymous, shared, lazily backed memory (MAP_NORESERVE): pages cost nothing until touched. */
    public static HostMemory anonymous(long size) {
        long a = KvmNative.mmap(0, size, KvmNative.PROT_READ | KvmNative.PROT_WRITE,
                KvmNative.MAP_SHARED | KvmNative.MAP_ANONYMOUS | KvmNative.MAP_NORESERVE, -1, 0);
        if (a == KvmNative.MAP_FAILED) {
            throw new KvmException("mmap of " + size + " bytes of guest memory", KvmNative.lastError());
        }
        return new HostMemory(a, size, true);
    }

    /** Maps {@code size} bytes of a file descriptor (the kvm_run page of a vCPU). */
    static HostMemory mapFd(int fd, long size) {
        long a = KvmNative.mmap(0, size, KvmNative.PROT_READ | KvmNative.PROT_WRITE, KvmNative.MAP_SHARED, fd, 0);
        if (a == KvmNative.MAP_FAILED) {
            throw new KvmException("mmap of the vCPU run structure", KvmNative.lastError());
        }
        return new HostMemory(a, size, true);
    }

    public long address() {
        return address;
    }

    public long size() {
        return size;
    }

    private void check(long off, long len) {
        if (off < 0 || len < 0 || off > size - len) {
            throw new IndexOutOfBoundsException("offset 0x" + Long.toHexString(off) + " length " + len
                    + " outside host mapping of 0x" + Long.toHexString(size) + " bytes");
        }
    }

    public long getLong(long off) {
        check(off, 8);
        return pointer.getLong(off);
    }

    public void putLong(long off, long v) {
        check(off, 8);
        pointer.setLong(off, v);
    }

    public int getInt(long off) {
        check(off, 4);
        return pointer.getInt(off);
    }

    public void putInt(long off, int v) {
        check(off, 4);
        pointer.setInt(off, v);
    }

    public short getShort(long off) {
        check(off, 2);
        return pointer.getShort(off);
    }

    public void putShort(long off, short v) {
        check(off, 2);
        pointer.setShort(off, v);
    }

    public byte getByte(long off) {
        check(off, 1);
        return pointer.getByte(off);
    }

    public void putByte(long off, byte v) {
        check(off, 1);
        pointer.setByte(off, v);
    }

    public void read(long off, byte[] dst, int dstOff, int len) {
        check(off, len);
        pointer.read(off, dst, dstOff, len);
    }

    public void write(long off, byte[] src, int srcOff, int len) {
        check(off, len);
        pointer.write(off, src, srcOff, len);
    }

    public void zero(long off, long len) {
        check(off, len);
        pointer.setMemory(off, len, (byte) 0);
    }

    /** A direct buffer over [off, off+len), for channel I/O straight into or out of guest memory. */
    public ByteBuffer buffer(long off, int len) {
        check(off, len);
        return pointer.getByteBuffer(off, len);
    }

    /**
     * Frees the backing pages of [off, off+len): they read as zero afterwards, and KVM forgets any
     * mapping it had of them (the MMU notifier fires). The mapping is shared memory, where
     * MADV_DONTNEED would only unmap and keep the contents, so this punches a hole (MADV_REMOVE),
     * falling back to zeroing plus MADV_DONTNEED.
     */
    public void discard(long off, long len) {
        check(off, len);
        if (KvmNative.madvise(address + off, len, KvmNative.MADV_REMOVE) == 0) {
            return;
        }
        pointer.setMemory(off, len, (byte) 0);
        if (KvmNative.madvise(address + off, len, KvmNative.MADV_DONTNEED) != 0) {
            throw new KvmException("madvise(MADV_DONTNEED)", KvmNative.lastError());
        }
    }

    /**
     * Makes KVM forget its mappings of [off, off+len) while keeping the contents: on shared memory
     * MADV_DONTNEED only drops this process's page-table entries (the MMU notifier fires), and the
     * next access, by the JVM or a guest, maps the same pages again.
     */
    public void forget(long off, long len) {
        check(off, len);
        if (KvmNative.madvise(address + off, len, KvmNative.MADV_DONTNEED) != 0) {
            throw new KvmException("madvise(MADV_DONTNEED)", KvmNative.lastError());
        }
    }

    @Override
    public synchronized void close() {
        if (!closed && owned) {
            closed = true;
            KvmNative.munmap(address, size);
        }
    }
}
