package dev.palisade.sandbox.sentry;

import java.util.List;

/**
 * What the Sentry chose for an {@code execve} or {@code execveat} on ptrace ({@link Sentry#serveExec}):
 * the file it opened and installed in the program (answered as the call's value), that file's
 * identity, to check the image the kernel then loads, and for a {@code #!} script the argument
 * list's head the kernel would have made. Filled by the serving thread, read by the tracer after
 * the call's answer; {@link #chosen} is written last.
 */
public final class ExecChoice {
    /** The program's call: {@code execve} or {@code execveat}, and its registers as it made it. */
    public final int nr;
    public final long[] args;
    /**
     * The path, read once from the program's memory by the tracer (which can read the memory of a
     * process that is not dumpable, as the sandbox's first process and its vfork child are), without its NUL.
     */
    public final byte[] path;
    /** Device and inode of the file to run (the last interpreter, for a script). */
    public long dev, ino;
    /** For a script: what replaces the program's {@code argv[0]} (interpreter, its argument, the script's name); null otherwise. */
    public List<byte[]> argvHead;
    public volatile boolean chosen;

    public ExecChoice(int nr, long[] args, byte[] path) {
        this.nr = nr;
        this.args = args;
        this.path = path;
    }
}
