package dev.palisade.sandbox.abi;

/** ioctl(2) request numbers on x86-64 that the engine names; checked against the headers by {@code AbiConstantsTest}. */
public final class Ioctl {
    public static final int TCGETS = 0x5401, TIOCGWINSZ = 0x5413, FIONREAD = 0x541B, FIONBIO = 0x5421,
            SIOCSIFFLAGS = 0x8914;
    /** Terminal, descriptor and socket requests the sandbox's ioctl filter names ({@code ArgumentChecks}). */
    public static final int TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TCSBRK = 0x5409, TCXONC = 0x540A,
            TCFLSH = 0x540B, TIOCGPGRP = 0x540F, TIOCSPGRP = 0x5410, TIOCOUTQ = 0x5411, TIOCSTI = 0x5412,
            TIOCSWINSZ = 0x5414, TIOCGSID = 0x5429, FIONCLEX = 0x5450, FIOCLEX = 0x5451, FIOASYNC = 0x5452,
            FIOQSIZE = 0x5460, SIOCATMARK = 0x8905, SIOCGIFNAME = 0x8910, SIOCGIFCONF = 0x8912, SIOCGIFFLAGS = 0x8913,
            SIOCGIFADDR = 0x8915, SIOCGIFMTU = 0x8921, SIOCGIFHWADDR = 0x8927, SIOCGIFINDEX = 0x8933;

    private Ioctl() {
    }
}
