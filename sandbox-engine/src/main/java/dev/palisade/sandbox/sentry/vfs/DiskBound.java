package dev.palisade.sandbox.sentry.vfs;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.abi.Errno;

import java.util.HashMap;
import java.util.Map;

/**
 * The disk bound of one writable mount the Sentry made fresh for a sandbox ({@code /tmp}, a fresh
 * {@code /workspace}): what a tmpfs of {@code size=} {@link Limits#diskBound()} and
 * {@code nr_inodes=} {@link Limits#diskInodes()} enforces on the ptrace platform, kept as an account
 * in Java, because on the KVM platform every file call is the Sentry's own.
 *
 * <p>Bytes are counted in 4 KiB pages, as tmpfs does, at each file's full size: a sparse file
 * counts as if written (stricter than tmpfs, and the host directory under it never holds more
 * than the account). Files, directories and symlinks each take one of the files, the mount's own
 * directory one too (as tmpfs' root inode). A file removed while a descriptor still has it open
 * keeps its pages and its file until that descriptor is closed, as on Linux. Past the bound the
 * call fails with ENOSPC and {@link #reached()} says so; the mount started empty, so every file in
 * it went through this account. One sandbox's calls run on one thread: no locking.
 */
public final class DiskBound {
    static final long PAGE = 4096;

    /** One file, directory or symlink of the mount, by host inode. */
    public static final class Node {
        private final Object key;
        private long size;
        private boolean linked = true;
        private int links = 1;
        private int opens;

        private Node(Object key, long size) {
            this.key = key;
            this.size = size;
        }
    }

    private final String where;
    private final long maxPages, maxFiles;
    private long pages, files = 1;
    private boolean refused;
    private final Map<Object, Node> nodes = new HashMap<>();

    /** The bound of {@code limits} for the mount the program sees at {@code where}. */
    public DiskBound(String where, Limits limits) {
        this.where = where;
        this.maxPages = pages(limits.diskBound());
        this.maxFiles = limits.diskInodes();
    }

    public String where() {
        return where;
    }

    /** True once a call got ENOSPC from this bound, or when no page or no file is left. */
    public boolean reached() {
        return refused || pages >= maxPages || files >= maxFiles;
    }

    private static long pages(long bytes) {
        return bytes / PAGE + (bytes % PAGE == 0 ? 0 : 1);   // no overflow near Long.MAX_VALUE
    }

    private FsError full() {
        refused = true;
        return new FsError(Errno.ENOSPC);
    }

    /** Throws ENOSPC unless one more file may be created; call before creating it on the host. */
    public void checkNewFile() throws FsError {
        if (files >= maxFiles) {
            throw full();
        }
    }

    /** Counts a file just created on the host (host inode {@code key}), {@code bytes} long (a symlink's target). */
    public Node created(Object key, long bytes) throws FsError {
        checkNewFile();
        if (pages + pages(bytes) > maxPages) {
            throw full();
        }
        Node n = new Node(key, bytes);
        files++;
        pages += pages(bytes);
        nodes.put(key, n);
        return n;
    }

    /** The account of an existing file of this mount (host inode {@code key}). */
    public Node node(Object key, long hostSize) {
        // every file of the mount was created through this account; a stranger is counted as found
        return nodes.computeIfAbsent(key, k -> {
            files++;
            pages += pages(hostSize);
            return new Node(k, hostSize);
        });
    }

    /** A descriptor opened the file. */
    public void opened(Node n) {
        n.opens++;
    }

    /** A descriptor of the file was closed: a removed file's pages and file are free once none is left. */
    public void closed(Node n) {
        n.opens--;
        releaseIfGone(n);
    }

    /** The file {@code key} got one more name (link): its pages are counted once, and stay until its last name goes. */
    public void linked(Object key) {
        Node n = nodes.get(key);
        if (n != null) {
            n.links++;
        }
    }

    /** A name {@code key} had was removed (unlink, rmdir, or renamed over). */
    public void removed(Object key) {
        Node n = nodes.get(key);
        if (n != null && --n.links <= 0) {
            n.linked = false;
            releaseIfGone(n);
        }
    }

    private void releaseIfGone(Node n) {
        if (!n.linked && n.opens <= 0 && nodes.remove(n.key) == n) {
            files--;
            pages -= pages(n.size);
        }
    }

    /**
     * How many of {@code want} bytes written at {@code offset} fit (those that fill the file up to
     * its current size always do); ENOSPC when not one does.
     */
    public long fit(Node n, long offset, long want) throws FsError {
        if (want <= 0 || (offset <= Long.MAX_VALUE - want && offset + want <= n.size)) {
            return want;
        }
        long maxSize = (maxPages - pages + pages(n.size)) * PAGE;
        if (offset >= maxSize) {
            throw full();
        }
        return Math.min(want, maxSize - offset);
    }

    /** The file is now {@code size} bytes long (a write that {@link #fit} allowed, or a shrink). */
    public void sized(Node n, long size) {
        pages += pages(size) - pages(n.size);
        n.size = size;
    }

    /** Throws ENOSPC unless the file may grow to {@code size} bytes (ftruncate, fallocate); then counts it. */
    public void resize(Node n, long size) throws FsError {
        if (pages(size) > pages(n.size) && pages + pages(size) - pages(n.size) > maxPages) {
            throw full();
        }
        sized(n, size);
    }

    /** The file's size as counted. */
    public long size(Node n) {
        return n.size;
    }
}
