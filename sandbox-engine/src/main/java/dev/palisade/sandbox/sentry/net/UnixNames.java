package dev.palisade.sandbox.sentry.net;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The AF_UNIX names of one sandbox: path names, keyed by the identity of the socket file that
 * bind(2) made in the sandbox's file system, and abstract names. Only sockets of this sandbox are
 * ever found here: a socket file that some host process made (visible through a mount) has no
 * entry, so connecting to it is refused, as Linux refuses a socket file nobody listens on.
 */
public final class UnixNames {
    private final Map<Object, UnixSocket> paths = new ConcurrentHashMap<>();
    private final Map<String, UnixSocket> abstractNames = new ConcurrentHashMap<>();
    private int nextAuto;
    /**
     * Open files in flight (sent with SCM_RIGHTS, not yet received): bounded as Linux bounds a
     * user's, by the descriptor limit, since a socket sent through itself is never freed here.
     */
    private final AtomicInteger inflight = new AtomicInteger();
    public static final int MAX_INFLIGHT = 1024;

    /** Counts {@code n} more files in flight; false (nothing counted) past {@link #MAX_INFLIGHT}. */
    public boolean sendFiles(int n) {
        while (true) {
            int now = inflight.get();
            if (now + n > MAX_INFLIGHT) {
                return false;
            }
            if (inflight.compareAndSet(now, now + n)) {
                return true;
            }
        }
    }

    /** {@code n} files left flight: received, or dropped with their socket. */
    public void filesLanded(int n) {
        inflight.addAndGet(-n);
    }

    private static String key(byte[] name) {
        return new String(name, StandardCharsets.ISO_8859_1);
    }

    /** Binds a path name whose socket file was just made; {@code fileKey} is its host inode identity. */
    public void bindPath(Object fileKey, UnixSocket s) {
        paths.put(fileKey, s);
    }

    public UnixSocket path(Object fileKey) {
        return paths.get(fileKey);
    }

    /** Binds an abstract name (starting with NUL); false when it is taken. */
    public boolean bindAbstract(byte[] name, UnixSocket s) {
        return abstractNames.putIfAbsent(key(name), s) == null;
    }

    public UnixSocket abstractName(byte[] name) {
        return abstractNames.get(key(name));
    }

    /** A free abstract name of five hex digits, as Linux's autobind; null when all are taken. */
    public synchronized byte[] autobind(UnixSocket s) {
        for (int i = 0; i < 0x100000; i++) {
            int n = nextAuto;
            nextAuto = (n + 1) & 0xfffff;
            byte[] name = String.format("\0%05x", n).getBytes(StandardCharsets.ISO_8859_1);
            if (bindAbstract(name, s)) {
                return name;
            }
        }
        return null;
    }

    /** Forgets a closed socket's name ({@code key}: a file key, or the abstract name's string). */
    void unbind(Object key, UnixSocket s) {
        if (key instanceof String k) {
            abstractNames.remove(k, s);
        } else {
            paths.remove(key, s);
        }
    }

    /** The key {@link UnixSocket#named} takes for an abstract name. */
    public static Object abstractKey(byte[] name) {
        return key(name);
    }
}
