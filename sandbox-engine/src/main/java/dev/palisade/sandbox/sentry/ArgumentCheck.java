package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a {@link Syscall.Action#CHECK} call may pass to the host kernel: one argument register,
 * whose low 32 bits (the kernel reads these arguments as {@code int}) must be one of a list of
 * values. The seccomp filter lets a call with such a value through without a stop; any other
 * value stops at the Sentry, which refuses it with {@link #errno()} and records it. Registers
 * only: nothing in the program's memory is read, so there is nothing to race.
 *
 * @param number   the call
 * @param argument which argument register (0-based) is checked
 * @param allowed  the values let through, by name (the name is only for people and the docs)
 * @param errno    what any other value gets
 * @param what     the argument, in a few words ("socket family")
 */
public record ArgumentCheck(int number, int argument, Map<String, Long> allowed, Errno errno, String what) {

    public ArgumentCheck {
        if (argument < 0 || argument > 5) {
            throw new IllegalArgumentException("no argument register " + argument);
        }
        allowed = java.util.Collections.unmodifiableMap(new TreeMap<>(allowed));
        for (long v : allowed.values()) {
            if (v < 0 || v > 0xffffffffL) {
                throw new IllegalArgumentException(what + ": " + v + " is not a 32-bit value");
            }
        }
    }

    /** Whether the host kernel may run the call with this argument register. */
    public boolean allows(long register) {
        long low = register & 0xffffffffL;
        for (long v : allowed.values()) {
            if (v == low) {
                return true;
            }
        }
        return false;
    }

    /** The allowed values, ascending and distinct (for the filter). */
    public long[] values() {
        return allowed.values().stream().mapToLong(Long::longValue).distinct().sorted().toArray();
    }

    /** The refusal of a value outside the list, recorded with the value. */
    long refuse(SyscallContext c) {
        long low = c.arg(argument) & 0xffffffffL;
        return c.refuse(errno, what + " 0x" + Long.toHexString(low) + " is not on the allowed list");
    }

    @Override
    public String toString() {
        return what + " in " + Arrays.toString(allowed.keySet().toArray());
    }
}
