package dev.palisade.sandbox.sentry.vfs;

import dev.palisade.sandbox.abi.Errno;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * An open file description: what a descriptor refers to. Shared by duplicated descriptors
 * (reference counted); the offset lives here, as in Linux.
 */
public abstract class OpenFile {
    public static final int POLLIN = 1, POLLOUT = 4, POLLERR = 8, POLLHUP = 16, POLLNVAL = 32;
    public static final int POLLRDNORM = 0x40, POLLWRNORM = 0x100, POLLWRBAND = 0x200, POLLRDHUP = 0x2000;

    private int refs = 1;
    /** O_* status flags the program set (O_APPEND, O_NONBLOCK…); access mode is fixed. */
    public int statusFlags;
    public final int accessMode;
    /** The sandbox path it was opened by, as {@code /proc/<pid>/fd} shows it; null for pipes and sockets. */
    public String openedPath;
    /** Run at the last close: the flock this description holds goes ({@link FileLocks}). */
    volatile Runnable atLastClose;

    protected OpenFile(int accessMode) {
        this.accessMode = accessMode;
    }

    public boolean readable() {
        return accessMode == 0 || accessMode == 2;
    }

    public boolean writable() {
        return accessMode == 1 || accessMode == 2;
    }

    /** Adds a reference; synchronized because forked processes (one thread each on KVM) share descriptions. */
    public final synchronized void retain() {
        refs++;
    }

    /** Drops one reference; closes the description when it was the last. */
    public final synchronized void release() {
        if (--refs == 0) {
            close();
            Runnable unlock = atLastClose;
            if (unlock != null) {
                unlock.run();
            }
            WaitQueue q = waitQueue();
            if (q != null) {
                q.changed();   // epoll sets drop it when they look again, as Linux does at the last close
            }
        }
    }

    /** Whether the last reference is gone (an epoll set watching it forgets it). */
    public final synchronized boolean released() {
        return refs <= 0;
    }

    protected void close() {
    }

    /** Reads into the buffers; returns bytes read, 0 at end of file. */
    public long read(ByteBuffer[] dst) throws FsError {
        throw new FsError(Errno.EINVAL);
    }

    public long write(ByteBuffer[] src) throws FsError {
        throw new FsError(Errno.EINVAL);
    }

    public long pread(ByteBuffer[] dst, long offset) throws FsError {
        throw new FsError(Errno.ESPIPE);
    }

    public long pwrite(ByteBuffer[] src, long offset) throws FsError {
        throw new FsError(Errno.ESPIPE);
    }

    public long seek(long offset, int whence) throws FsError {
        throw new FsError(Errno.ESPIPE);
    }

    public abstract FileStat stat() throws FsError;

    public void truncate(long length) throws FsError {
        throw new FsError(Errno.EINVAL);
    }

    /** The next directory entries (advancing the position); empty at the end. */
    public List<DirEntry> readDir(int max) throws FsError {
        throw new FsError(Errno.ENOTDIR);
    }

    /** Ready events among POLLIN/POLLOUT/POLLHUP. */
    public int poll() {
        return POLLIN | POLLOUT;
    }

    /**
     * Where a change of {@link #poll()} is announced, or null for a file whose readiness never
     * changes (regular files, directories, devices: epoll refuses them with EPERM as Linux does)
     * or is found otherwise (the loopback's TCP sockets: its selector).
     */
    public WaitQueue waitQueue() {
        return null;
    }

    /** The host file this description is of, or null (pipes, sockets, devices, /proc). */
    public java.nio.file.Path hostPath() {
        return null;
    }

    /** Sandbox path of a directory (for fchdir and *at calls), or null. */
    public String directoryPath() {
        return null;
    }

    /** Puts back the last {@code n} directory entries {@link #readDir} gave (they did not fit the caller's buffer). */
    public void unread(int n) {
    }

    /** Whether it is a terminal (never, in a sandbox). */
    public boolean isTerminal() {
        return false;
    }

    /** One directory entry for getdents64. */
    public record DirEntry(long ino, int type, String name) {
    }

    public static long total(ByteBuffer[] bufs) {
        long n = 0;
        for (ByteBuffer b : bufs) {
            n += b.remaining();
        }
        return n;
    }
}
