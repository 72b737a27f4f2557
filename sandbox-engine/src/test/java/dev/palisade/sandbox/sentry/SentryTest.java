package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.abi.SyscallNr;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one dispatch, on a context with no virtual process (as ptrace's): policy, then the handler. */
class SentryTest {

    /** A task whose memory is one writable page at 0x10000 and which holds no virtual process. */
    private static final class Ctx implements SyscallContext {
        final long[] args = new long[6];
        final byte[] page = new byte[4096];
        final List<String> refused = new ArrayList<>();

        @Override
        public long arg(int i) {
            return args[i];
        }

        @Override
        public int pid() {
            return 7;
        }

        @Override
        public int tid() {
            return 8;
        }

        @Override
        public int ppid() {
            return 0;
        }

        @Override
        public int uid() {
            return 1000;
        }

        @Override
        public int gid() {
            return 1001;
        }

        @Override
        public int taskCount() {
            return 1;
        }

        @Override
        public int maxTasks() {
            return 1;
        }

        @Override
        public long memoryLimit() {
            return 0;
        }

        @Override
        public long uptimeNanos() {
            return 0;
        }

        @Override
        public TaskMemory memory() {
            return new TaskMemory() {
                private int at(long va, int len) {
                    if (va < 0x10000 || va + len > 0x11000 || len < 0) {
                        throw new BadAddress(va);
                    }
                    return (int) (va - 0x10000);
                }

                @Override
                public void read(long va, byte[] dst, int off, int len) {
                    System.arraycopy(page, at(va, len), dst, off, len);
                }

                @Override
                public void write(long va, byte[] src, int off, int len) {
                    System.arraycopy(src, off, page, at(va, len), len);
                }

                @Override
                public String readCString(long va, int max) {
                    throw new BadAddress(va);
                }

                @Override
                public ByteBuffer[] accessible(long va, int len, boolean intoTask) {
                    return new ByteBuffer[0];
                }
            };
        }

        @Override
        public long refuse(Errno errno, String detail) {
            refused.add(errno.name() + " " + detail);
            return errno.negated();
        }
    }

    @Test
    void ptracePassesWhatTheTablePassesAndEmulatesTheRest() {
        Ctx c = new Ctx();
        assertThat(Sentry.call(Sentry.Platform.PTRACE, SyscallNr.READ, c)).isEqualTo(Handler.RUN_NATIVELY);
        assertThat(Sentry.call(Sentry.Platform.PTRACE, SyscallNr.GETPID, c)).isEqualTo(7);
        assertThat(Sentry.call(Sentry.Platform.PTRACE, SyscallNr.GETTID, c)).isEqualTo(8);
        assertThat(Sentry.call(Sentry.Platform.PTRACE, SyscallNr.GETEGID, c)).isEqualTo(1001);
        assertThat(c.refused).isEmpty();
    }

    @Test
    void denyAndUnknownNumbersAreRefusedAndRecordedOnBothPlatforms() {
        for (Sentry.Platform p : Sentry.Platform.values()) {
            Ctx c = new Ctx();
            assertThat(Sentry.call(p, SyscallNr.MOUNT, c)).isEqualTo(Errno.EPERM.negated());
            assertThat(Sentry.call(p, 400, c)).isEqualTo(Errno.ENOSYS.negated());
            assertThat(Sentry.call(p, -1, c)).isEqualTo(Errno.ENOSYS.negated());
            assertThat(Sentry.call(p, 1L << 40, c)).isEqualTo(Errno.ENOSYS.negated());
            assertThat(c.refused).hasSize(4);
        }
    }

    @Test
    void kvmAnswersEnosysForWhatItDoesNotImplement() {
        Ctx c = new Ctx();
        assertThat(Sentry.call(Sentry.Platform.KVM, 129 /* rt_sigqueueinfo */, c)).isEqualTo(Errno.ENOSYS.negated());
        assertThat(Sentry.call(Sentry.Platform.KVM, 27 /* mincore */, c)).isEqualTo(Errno.ENOSYS.negated());
        assertThat(c.refused).isEmpty();
    }

    @Test
    void aBadAddressIsEfault() {
        Ctx c = new Ctx();
        c.args[0] = 0xdead_0000L;
        assertThat(Sentry.call(Sentry.Platform.PTRACE, 63 /* uname */, c)).isEqualTo(Errno.EFAULT.negated());
        c.args[0] = 0x10ffcL;   // the last four bytes of the page: getresuid's three ints do not fit
        c.args[1] = 0x10ffcL;
        c.args[2] = 0x11000L;
        assertThat(Sentry.call(Sentry.Platform.PTRACE, 118 /* getresuid */, c)).isEqualTo(Errno.EFAULT.negated());
        c.args[0] = 0x10000L;
        assertThat(Sentry.call(Sentry.Platform.PTRACE, 63, c)).isZero();
        assertThat(new String(c.page, 0, 5)).isEqualTo("Linux");
    }

    @Test
    void capabilityCallsTakeNoHostilePointerAtItsWord() {
        for (Sentry.Platform p : Sentry.Platform.values()) {
            Ctx c = new Ctx();
            c.args[0] = 0xdead_0000L;   // no header
            c.args[1] = 0x10100L;
            assertThat(Sentry.call(p, 125 /* capget */, c)).isEqualTo(Errno.EFAULT.negated());
            assertThat(Sentry.call(p, 126 /* capset */, c)).isEqualTo(Errno.EFAULT.negated());
            ByteBuffer.wrap(c.page).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0, 0x20080522).putInt(4, 0);
            c.args[0] = 0x10000L;
            c.args[1] = 0x10ff0L;   // two data structs (24 bytes) do not fit in the 16 left
            assertThat(Sentry.call(p, 125, c)).isEqualTo(Errno.EFAULT.negated());
            assertThat(Sentry.call(p, 126, c)).isEqualTo(Errno.EFAULT.negated());
            ByteBuffer.wrap(c.page).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(4, 9999);   // another process
            c.args[1] = 0x10100L;
            assertThat(Sentry.call(p, 126, c)).as("capset of another process").isEqualTo(Errno.EPERM.negated());
            ByteBuffer.wrap(c.page).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(4, -1);
            assertThat(Sentry.call(p, 125, c)).as("capget of a negative pid").isEqualTo(Errno.EINVAL.negated());
            assertThat(c.refused).isEmpty();
        }
    }

    @Test
    void anExceptionEscapingAHandlerIsASentryFaultNamingTheCall() {
        Ctx c = new Ctx();   // no virtual process: a KVM handler reaching for it is a Sentry bug
        assertThatThrownBy(() -> Sentry.call(Sentry.Platform.KVM, SyscallNr.READ, c))
                .isInstanceOf(SentryFault.class)
                .hasMessageStartingWith("Sentry fault in read: ")
                .extracting(e -> ((SentryFault) e).call()).isEqualTo("read");
    }

    @Test
    void aKillEntryIsReportedToThePlatform() {
        Syscall killed = SyscallTable.ALL.stream().filter(s -> s.action() == Syscall.Action.KILL).findFirst().orElse(null);
        if (killed != null) {
            assertThat(Sentry.call(Sentry.Platform.PTRACE, killed.number(), new Ctx())).isEqualTo(Sentry.KILL);
        }
    }
}
