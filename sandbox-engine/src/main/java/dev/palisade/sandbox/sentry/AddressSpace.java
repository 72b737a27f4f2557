package dev.palisade.sandbox.sentry;

/**
 * The task's address space where the Sentry keeps it (KVM): mappings with their protection and
 * the layout the platform reserves. Every operation costs at most what the task owns or asks to
 * map (never the size of an empty range it names); mapping past the memory limit throws
 * {@link OutOfTaskMemory}.
 */
public interface AddressSpace extends TaskMemory {
    long PAGE = 4096;
    int PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;

    boolean isMapped(long va);

    /** True when no page of [va, va+len) is mapped. */
    boolean isFree(long va, long len);

    /** Maps fresh zeroed pages over [va, va+len) (page-aligned), replacing what was there. */
    void map(long va, long len, int prot);

    /** Unmaps whatever is mapped in [va, va+len). */
    void unmap(long va, long len);

    /** Changes protection; false when some page of the range is not mapped (ENOMEM). */
    boolean protect(long va, long len, int prot);

    /** Moves the pages of [from, from+len) to [to, to+len). */
    void move(long from, long to, long len);

    /** Protection of the page at {@code va}, -1 when unmapped. */
    int protOf(long va);

    /** The highest mapped page in [floor, top), or -1. */
    long highestMappedBelow(long top, long floor);

    /** The lowest mapped page in [from, top), or -1. */
    long lowestMappedFrom(long from, long top);

    /** Pages mapped now, whatever their protection. */
    long mappedPages();

    /** Bytes of memory the task's accessible pages use now, and at most so far. */
    long userBytes();

    long peakUserBytes();

    /** Lowest address a program may map. */
    long minUserVa();

    /** Top of the area mmap places mappings in (below it, top-down). */
    long mmapTop();

    /** Whether [va, va+len) touches pages the platform keeps for itself (the program may not unmap or change them). */
    boolean reserved(long va, long len);

    /** Whether [va, va+len) covers part, not all, of a mapping Linux never splits (the vDSO): munmap and mprotect say EINVAL. */
    default boolean splitsSpecial(long va, long len) {
        return false;
    }

    /** Size of the stack the platform mapped. */
    long stackSize();

    /** Whether this address space can map memory its process shares with others (MAP_SHARED). */
    default boolean sharesMemory() {
        return false;
    }

    /**
     * Maps [va, va+len) to pages {@code pgoff}… of the shared object {@code key} — a file's inode
     * ({@code file} fills new pages and takes them back), or a fresh object for
     * MAP_SHARED|MAP_ANONYMOUS — replacing what was there. False (ENOMEM) when the sandbox's
     * shared memory would pass its bound; nothing changes then.
     */
    default boolean mapShared(long va, long len, int prot, Object key, dev.palisade.sandbox.sentry.vfs.OpenFile file, long pgoff) {
        return false;
    }

    /** Writes the shared file pages of [va, va+len) back (msync); false when a page there is not mapped. */
    default boolean sync(long va, long len) {
        return true;
    }

    /** Whether the page at {@code va} is shared memory. */
    default boolean isShared(long va) {
        return false;
    }

    /** The key of a shared futex at {@code va} in {@link #sharedFutexes()}: the same in every process that maps the word; -1 for private memory. */
    default long sharedFutexKey(long va) {
        return -1;
    }

    /** The futex queues of the memory shared between processes (null when there is none). */
    default Futexes sharedFutexes() {
        return null;
    }
}
