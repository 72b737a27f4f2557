package dev.palisade.sandbox.platform.ptrace;

/** Test access to the package-private filter compiler. */
public final class SeccompFilterAccess {
    private SeccompFilterAccess() {
    }

    public static byte[] compile() {
        return SeccompFilter.compile(false);
    }
}
