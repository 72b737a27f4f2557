package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.nativeinterop.HostCalls;
import dev.palisade.sandbox.nativeinterop.NativeScratch;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * The translation between the sandbox's pid space and the host's, for the tasks the tracer
 * knows, and the one reader of a task's small host {@code /proc} files ({@code status}, whose
 * {@code NSpid}, {@code NStgid}, {@code NSpgid}, {@code NSsid} are the kernel's own numbering in
 * each pid namespace; {@code stat}; {@code comm}).
 * A pid of the sandbox becomes a host tid only if a live task of the sandbox has it, so a served
 * call never names a host process outside the sandbox. Used from the tracer's thread (which
 * changes the task set) and the serving threads, hence the concurrent maps. A task is removed
 * right after the tracer reaps it; for its host tid to name another process meanwhile, the host
 * would have to go round its whole pid space in that moment, and that process would still have
 * to be the program's uid for the serving thread to touch it.
 */
final class PidSpace {
    /** For {@link #status}: the host's {@code /proc} by path, where the reader is not chrooted. */
    static final int HOST_PROC = -100;

    private final Map<Integer, Task> tasks;
    private final IntSupplier stub;
    /** Host tid -> {ns tid, ns tgid}; those never change for a task's life. */
    private final Map<Integer, int[]> byHost = new ConcurrentHashMap<>();
    private final Map<Integer, Integer> byNs = new ConcurrentHashMap<>();
    private final ThreadLocal<NativeScratch> scratch = ThreadLocal.withInitial(() -> new NativeScratch(4352));

    /** {@code tasks}: the tracer's (a concurrent map); {@code stub}: its stub, outside the sandbox's pid space. */
    PidSpace(Map<Integer, Task> tasks, IntSupplier stub) {
        this.tasks = tasks;
        this.stub = stub;
    }

    /** The lines of a task's status this reads, in {@link #status}'s order. */
    private static final String[] FIELDS = {"NSpid:", "NStgid:", "NSpgid:", "NSsid:"};

    /**
     * Task {@code hostTid}'s {tid, tgid, pgid, sid} in its innermost pid namespace (0 where the
     * group or session has no number there, as getpgid answers in that namespace) and its
     * {tid, pgid} in the host's ({@code [4]}, {@code [5]}); null when it is gone. {@code proc} is
     * a descriptor of the host's {@code /proc}, or {@link #HOST_PROC}.
     */
    int[] status(int proc, int hostTid) {
        byte[] b = read(proc, hostTid, "status");
        if (b == null) {
            return null;
        }
        int[] r = new int[6];
        int found = 0;
        for (String line : new String(b, StandardCharsets.ISO_8859_1).split("\n")) {
            for (int i = 0; i < FIELDS.length; i++) {
                if (line.startsWith(FIELDS[i])) {
                    String[] f = line.substring(FIELDS[i].length()).trim().split("\\s+");
                    r[i] = Integer.parseInt(f[f.length - 1]);
                    if (i == 0) {
                        r[4] = Integer.parseInt(f[0]);
                    } else if (i == 2) {
                        r[5] = Integer.parseInt(f[0]);
                    }
                    found++;
                }
            }
        }
        return found == FIELDS.length ? r : null;
    }

    /** The CPU task {@code hostTid} last ran on (field 39 of its stat), or -1 when it is gone. */
    int lastCpu(int proc, int hostTid) {
        byte[] b = read(proc, hostTid, "stat");
        if (b == null) {
            return -1;
        }
        String st = new String(b, StandardCharsets.ISO_8859_1);
        String[] f = st.substring(st.lastIndexOf(')') + 2).trim().split(" ");
        return f.length > 36 ? Integer.parseInt(f[36]) : -1; // fields from the 3rd, after the name
    }

    /** The start of task {@code hostTid}'s {@code /proc} file {@code file} (4 KiB), or null when it is gone. */
    byte[] read(int proc, int hostTid, String file) {
        NativeScratch s = scratch.get();
        byte[] name = ((proc == HOST_PROC ? "/proc/" : "") + hostTid + "/" + file).getBytes(StandardCharsets.US_ASCII);
        s.write(0, name, 0, name.length);
        s.putByte(name.length, (byte) 0);
        long fd = HostCalls.call(HostCalls.NR_OPENAT, proc, s.at(0), 02000000, 0);
        if (fd < 0) {
            return null;
        }
        long n;
        try {
            n = HostCalls.call(HostCalls.NR_READ, fd, s.at(256), 4096);
        } finally {
            HostCalls.close(fd);
        }
        if (n <= 0) {
            return null;
        }
        byte[] b = new byte[(int) n];
        s.read(256, b, 0, (int) n);
        return b;
    }

    /** Task {@code hostTid}'s {tid, tgid} in the sandbox's pid space, remembered; {0, 0} when unknown. */
    int[] ids(int proc, int hostTid) {
        int[] known = byHost.get(hostTid);
        if (known != null) {
            return known;
        }
        int[] st = status(proc, hostTid);
        if (st == null) {
            return new int[] {0, 0};
        }
        int[] ids = {st[0], st[1]};
        if (tasks.containsKey(hostTid) && hostTid != stub.getAsInt()) {
            byHost.put(hostTid, ids);
            byNs.put(ids[0], hostTid);
        }
        return ids;
    }

    /** The host tid of the sandbox's task {@code nsTid} (a thread or a process), or -1 when the sandbox has none. */
    int hostTid(int proc, int nsTid) {
        if (nsTid <= 0) {
            return -1;
        }
        Integer h = byNs.get(nsTid);
        if (h != null && live(h) && byHost.get(h) != null && byHost.get(h)[0] == nsTid) {
            return h;
        }
        for (Integer k : tasks.keySet()) {
            if (live(k) && !byHost.containsKey(k) && ids(proc, k)[0] == nsTid) {
                return k;
            }
        }
        return -1;
    }

    /** The pid in the sandbox of host task {@code hostPid}, or 0 when it is not a task of the sandbox. */
    int nsPid(int proc, int hostPid) {
        return live(hostPid) ? ids(proc, hostPid)[0] : 0;
    }

    /** The host tids of the sandbox's live tasks. */
    int[] hostTids() {
        return tasks.keySet().stream().filter(this::live).mapToInt(Integer::intValue).toArray();
    }

    /** Task {@code hostTid} has ended: its numbers may be given to another. */
    void forget(int hostTid) {
        int[] ids = byHost.remove(hostTid);
        if (ids != null) {
            byNs.remove(ids[0], hostTid);
        }
    }

    private boolean live(int hostTid) {
        return hostTid != stub.getAsInt() && tasks.containsKey(hostTid);
    }
}
