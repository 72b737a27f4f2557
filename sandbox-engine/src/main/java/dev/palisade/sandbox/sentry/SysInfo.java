package dev.palisade.sandbox.sentry;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Information calls: uname and sysinfo, answered from the sandbox's view, not the host's. */
final class SysInfo {

    static final String NODENAME = "sandbox";
    private static final String RELEASE = hostRelease();

    private SysInfo() {
    }

    private static String hostRelease() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        } catch (Exception e) {
            return "6.1.0";
        }
    }

    /** The struct utsname the sandbox sees: six 65-byte fields. */
    static byte[] utsname() {
        String[] fields = {"Linux", NODENAME, RELEASE, "#1 SMP Palisade Sentry", "x86_64", "(none)"};
        byte[] out = new byte[6 * 65];
        for (int i = 0; i < fields.length; i++) {
            byte[] f = fields[i].getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(f, 0, out, i * 65, Math.min(f.length, 64));
        }
        return out;
    }

    private static final byte[] UTSNAME = utsname();

    /** Uname implements Linux syscall uname(2). */
    static long uname(SyscallContext c) {
        return c.write(c.arg(0), UTSNAME) ? 0 : -14;
    }

    /** Sysinfo implements Linux syscall sysinfo(2): limits of the sandbox, its own uptime and process count. */
    static long sysinfo(SyscallContext c) {
        long total = c.memoryLimit() > 0 ? c.memoryLimit() : Runtime.getRuntime().maxMemory() * 4;
        ByteBuffer b = ByteBuffer.allocate(112).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, c.uptimeNanos() / 1_000_000_000L);
        b.putLong(32, total);       // totalram
        b.putLong(40, total / 2);   // freeram: not tracked per sandbox; half is a safe answer
        b.putShort(80, (short) Math.min(c.taskCount(), 65535));
        b.putInt(104, 1);           // mem_unit
        return c.write(c.arg(0), b.array()) ? 0 : -14;
    }
}
