package dev.palisade.sandbox.abi;

/** ioctl(2) request numbers on x86-64 that the engine names; checked against the headers by {@code AbiConstantsTest}. */
public final class Ioctl {
    public static final int TCGETS = 0x5401, TIOCGWINSZ = 0x5413, FIONREAD = 0x541B, FIONBIO = 0x5421,
            SIOCSIFFLAGS = 0x8914;

    private Ioctl() {
    }
}
