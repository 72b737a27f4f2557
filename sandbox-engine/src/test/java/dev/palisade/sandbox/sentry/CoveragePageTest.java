package dev.palisade.sandbox.sentry;

import org.junit.jupiter.api.Test;

import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

class CoveragePageTest {

    /** Run with {@code -Dpalisade.regenerate=true} to rewrite the page after changing the table. */
    @Test
    void theCommittedPageIsGeneratedFromTheTable() throws Exception {
        Path page = Path.of("docs/syscalls.md");
        String fresh = CoveragePage.render();
        if (Boolean.getBoolean("palisade.regenerate")) {
            Files.createDirectories(page.getParent());
            Files.writeString(page, fresh);
        }
        assertThat(page).exists();
        assertThat(Files.readString(page))
                .as("docs/syscalls.md is stale: regenerate with ./mvnw -pl sandbox-engine test -Dtest=CoveragePageTest -Dpalisade.regenerate=true")
                .isEqualTo(fresh);
    }

    @Test
    void everySupportedEntryHasAHandlerAndOnlyThose() {
        for (Syscall s : SyscallTable.ALL) {
            boolean reachable = s.action() == Syscall.Action.EMULATE
                    || ((s.action() == Syscall.Action.PASS || s.action() == Syscall.Action.CHECK) && s.kvm() != Syscall.KvmSupport.NONE);
            assertThat(s.handler() != null).as("handler of " + s.name() + " iff a platform calls it").isEqualTo(reachable);
            if (s.kvm() == Syscall.KvmSupport.PARTIAL) {
                assertThat(s.kvmNote()).as(s.name()).isNotBlank();
            }
        }
    }

    /** Every handler method in the {@code Sys*} classes is named by some table entry: none is unreachable. */
    @Test
    void noHandlerIsUnreachable() throws Exception {
        Set<String> referenced = new HashSet<>();
        for (Syscall s : SyscallTable.ALL) {
            if (s.handler() != null) {
                referenced.add(implementation(s.handler()));
            }
            if (s.served() != null) {
                referenced.add(implementation(s.served()));
            }
        }
        Set<String> declared = new TreeSet<>();
        Path dir = Path.of("target/classes/dev/palisade/sandbox/sentry");
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("Sys[A-Z]\\w*\\.class")).toList()) {
                String name = f.getFileName().toString().replace(".class", "");
                Class<?> k = Class.forName("dev.palisade.sandbox.sentry." + name);
                for (Method m : k.getDeclaredMethods()) {
                    if (Modifier.isStatic(m.getModifiers()) && !Modifier.isPrivate(m.getModifiers()) && m.getReturnType() == long.class
                            && Arrays.equals(m.getParameterTypes(), new Class<?>[] {SyscallContext.class})) {
                        declared.add(k.getSimpleName() + "::" + m.getName());
                    }
                }
            }
        }
        assertThat(declared).as("handler methods").hasSizeGreaterThan(80);
        assertThat(referenced).containsAll(declared);
    }

    @Test
    void kvmCoversWhatTheProgramsOfTheKvmTestsCall() {
        for (String name : new String[] {"read", "write", "openat", "close", "mmap", "munmap", "brk", "newfstatat",
                "exit_group", "rt_sigaction", "rt_sigreturn", "clone", "fork", "execve", "wait4", "uname", "getpid", "clock_nanosleep", "socket", "accept4", "poll", "select", "socketpair", "epoll_ctl", "epoll_wait",
                "waitid", "setpgid", "setsid", "rt_sigtimedwait"}) {
            assertThat(SyscallTable.byName(name)).as(name).get().extracting(Syscall::kvm)
                    .isNotEqualTo(Syscall.KvmSupport.NONE);
        }
        for (String name : new String[] {"futex_waitv"}) {
            assertThat(SyscallTable.byName(name)).as(name).get().extracting(Syscall::kvm)
                    .isEqualTo(Syscall.KvmSupport.NONE);
        }
    }

    private static String implementation(Handler h) throws Exception {
        Method writeReplace = h.getClass().getDeclaredMethod("writeReplace");
        writeReplace.setAccessible(true);
        SerializedLambda l = (SerializedLambda) writeReplace.invoke(h);
        String cls = l.getImplClass();
        return cls.substring(cls.lastIndexOf('/') + 1) + "::" + l.getImplMethodName();
    }

    @Test
    void theFilterCompilesAndFitsTheKernelLimit() {
        byte[] f = dev.palisade.sandbox.platform.ptrace.SeccompFilterAccess.compile();
        assertThat(f.length % 8).isZero();
        assertThat(f.length / 8).isBetween(10, 4096);
    }
}
