package dev.palisade.sandbox.sentry.vfs;

import java.util.HashMap;
import java.util.Map;

/**
 * The flock(2) locks of one sandbox, as Linux keeps them: per file (device and inode), held by
 * open file descriptions, shared or exclusive; a description's lock goes at its last close. A
 * lock the program converts is let go before it is taken again, so a conversion that would block
 * with LOCK_NB leaves none, as on Linux. Host processes outside the sandbox do not see them.
 */
public final class FileLocks {
    private record Key(long dev, long ino) {
    }

    /** For each locked file, who holds it: true for an exclusive lock. */
    private final Map<Key, Map<OpenFile, Boolean>> held = new HashMap<>();

    /** Takes a lock of {@code f} on the file {@code st} describes; false when another description's lock is in the way. */
    public synchronized boolean tryLock(FileStat st, OpenFile f, boolean exclusive) {
        Key key = new Key(st.dev(), st.ino());
        Map<OpenFile, Boolean> holders = held.computeIfAbsent(key, k -> new HashMap<>());
        if (holders.remove(f) != null) {
            notifyAll();   // converting: the old lock is gone first
        }
        boolean free = exclusive ? holders.isEmpty() : !holders.containsValue(true);
        if (!free) {
            if (holders.isEmpty()) {
                held.remove(key);
            }
            return false;
        }
        holders.put(f, exclusive);
        f.atLastClose = () -> unlock(st, f);
        return true;
    }

    /** Lets go of {@code f}'s lock of the file, if it holds one, and wakes those who wait. */
    public synchronized void unlock(FileStat st, OpenFile f) {
        Key key = new Key(st.dev(), st.ino());
        Map<OpenFile, Boolean> holders = held.get(key);
        if (holders != null && holders.remove(f) != null) {
            if (holders.isEmpty()) {
                held.remove(key);
            }
            notifyAll();
        }
    }

    /** Waits for a lock to go, at most {@code millis}. */
    public synchronized void awaitChange(long millis) throws InterruptedException {
        wait(millis);
    }
}
