package dev.palisade.sandbox.sentry;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

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
    void everyEmulatedCallHasAHandler() {
        for (Syscall s : SyscallTable.ALL) {
            if (s.action() == Syscall.Action.EMULATE) {
                assertThat(Handlers.get(s.number())).as("handler for " + s.name()).isNotNull();
            }
        }
        assertThat(Handlers.byName()).allSatisfy((name, h) ->
                assertThat(SyscallTable.byName(name)).get().extracting(Syscall::action).isEqualTo(Syscall.Action.EMULATE));
    }

    @Test
    void theFilterCompilesAndFitsTheKernelLimit() {
        byte[] f = dev.palisade.sandbox.platform.ptrace.SeccompFilterAccess.compile();
        assertThat(f.length % 8).isZero();
        assertThat(f.length / 8).isBetween(10, 4096);
    }
}
