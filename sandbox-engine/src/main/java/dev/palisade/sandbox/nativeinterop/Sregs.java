package dev.palisade.sandbox.nativeinterop;

import com.sun.jna.Memory;

/** A struct kvm_sregs buffer, read and written by offsets ({@code KvmIoctls.SREG_*}). */
public final class Sregs {
    final Memory memory = new Memory(KvmIoctls.SIZEOF_SREGS);

    public long getLong(long off) {
        return memory.getLong(off);
    }

    public void setLong(long off, long v) {
        memory.setLong(off, v);
    }

    public void setInt(long off, int v) {
        memory.setInt(off, v);
    }

    public void setShort(long off, short v) {
        memory.setShort(off, v);
    }

    public void setByte(long off, byte v) {
        memory.setByte(off, v);
    }
}
