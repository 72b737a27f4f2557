package dev.palisade.sandbox.nativeinterop;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The supervisor's end of a seccomp user-notification filter ({@code SECCOMP_FILTER_FLAG_NEW_LISTENER}):
 * receives the calls the filter sent to user space, checks that a notification is still pending
 * ({@code SECCOMP_IOCTL_NOTIF_ID_VALID}) after reading the program's memory, answers with a value
 * or an errno, or installs a descriptor in the program and answers with its number in one step
 * ({@code SECCOMP_IOCTL_NOTIF_ADDFD} with {@code SECCOMP_ADDFD_FLAG_SEND}). One thread uses it, and
 * {@link #answerFrom} answers from others.
 */
public final class SeccompListener implements AutoCloseable {
    static {
        Native.register(SeccompListener.class, NativeLibrary.getInstance("c"));
    }

    /** The filter's return value that sends a call to this listener. */
    public static final int RET_USER_NOTIF = 0x7fc00000;
    /** seccomp(2) filter flags: hand back a listener; after the supervisor took a call, only a fatal signal interrupts the wait. */
    public static final int FLAG_NEW_LISTENER = 1 << 3, FLAG_WAIT_KILLABLE_RECV = 1 << 5;
    static final long IOCTL_RECV = 0xC0502100L, IOCTL_SEND = 0xC0182101L, IOCTL_ID_VALID = 0x40082102L,
            IOCTL_ADDFD = 0x40182103L, IOCTL_SET_FLAGS = 0x40082104L;
    private static final int ADDFD_FLAG_SEND = 2, USER_NOTIF_FLAG_CONTINUE = 1, USER_NOTIF_FD_SYNC_WAKE_UP = 1, O_CLOEXEC = 02000000;
    private static final short POLLIN = 1, POLLHUP = 0x10;
    private static final int EINTR = 4, ENOENT = 2;

    private static native int ioctl(int fd, long request, long arg);

    private static native int poll(long fds, long nfds, int timeout);

    private final int fd;
    private boolean closed;
    /** notification at 0 (80 bytes), response at 96, addfd at 128, id at 160, pollfd at 176. */
    private final Memory mem = new Memory(192);
    private final long base = com.sun.jna.Pointer.nativeValue(mem);
    /** The received notification: id, pid|flags, nr|arch, ip, args[6]. */
    private final long[] notif = new long[10];
    private final long[] words = new long[3];

    /** Takes ownership of {@code fd}, a listener descriptor of this process. */
    public SeccompListener(int fd) {
        this.fd = fd;
    }

    /**
     * Asks the kernel to wake this listener's thread on the notifying task's CPU, and the task on
     * this thread's, when they meet (Linux 6.6); false where the kernel does not offer it.
     */
    public boolean syncWakeUp() {
        // the flags are the ioctl's argument itself, not a pointer to them
        return ioctl(fd, IOCTL_SET_FLAGS, USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
    }

    /**
     * Waits for the next call (the receive blocks; Linux ends it with ENOENT once no task uses the
     * filter); false once no process uses the filter any more (or the listener was closed). The
     * call is then in {@link #id}, {@link #tid}, {@link #nr}, {@link #arg}.
     */
    public boolean receive() {
        while (true) {
            mem.clear(80);
            if (ioctl(fd, IOCTL_RECV, base) == 0) {
                mem.read(0, notif, 0, notif.length);
                return true;
            }
            int e = Native.getLastError();
            if (e == EINTR) {
                continue;
            }
            // ENOENT: the task was killed after its notification, or no task uses the filter any more
            if (e != ENOENT || hungUp()) {
                return false;
            }
        }
    }

    /** Whether no task uses the filter any more (the listener polls POLLHUP). */
    private boolean hungUp() {
        mem.setLong(176, fd & 0xffffffffL | (long) POLLIN << 32);
        int n = poll(base + 176, 1, 0);
        return n < 0 || (n > 0 && (mem.getShort(182) & POLLHUP) != 0);
    }

    public long id() {
        return notif[0];
    }

    /** The calling thread, in this process's pid namespace. */
    public int tid() {
        return (int) notif[1];
    }

    public int nr() {
        return (int) notif[2];
    }

    public long arg(int i) {
        return notif[4 + i];
    }

    /** Whether the received call still waits for its answer: the task's memory read since then was the task's. */
    public boolean stillValid() {
        mem.setLong(160, id());
        return ioctl(fd, IOCTL_ID_VALID, base + 160) == 0;
    }

    /** Whether call {@code id} still waits for its answer, asked from any thread (memory of its own). */
    public synchronized boolean stillValid(long id) {
        if (closed) {
            return false;
        }
        try (Memory m = new Memory(8)) {
            m.setLong(0, id);
            return ioctl(fd, IOCTL_ID_VALID, com.sun.jna.Pointer.nativeValue(m)) == 0;
        }
    }

    /** Answers the received call with {@code value} ({@code error} 0) or with {@code -error}. */
    public void answer(long value, int error) {
        words[0] = id();
        words[1] = value;
        words[2] = error & 0xffffffffL; // error, then flags 0
        mem.write(96, words, 0, 3);
        ioctl(fd, IOCTL_SEND, base + 96); // ENOENT: the task is gone, nobody waits for the answer
    }

    /**
     * Lets the kernel run the received call in the task as it would have without the filter
     * ({@code SECCOMP_USER_NOTIF_FLAG_CONTINUE}): it reads the task's arguments again, so only for
     * a call whose outcome nothing the task changes meanwhile can widen.
     */
    public void continueCall() {
        words[0] = id();
        words[1] = 0;
        words[2] = (long) USER_NOTIF_FLAG_CONTINUE << 32;
        mem.write(96, words, 0, 3);
        ioctl(fd, IOCTL_SEND, base + 96);
    }

    /**
     * Installs a duplicate of this process's {@code src} in the calling task and answers the call
     * with its number; the negated errno when the kernel refuses (EMFILE at the task's limit).
     * One step ({@code SECCOMP_ADDFD_FLAG_SEND}): the task installs the descriptor itself, so a
     * plain install and then an answer would wake it twice.
     */
    public int installAndAnswer(int src, boolean cloexec) {
        words[0] = id();
        words[1] = ADDFD_FLAG_SEND | ((long) src << 32);
        words[2] = (cloexec ? (long) O_CLOEXEC : 0L) << 32; // newfd 0, then its flags
        mem.write(128, words, 0, 3);
        int r = ioctl(fd, IOCTL_ADDFD, base + 128);
        return r < 0 ? -Native.getLastError() : r;
    }

    /**
     * Installs a duplicate of this process's {@code src} in the calling task without answering the
     * call: its number there, or the negated errno (EMFILE at the task's limit). For a call that
     * makes more than one descriptor (pipe2) and answers after writing their numbers.
     */
    public int addFd(int src, boolean cloexec) {
        words[0] = id();
        words[1] = (long) src << 32; // flags 0, then srcfd
        words[2] = (cloexec ? (long) O_CLOEXEC : 0L) << 32;
        mem.write(128, words, 0, 3);
        int r = ioctl(fd, IOCTL_ADDFD, base + 128);
        return r < 0 ? -Native.getLastError() : r;
    }

    /**
     * Answers call {@code id} from another thread than the receiving one (a call handed off while
     * it waits on a peer), with memory of its own; nothing once the listener is closed, so that a
     * late answer never reaches a descriptor number reused meanwhile.
     */
    public synchronized void answerFrom(long id, long value, int error) {
        if (closed) {
            return;
        }
        try (Memory m = new Memory(24)) {
            m.setLong(0, id);
            m.setLong(8, value);
            m.setLong(16, error & 0xffffffffL);
            ioctl(fd, IOCTL_SEND, com.sun.jna.Pointer.nativeValue(m)); // ENOENT: the task is gone
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        HostCalls.close(fd);
    }
}
