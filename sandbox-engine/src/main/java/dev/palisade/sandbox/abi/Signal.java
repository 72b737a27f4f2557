package dev.palisade.sandbox.abi;

/** Linux signal numbers on x86-64 ({@code <signal.h>}); checked against the headers by {@code AbiConstantsTest}. */
public final class Signal {
    public static final int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7,
            SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14,
            SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22,
            SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25, SIGWINCH = 28, SIGSYS = 31;
    /** Highest signal number the kernel accepts ({@code _NSIG}). */
    public static final int NSIG = 64;

    private Signal() {
    }

    /**
     * Whether the default action of {@code sig} is to ignore it (SIGCHLD, SIGURG, SIGWINCH, and
     * SIGCONT, whose default only continues a stopped process).
     */
    public static boolean ignoredByDefault(int sig) {
        return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
    }
}
