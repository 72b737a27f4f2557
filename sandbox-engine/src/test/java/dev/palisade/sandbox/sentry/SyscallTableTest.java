package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class SyscallTableTest {

    @Test
    void numbersAndNamesAreUniqueAndOrdered() {
        Set<Integer> numbers = new HashSet<>();
        Set<String> names = new HashSet<>();
        int last = -1;
        for (Syscall s : SyscallTable.ALL) {
            assertThat(numbers.add(s.number())).as("number %d once", s.number()).isTrue();
            assertThat(names.add(s.name())).as("name %s once", s.name()).isTrue();
            assertThat(s.number()).as("ordered").isGreaterThan(last);
            last = s.number();
            assertThat(s.name()).matches("[a-z_][a-z0-9_]*");
        }
    }

    @Test
    void matchesTheKernelHeaderOfThisHost() throws Exception {
        Path header = Path.of("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
        assumeTrue(Files.exists(header), "kernel headers not installed: " + header);
        Matcher m = Pattern.compile("#define __NR_(\\w+) (\\d+)").matcher(Files.readString(header));
        int count = 0;
        while (m.find()) {
            count++;
            assertThat(SyscallTable.nameOf(Integer.parseInt(m.group(2)))).isEqualTo(m.group(1));
            assertThat(SyscallTable.numberOf(m.group(1))).isEqualTo(Integer.parseInt(m.group(2)));
        }
        assertThat(count).isGreaterThan(300);
    }

    @Test
    void coversTheWholeRangeUpToTheLatestKnownCall() {
        assertThat(SyscallTable.maxNumber()).isGreaterThanOrEqualTo(462);
        assertThat(SyscallTable.nameOf(0)).isEqualTo("read");
        assertThat(SyscallTable.nameOf(462)).isEqualTo("mseal");
        // the gap the kernel never assigned on x86-64
        assertThat(SyscallTable.lookup(400)).isEmpty();
        assertThat(SyscallTable.nameOf(400)).isEqualTo("unknown_400");
        assertThat(SyscallTable.nameOf(-1)).isEqualTo("unknown_-1");
        assertThat(SyscallTable.nameOf(1L << 40)).startsWith("unknown_");
    }

    @Test
    void denyCarriesAnErrnoAndOnlyDeny() {
        for (Syscall s : SyscallTable.ALL) {
            assertThat(s.errno() != null).as(s.name()).isEqualTo(s.action() == Syscall.Action.DENY);
            if (s.action() != Syscall.Action.PASS) {
                assertThat(s.note()).as("every non-pass entry says why: " + s.name()).isNotBlank();
            }
        }
        assertThatThrownBy(() -> new Syscall(1, "x", Syscall.Action.PASS, Errno.EPERM, "", null, Syscall.KvmSupport.NONE, ""))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Syscall.deny(1, "x", Errno.EPERM, "no").kvm(c -> 0))
                .as("a denied call has no handler").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Syscall.pass(1, "x").kvm(c -> 0, ""))
                .as("a partial handler says what it leaves out").isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void dangerousCallsAreDenied() {
        for (String name : new String[]{"mount", "umount2", "pivot_root", "ptrace", "process_vm_writev", "bpf",
                "perf_event_open", "keyctl", "kexec_load", "kexec_file_load", "init_module", "finit_module",
                "delete_module", "reboot", "unshare", "setns", "userfaultfd", "io_uring_setup", "io_uring_enter",
                "io_uring_register", "open_by_handle_at", "fsopen", "move_mount", "clone3", "add_key", "swapon"}) {
            assertThat(SyscallTable.byName(name)).as(name).get()
                    .extracting(Syscall::action).isEqualTo(Syscall.Action.DENY);
        }
    }

    @Test
    void identityAndInformationCallsAreEmulated() {
        for (String name : new String[]{"uname", "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid",
                "getegid", "getresuid", "getresgid", "getgroups", "sysinfo"}) {
            assertThat(SyscallTable.byName(name)).as(name).get()
                    .extracting(Syscall::action).isEqualTo(Syscall.Action.EMULATE);
        }
    }

    @Test
    void everydayCallsPassAtNativeSpeed() {
        for (String name : new String[]{"read", "write", "openat", "close", "mmap", "munmap", "brk", "futex",
                "newfstatat", "statx", "execve", "exit_group", "wait4", "pipe2", "kill", "rt_sigaction"}) {
            assertThat(SyscallTable.byName(name)).as(name).get()
                    .extracting(Syscall::action).isEqualTo(Syscall.Action.PASS);
        }
    }

    @Test
    void unknownNamesAreRejected() {
        assertThatThrownBy(() -> SyscallTable.numberOf("no_such_call")).isInstanceOf(IllegalArgumentException.class);
    }
}
