package dev.palisade.sandbox.sentry;

/** A task address the Sentry was asked to use is not mapped, or not with the access needed: EFAULT. */
public class BadAddress extends RuntimeException {
    private final long address;

    public BadAddress(long address) {
        super("bad task address 0x" + Long.toHexString(address), null, false, false);
        this.address = address;
    }

    public long address() {
        return address;
    }
}
