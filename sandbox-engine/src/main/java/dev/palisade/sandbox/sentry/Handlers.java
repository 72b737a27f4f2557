package dev.palisade.sandbox.sentry;

import java.util.HashMap;
import java.util.Map;

/**
 * The Java implementations of the table's emulated calls, by name. Handlers live by area
 * ({@link SysIdentity}, {@link SysInfo}, {@link SysProcess}); every {@code EMULATE} entry of the
 * table has one here (checked by a test).
 */
public final class Handlers {

    private static final Map<String, Handler> BY_NAME = new HashMap<>();
    private static final Handler[] BY_NUMBER = new Handler[SyscallTable.maxNumber() + 1];

    static {
        BY_NAME.put("getpid", SysIdentity::getpid);
        BY_NAME.put("getppid", SysIdentity::getppid);
        BY_NAME.put("gettid", SysIdentity::gettid);
        BY_NAME.put("getuid", SysIdentity::getuid);
        BY_NAME.put("geteuid", SysIdentity::getuid);
        BY_NAME.put("getgid", SysIdentity::getgid);
        BY_NAME.put("getegid", SysIdentity::getgid);
        BY_NAME.put("getresuid", SysIdentity::getresuid);
        BY_NAME.put("getresgid", SysIdentity::getresgid);
        BY_NAME.put("getgroups", SysIdentity::getgroups);
        BY_NAME.put("uname", SysInfo::uname);
        BY_NAME.put("sysinfo", SysInfo::sysinfo);
        BY_NAME.put("clone", SysProcess::clone);
        BY_NAME.put("fork", SysProcess::fork);
        BY_NAME.put("vfork", SysProcess::fork);
        BY_NAME.forEach((name, h) -> BY_NUMBER[SyscallTable.numberOf(name)] = h);
    }

    private Handlers() {
    }

    /** The handler of an emulated call by number, or null. */
    public static Handler get(long number) {
        return number >= 0 && number < BY_NUMBER.length ? BY_NUMBER[(int) number] : null;
    }

    public static Map<String, Handler> byName() {
        return Map.copyOf(BY_NAME);
    }
}
