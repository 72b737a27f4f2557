package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.vfs.FileStat;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.HostFile;
import dev.palisade.sandbox.sentry.vfs.OpenFile;
import dev.palisade.sandbox.sentry.vfs.ProcFs;
import dev.palisade.sandbox.sentry.vfs.VirtualFs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The process the Sentry keeps where no host kernel holds one (KVM): identity, memory map (brk,
 * mmap cursor), file descriptor table, working directory, umask, signal dispositions, the
 * process-wide pending signals and the futex queues. Its threads ({@link VirtualThread}: mask,
 * tid) share it and call into the Sentry at the same time: the descriptor table and the
 * pending set change under this object's monitor, the dispositions are a concurrent map, and
 * the memory-map calls hold {@link #memoryMap} ({@link SysMmap}).
 */
public final class VirtualProcess {
    public static final int MAX_FDS = 1024;
    public static final int PID = 1;
    public static final int UID = VirtualFs.PROGRAM_UID;
    public static final int GID = VirtualFs.PROGRAM_GID;
    public static final int RLIMIT_FSIZE = 1, RLIMIT_STACK = 3, RLIMIT_NOFILE = 7, RLIMIT_MEMLOCK = 8, RLIMIT_AS = 9, RLIM_NLIMITS = 16;

    public final AddressSpace mem;
    public final VirtualFs fs;
    public final OpenFile[] fds = new OpenFile[MAX_FDS];
    final boolean[] cloexec = new boolean[MAX_FDS];
    String cwd;
    int umask = 022;
    public long brkStart;
    public long brk;
    long mmapCursor;
    public long stackLow;
    final String execPath;
    /** sigaction per signal: handler, flags, restorer, mask. */
    final Map<Integer, long[]> sigactions = new java.util.concurrent.ConcurrentHashMap<>();
    /** Signals raised and not yet delivered (bit sig-1), and what each carries: si_code, si_addr or sender pid. */
    long pendingSignals;
    final Map<Integer, long[]> pendingInfo = new HashMap<>();
    long nextSocketIno = 1000;
    /** The process's futex queues, shared by its threads. */
    public final Futexes futexes = new Futexes();
    /** Threads asleep in the Sentry (nanosleep, pause, sigsuspend) wait on it; a raised signal wakes them. */
    final Object signalled = new Object();
    /**
     * How the platform makes a thread of this process that does not block a signal take it now
     * (KVM: a kick out of the guest or a futex wait); set by the platform, for signals no call raises.
     */
    public volatile java.util.function.IntConsumer signalWaker;
    /** ITIMER_REAL: its SIGALRMs, while armed. */
    IntervalTimer realTimer = new IntervalTimer(this);
    /** Held by the calls that choose and change mappings (mmap, munmap, mprotect, mremap, brk), so two threads' calls do not interleave. */
    final Object memoryMap = new Object();
    /** The task's name (comm): the file name execve was given, at most 15 bytes; prctl(PR_SET_NAME) changes it. */
    private String comm;
    /** What /proc/<pid>/maps names: start of a file mapping → its end, file offset, device, inode and sandbox path. */
    private final TreeMap<Long, ProcFs.Region> mappingNames = new TreeMap<>();
    /** The file size limit files opened for writing enforce. */
    private final HostFile.SizeLimit sizeLimit;
    /** Process group and session ({@link SysIdentity}): the first process leads both; a child inherits its parent's. */
    volatile int pgid = PID, sid = PID;
    /** Whether the process has called execve since its fork (setpgid then gives its parent EACCES). */
    volatile boolean execed;

    public VirtualProcess(AddressSpace mem, VirtualFs fs, String cwd, String execPath, HostFile.SizeLimit sizeLimit) {
        this.mem = mem;
        this.fs = fs;
        this.cwd = cwd;
        this.execPath = execPath;
        this.sizeLimit = sizeLimit;
        this.mmapCursor = mem.mmapTop();
        nameAfter(execPath);
    }

    HostFile.SizeLimit sizeLimit() {
        return sizeLimit;
    }

    /** The open file of a descriptor argument: an unsigned int to the kernel, so only its low 32 bits count. */
    public OpenFile file(long fd) throws FsError {
        int i = (int) fd;
        if (i < 0 || i >= MAX_FDS || fds[i] == null) {
            throw new FsError(Errno.EBADF);
        }
        return fds[i];
    }

    public synchronized int install(OpenFile f, boolean closeOnExec, int lowest) throws FsError {
        for (int i = Math.max(0, lowest); i < MAX_FDS; i++) {
            if (fds[i] == null) {
                fds[i] = f;
                cloexec[i] = closeOnExec;
                return i;
            }
        }
        f.release();
        throw new FsError(Errno.EMFILE);
    }

    synchronized void close(int fd) throws FsError {
        OpenFile f = file(fd);
        fds[fd] = null;
        cloexec[fd] = false;
        f.release();
    }

    public synchronized void closeAll() {
        for (int i = 0; i < MAX_FDS; i++) {
            if (fds[i] != null) {
                OpenFile f = fds[i];
                fds[i] = null;
                f.release();
            }
        }
    }

    /**
     * The child of a fork, in its own address space {@code childMem} (already a copy of this
     * one): the same open files (shared, as Linux shares open file descriptions), cwd, umask,
     * memory layout and dispositions; no pending signals (the calling thread's mask is the platform's to carry).
     */
    public synchronized VirtualProcess forkInto(AddressSpace childMem, HostFile.SizeLimit childLimit) {
        VirtualProcess c = new VirtualProcess(childMem, fs, cwd, execPath, childLimit);
        for (int i = 0; i < MAX_FDS; i++) {
            if (fds[i] != null) {
                fds[i].retain();
                c.fds[i] = fds[i];
                c.cloexec[i] = cloexec[i];
            }
        }
        c.umask = umask;
        c.brkStart = brkStart;
        c.brk = brk;
        c.mmapCursor = mmapCursor;
        c.stackLow = stackLow;
        sigactions.forEach((sig, a) -> c.sigactions.put(sig, a.clone()));
        c.nextSocketIno = nextSocketIno;
        synchronized (memoryMap) {
            c.mappingNames.putAll(mappingNames);
        }
        c.comm = comm;
        c.pgid = pgid;
        c.sid = sid;
        return c;
    }

    /**
     * This process after execve of {@code newExecPath} in the fresh address space {@code newMem}:
     * descriptors without close-on-exec move over (those with it are closed), cwd, umask and the
     * (thread's) mask stay, handled signals go back to their default, ignored ones stay ignored,
     * pending signals and the interval timer carry over. This object gives up its descriptors.
     */
    public synchronized VirtualProcess execInto(AddressSpace newMem, String newExecPath) {
        VirtualProcess n = new VirtualProcess(newMem, fs, cwd, newExecPath, sizeLimit);   // named after it until the platform says which name execve was given
        for (int i = 0; i < MAX_FDS; i++) {
            OpenFile f = fds[i];
            fds[i] = null;
            if (f != null && cloexec[i]) {
                f.release();
            } else if (f != null) {
                n.fds[i] = f;
            }
            cloexec[i] = false;
        }
        n.umask = umask;
        sigactions.forEach((sig, a) -> {
            if (a[0] == 1) {
                n.sigactions.put(sig, new long[] {1, 0, 0, 0});
            }
        });
        n.pendingSignals = pendingSignals;
        n.pendingInfo.putAll(pendingInfo);
        n.realTimer = realTimer;   // ITIMER_REAL goes on across execve, as Linux keeps it
        realTimer.moveTo(n);
        n.nextSocketIno = nextSocketIno;
        n.pgid = pgid;
        n.sid = sid;
        n.execed = true;
        return n;
    }

    /**
     * Records that [va, va+len) now maps {@code file} from {@code offset} (or anonymous memory,
     * when it is null), for /proc/&lt;pid&gt;/maps.
     */
    public void mapped(long va, long len, OpenFile file, long offset) {
        synchronized (memoryMap) {   // threads map while another reads /proc/<pid>/maps
            forgetNames(va, len);
            if (file != null && file.openedPath != null) {
                long dev = 0, ino = 0;
                try {
                    var st = file.stat();
                    dev = st.dev();
                    ino = st.ino();
                } catch (FsError e) {
                    // named without a device and inode
                }
                mappingNames.put(va, new ProcFs.Region(va, va + len, 0, offset, dev, ino, file.openedPath));
            }
        }
    }

    /** Records that [va, va+len) maps a program file (an ELF image's segments) named {@code path}. */
    public void mappedImage(long va, long len, String path) {
        synchronized (memoryMap) {   // threads map while another reads /proc/<pid>/maps
            forgetNames(va, len);
            long dev = 0, ino = 0;
            try {
                var r = fs.resolve("/", path, true);
                if (!r.synthetic()) {
                    FileStat st = FileStat.ofHost(r.host());
                    dev = st.dev();
                    ino = st.ino();
                }
            } catch (FsError | java.io.IOException e) {
                // named without a device and inode
            }
            mappingNames.put(va, new ProcFs.Region(va, va + len, 0, 0, dev, ino, path));
        }
    }

    /** Records that [va, va+len) is a mapping of the platform's that maps shows as {@code name} ("[vdso]"). */
    public void mappedSpecial(long va, long len, String name) {
        synchronized (memoryMap) {   // threads map while another reads /proc/<pid>/maps
            forgetNames(va, len);
            mappingNames.put(va, new ProcFs.Region(va, va + len, 0, 0, 0, 0, name));
        }
    }

    /** Forgets the names of whatever [va, va+len) mapped (an unmap, or a mapping over it). */
    void forgetNames(long va, long len) {
        synchronized (memoryMap) {   // threads map while another reads /proc/<pid>/maps
            long end = va + len;
            var before = mappingNames.lowerEntry(va);
            if (before != null && before.getValue().end() > va) {
                ProcFs.Region r = before.getValue();
                mappingNames.put(r.start(), cut(r, r.start(), va));
                if (r.end() > end) {
                    mappingNames.put(end, cut(r, end, r.end()));
                }
            }
            for (Long k : new ArrayList<>(mappingNames.subMap(va, true, end, false).keySet())) {
                ProcFs.Region r = mappingNames.remove(k);
                if (r.end() > end) {
                    mappingNames.put(end, cut(r, end, r.end()));
                }
            }
        }
    }

    private static ProcFs.Region cut(ProcFs.Region r, long from, long to) {
        return new ProcFs.Region(from, to, 0, r.offset() + (from - r.start()), r.dev(), r.ino(), r.name());
    }

    /**
     * The mappings as /proc/&lt;pid&gt;/maps lists them: runs of pages with the same protection
     * and the same file, the heap and the stack named. Costs what the task has mapped.
     */
    public List<ProcFs.Region> regions() {
        synchronized (memoryMap) {   // threads map while another reads /proc/<pid>/maps
            List<ProcFs.Region> out = new ArrayList<>();
            long top = 1L << 47;   // the user half
            long va = mem.lowestMappedFrom(0, top);
            while (va >= 0) {
                int prot = mem.protOf(va);
                var named = mappingNames.floorEntry(va);
                ProcFs.Region file = named != null && named.getValue().end() > va ? named.getValue() : null;
                long limit = file != null ? file.end() : nextNameAfter(va);
                long end = va + AddressSpace.PAGE;
                while (end < limit && mem.isMapped(end) && mem.protOf(end) == prot) {
                    end += AddressSpace.PAGE;
                }
                String name = file != null ? file.name()
                        : va >= heapStart() && end <= heapEnd() ? "[heap]"
                        : va >= stackLow && stackLow > 0 ? "[stack]" : null;
                out.add(new ProcFs.Region(va, end, prot, file != null ? file.offset() + (va - file.start()) : 0,
                        file != null ? file.dev() : 0, file != null ? file.ino() : 0, name));
                va = mem.lowestMappedFrom(end, top);
            }
            return out;
        }
    }

    /** The heap's pages: from the page after the program's image (brk may end mid-page) to brk's page. */
    private long heapStart() {
        return (brkStart + AddressSpace.PAGE - 1) & -AddressSpace.PAGE;
    }

    private long heapEnd() {
        return (brk + AddressSpace.PAGE - 1) & -AddressSpace.PAGE;
    }

    /** Where the run of pages from {@code va} must end at the latest: the next name's start, the heap's ends, the stack. */
    private long nextNameAfter(long va) {
        Long k = mappingNames.higherKey(va);
        long limit = k == null ? Long.MAX_VALUE : k;
        if (va < heapStart() && heapStart() < limit) {
            limit = heapStart();
        }
        if (va >= heapStart() && va < heapEnd() && heapEnd() < limit) {
            limit = heapEnd();
        }
        if (va < stackLow && stackLow < limit) {
            limit = stackLow;
        }
        return limit;
    }

    /** The program's path in the sandbox. */
    public String execPath() {
        return execPath;
    }

    /** The task's name, as /proc/&lt;pid&gt;/comm, status and prctl(PR_GET_NAME) give it. */
    public String comm() {
        return comm;
    }

    /** Names the task after the last component of {@code path} (execve's file name). */
    public void nameAfter(String path) {
        setComm(path.substring(path.lastIndexOf('/') + 1));
    }

    /** Names the task {@code name}, cut to 15 bytes as Linux's TASK_COMM_LEN does. */
    void setComm(String name) {
        byte[] b = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        comm = new String(b, 0, Math.min(b.length, 15), java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * The soft and hard limit of resource {@code res} (0 ≤ res &lt; 16), as the sandbox enforces
     * them (-1: none): what getrlimit and /proc/&lt;pid&gt;/limits say.
     */
    public long[] rlimit(Limits limits, int res) {
        long inf = -1;
        return switch (res) {
            case RLIMIT_FSIZE -> limits.fileSizeBytes() > 0 ? new long[] {limits.fileSizeBytes(), limits.fileSizeBytes()} : new long[] {inf, inf};
            case RLIMIT_STACK -> new long[] {mem.stackSize(), mem.stackSize()};
            case RLIMIT_NOFILE -> new long[] {MAX_FDS, MAX_FDS};
            case RLIMIT_MEMLOCK -> new long[] {0, 0}; // nothing may be locked (SysMmap.mlock)
            case RLIMIT_AS -> limits.memoryBytes() > 0 ? new long[] {limits.memoryBytes(), limits.memoryBytes()} : new long[] {inf, inf};
            default -> new long[] {inf, inf};
        };
    }

    public int umask() {
        return umask;
    }

    /** Signal sets as bit masks (bit sig-1): pending, blocked (a thread's {@code mask}), ignored, caught. */
    public long[] signalSets(long mask) {
        long ignored = 0, caught = 0;
        for (var e : sigactions.entrySet()) {
            long bit = 1L << (e.getKey() - 1);
            if (e.getValue()[0] == 1) {
                ignored |= bit;
            } else if (e.getValue()[0] != 0) {
                caught |= bit;
            }
        }
        long pending;
        synchronized (this) {
            pending = pendingSignals;
        }
        return new long[] {pending, mask, ignored, caught};
    }

    /** The working directory (a sandbox path). */
    public String cwd() {
        return cwd;
    }

    /** The process group, for the platform's wait and for /proc. */
    public int pgid() {
        return pgid;
    }

    /** The session, for /proc. */
    public int sid() {
        return sid;
    }

    /** Whether the program ignores a signal (SIG_IGN). */
    public boolean ignores(int sig) {
        long[] a = sigactions.get(sig);
        return a != null && a[0] == 1;
    }

    /**
     * Finds a free range of {@code len} bytes below the mmap cursor (top-down), or -1. Walks the
     * task's mappings, not the pages of the range: the cost is bounded by what it has mapped.
     */
    long findFree(long len) {
        long top = mmapCursor;
        long floor = Math.max(brk + (1L << 30), mem.minUserVa());
        while (top - floor >= len) {
            long start = top - len;
            long conflict = mem.highestMappedBelow(top, start);
            if (conflict < 0) {
                if (top == mmapCursor) {
                    mmapCursor = start;
                }
                return start;
            }
            top = conflict;
        }
        return -1;
    }

    /** After an unmap: pulls the cursor back up over space freed right above it. */
    void released(long start, long len) {
        forgetNames(start, len);
        if (start == mmapCursor) {
            long next = mem.lowestMappedFrom(start + len, mem.mmapTop());
            mmapCursor = next < 0 ? mem.mmapTop() : next;
        }
    }

    /** Wakes the threads asleep in the Sentry so that each looks whether a signal is now for it. */
    void wakeSleepers() {
        synchronized (signalled) {
            signalled.notifyAll();
        }
    }

    /** The process has ended: its timer stops. */
    public void stopTimers() {
        realTimer.disarm();
    }
}
