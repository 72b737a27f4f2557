package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.abi.OpenFlags;
import dev.palisade.sandbox.abi.SyscallNr;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A second layer under the mounts, applied by the sandbox's init (and so inherited by every
 * process of the sandbox) where the kernel has Landlock: the whole tree may be read and executed,
 * only {@code /workspace}, {@code /tmp} and the spec's writable binds written; {@code /dev} and
 * {@code /proc} files written (the kernel's own permissions still hold) but nothing created there;
 * and, from ABI 6, signals and abstract Unix sockets scoped to the sandbox. A kernel without
 * Landlock (ABI &lt; 1) is left as it is: the mount namespace, read-only mounts and uid remain.
 */
final class Landlock {

    private static final long EXECUTE = 1, WRITE_FILE = 1 << 1, READ_FILE = 1 << 2, READ_DIR = 1 << 3,
            REMOVE_DIR = 1 << 4, REMOVE_FILE = 1 << 5, MAKE_CHAR = 1 << 6, MAKE_DIR = 1 << 7, MAKE_REG = 1 << 8,
            MAKE_SOCK = 1 << 9, MAKE_FIFO = 1 << 10, MAKE_BLOCK = 1 << 11, MAKE_SYM = 1 << 12, REFER = 1 << 13,
            TRUNCATE = 1 << 14, IOCTL_DEV = 1 << 15;
    private static final long SCOPE_ABSTRACT_UNIX_SOCKET = 1, SCOPE_SIGNAL = 2;
    private static final int CREATE_RULESET_VERSION = 1, RULE_PATH_BENEATH = 1;

    private Landlock() {
    }

    /** The file rights an ABI version knows. */
    static long handled(long abi) {
        long all = EXECUTE | WRITE_FILE | READ_FILE | READ_DIR | REMOVE_DIR | REMOVE_FILE | MAKE_CHAR | MAKE_DIR
                | MAKE_REG | MAKE_SOCK | MAKE_FIFO | MAKE_BLOCK | MAKE_SYM;
        if (abi >= 2) {
            all |= REFER;
        }
        if (abi >= 3) {
            all |= TRUNCATE;
        }
        if (abi >= 5) {
            all |= IOCTL_DEV;
        }
        return all;
    }

    /** A path and what may be done beneath it. */
    record Rule(String path, long access) {
    }

    /** The rules of a spec, for a kernel of this ABI. */
    static List<Rule> rules(SandboxSpec spec, long abi) {
        long handled = handled(abi);
        long read = EXECUTE | READ_FILE | READ_DIR;
        long writable = handled & ~(MAKE_CHAR | MAKE_BLOCK);
        List<Rule> rules = new ArrayList<>();
        rules.add(new Rule("/", read));
        rules.add(new Rule("/workspace", writable));
        rules.add(new Rule("/tmp", writable));
        rules.add(new Rule("/dev", read | WRITE_FILE | (handled & (TRUNCATE | IOCTL_DEV))));
        rules.add(new Rule("/proc", read | WRITE_FILE | (handled & TRUNCATE)));
        for (SandboxSpec.Bind b : spec.binds()) {
            if (!b.readOnly()) {
                rules.add(new Rule(b.sandboxPath(), writable));
            }
        }
        return rules;
    }

    /** The kernel's Landlock ABI (negative: none), asked by the first sandbox: the kernel does not change under the engine. */
    private static volatile long kernelAbi = Long.MIN_VALUE;
    /** The rules' paths whose filesystems the stub mounts before any of the spec's: their rules can be added there. */
    private static final Set<String> BEFORE_THE_SPEC = Set.of("/", "/tmp", "/dev");

    private static long abi(Injector in) {
        long abi = kernelAbi;
        if (abi == Long.MIN_VALUE) {
            abi = in.call(SyscallNr.LANDLOCK_CREATE_RULESET, 0, 0, CREATE_RULESET_VERSION);
            kernelAbi = abi;
        }
        return abi;
    }

    /**
     * In the stub, once its root, /tmp and /dev are mounted under {@code root}: the ruleset with
     * their rules, so that init (which inherits the descriptor) only adds the rest. Returns the
     * ruleset's descriptor, or -1 where the kernel has no Landlock.
     */
    static long prepare(Injector in, SandboxSpec spec, String root) {
        long abi = abi(in);
        if (abi < 1) {
            return -1;
        }
        long ruleset = create(in, abi);
        for (Rule r : rules(spec, abi)) {
            if (BEFORE_THE_SPEC.contains(r.path())) {
                add(in, ruleset, root, r);
            }
        }
        return ruleset;
    }

    /**
     * In a prepared stub's init, once its /proc is mounted: adds the rule of /proc to the ruleset
     * the stub {@linkplain #prepare prepared} (none where there is no ruleset).
     */
    static void prepareProc(Injector in, SandboxSpec spec, long prepared) {
        long abi = abi(in);
        if (abi < 1 || prepared < 0) {
            return;
        }
        for (Rule r : rules(spec, abi)) {
            if (r.path().equals("/proc")) {
                add(in, prepared, "", r);
            }
        }
    }

    /**
     * In init, after no_new_privs and before the seccomp filter: completes the ruleset the stub
     * {@linkplain #prepare prepared} (or, with {@code prepared} -1, builds it whole) and restricts
     * itself. {@code procAdded}: the rule of /proc is in it already ({@link #prepareProc}).
     */
    static void restrict(Injector in, SandboxSpec spec, long prepared, boolean procAdded) {
        long abi = abi(in);
        if (abi < 1) {
            return;
        }
        long ruleset = prepared >= 0 ? prepared : create(in, abi);
        for (Rule r : rules(spec, abi)) {
            boolean added = prepared >= 0 && (BEFORE_THE_SPEC.contains(r.path()) || procAdded && r.path().equals("/proc"));
            if (!added) {
                add(in, ruleset, "", r);
            }
        }
        in.check("landlock restrict", SyscallNr.LANDLOCK_RESTRICT_SELF, ruleset, 0);
        in.call(SyscallNr.CLOSE, ruleset);
    }

    private static long create(Injector in, long abi) {
        ByteBuffer attr = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(0, handled(abi));
        int attrSize = 8;
        if (abi >= 6) {
            attr.putLong(16, SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL);
            attrSize = 24;
        }
        in.reset();
        return in.check("landlock ruleset", SyscallNr.LANDLOCK_CREATE_RULESET, in.bytes(attr.array()), attrSize, 0);
    }

    /** Adds rule {@code r} for its path under {@code root}, if this sandbox has that path. */
    private static void add(Injector in, long ruleset, String root, Rule r) {
        in.reset();
        long fd = in.call(SyscallNr.OPEN, in.str(root + r.path()), OpenFlags.O_PATH | OpenFlags.O_CLOEXEC, 0);
        if (fd < 0) {
            return; // a path this sandbox does not have
        }
        byte[] beneath = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(0, r.access()).putInt(8, (int) fd).array();
        in.reset();
        in.check("landlock rule " + r.path(), SyscallNr.LANDLOCK_ADD_RULE, ruleset, RULE_PATH_BENEATH, in.bytes(beneath), 0);
        in.call(SyscallNr.CLOSE, fd);
    }
}
