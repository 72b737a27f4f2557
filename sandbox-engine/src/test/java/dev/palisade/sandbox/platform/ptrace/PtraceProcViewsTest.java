package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxResult;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;

/** /proc's resource views show the sandbox's limits, so free, nproc and python agree with the spec. */
class PtraceProcViewsTest {

    private static final String SHOW = "free -b | awk '/^Mem:/ {print $2}'; nproc; "
            + "python3 -c 'import os; print(os.cpu_count(), os.sysconf(\"SC_PHYS_PAGES\") * os.sysconf(\"SC_PAGE_SIZE\"))'; "
            + "grep -c ^processor /proc/cpuinfo; grep -c '^cpu[0-9]' /proc/stat; "
            + "(echo x > /proc/meminfo) 2>/dev/null || echo read-only";

    @BeforeAll
    static void platform() {
        Runs.assumePlatform();
    }

    @Test
    void memoryAndCpusAreTheSpecs() {
        var o = run(spec("/bin/sh", "-c", SHOW).limits(Runs.TEST_LIMITS.withMemoryBytes(256L << 20).withCpuMillicores(1000)).build());
        assertThat(o.stdout()).as(o.stderr()).isEqualTo((256L << 20) + "\n1\n1 " + (256L << 20) + "\n1\n1\nread-only\n");
        assertThat(o.result().termination()).isEqualTo(Termination.EXITED);
    }

    @Test
    void withoutACpuLimitEveryCpuOfTheEngineIsShown() {
        int n = CpuSet.engine().length;
        var o = run(spec("/bin/sh", "-c", SHOW).limits(Runs.TEST_LIMITS.withMemoryBytes(300L << 20)).build());
        assertThat(o.stdout()).as(o.stderr())
                .isEqualTo((300L << 20) + "\n" + n + "\n" + n + " " + (300L << 20) + "\n" + n + "\n" + n + "\nread-only\n");
    }

    /**
     * A prepared stub's init binds every view before it knows the spec: one without a memory limit
     * must get the kernel's own meminfo back, not a view, while the others stay. Several in a row,
     * so that prepared stubs (and one that bound meminfo for nobody) are taken.
     */
    @Test
    void withoutAMemoryLimitMeminfoIsTheKernels() throws IOException {
        long hostTotal = memTotal(Files.readString(Path.of("/proc/meminfo")));
        for (int i = 0; i < 3; i++) {
            var o = run(spec("/bin/sh", "-c", "grep MemTotal /proc/meminfo; awk '{print $5}' /proc/self/mountinfo | grep '^/proc/'")
                    .limits(Runs.TEST_LIMITS.withMemoryBytes(0)).build());
            assertThat(o.result().termination()).as(o.stderr()).isEqualTo(Termination.EXITED);
            assertThat(memTotal(o.stdout())).as(o.stdout()).isEqualTo(hostTotal);
            assertThat(o.stdout()).as(o.stderr()).endsWith("/proc/cpuinfo\n/proc/stat\n").doesNotContain("/proc/meminfo");
        }
    }

    private static long memTotal(String meminfo) {
        return meminfo.lines().filter(l -> l.startsWith("MemTotal:")).map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                .findFirst().orElse(-1L);
    }

    /** What a sandbox's views say of it, once a byte on its stdin lets it look (so that sandboxes overlap). */
    private static final String SHOW_WHEN_TOLD = "head -c1 >/dev/null; grep MemTotal /proc/meminfo | awk '{print $2}'; "
            + "grep -c ^processor /proc/cpuinfo; grep -c '^cpu[0-9]' /proc/stat";

    @Test
    void sandboxesRunningTogetherEachSeeTheirOwnViews() throws Exception {
        int n = CpuSet.engine().length;
        Limits small = Runs.TEST_LIMITS.withMemoryBytes(256L << 20).withCpuMillicores(1000);
        Limits large = Runs.TEST_LIMITS.withMemoryBytes(300L << 20);
        Path data = Files.createTempDirectory("palisade-views");
        List<Sandbox> started = new ArrayList<>();
        try {
            Sandbox first = start(spec("/bin/sh", "-c", SHOW_WHEN_TOLD).limits(small).build(), started);
            Sandbox other = start(spec("/bin/sh", "-c", SHOW_WHEN_TOLD).limits(large).build(), started);
            Sandbox same = start(spec("/bin/sh", "-c", SHOW_WHEN_TOLD).limits(small).build(), started);
            // with a bind of its own: a stub set up at its start rather than ahead of time
            Sandbox bound = start(spec("/bin/sh", "-c", SHOW_WHEN_TOLD).limits(large)
                    .bind(new SandboxSpec.Bind(data, "/data", true)).build(), started);
            assertThat(finish(first)).isEqualTo((256 << 10) + "\n1\n1\n");
            // the first one of the same limits has ended: this one's views are still whole
            assertThat(finish(same)).isEqualTo((256 << 10) + "\n1\n1\n");
            assertThat(finish(other)).isEqualTo((300 << 10) + "\n" + n + "\n" + n + "\n");
            assertThat(finish(bound)).isEqualTo((300 << 10) + "\n" + n + "\n" + n + "\n");
        } finally {
            started.forEach(Sandbox::close);
            Files.deleteIfExists(data);
        }
    }

    @Test
    void theViewsAreReadOnlyMountsThatNoProgramCanChange() {
        // read-only mounts, and nothing of the engine's host files: the views' own filesystem is the sandbox's
        var o = run(spec("/bin/sh", "-c", "for f in cpuinfo stat meminfo; do "
                + "grep \" /proc/$f \" /proc/self/mountinfo | awk '{print $4, $5, $6, $9}'; "
                + "(echo x >> /proc/$f) 2>/dev/null && echo written; "
                + "(chmod 666 /proc/$f) 2>/dev/null && echo changed; done").build());
        assertThat(o.stdout()).as(o.stderr()).isEqualTo("""
                /cpuinfo /proc/cpuinfo ro,nosuid,nodev,noexec,relatime tmpfs
                /stat /proc/stat ro,nosuid,nodev,noexec,relatime tmpfs
                /meminfo /proc/meminfo ro,nosuid,nodev,noexec,relatime tmpfs
                """);
    }

    private static Sandbox start(SandboxSpec spec, List<Sandbox> started) {
        Sandbox s = Runs.PLATFORM.start(spec);
        started.add(s);
        return s;
    }

    /** Lets the sandbox look at its views and returns what it printed, once it has ended. */
    private static String finish(Sandbox s) throws IOException, InterruptedException {
        s.stdin().write('x');
        s.stdin().close();
        String out = new String(s.stdout().readAllBytes(), StandardCharsets.UTF_8);
        SandboxResult r = s.await(Duration.ofSeconds(30)).orElseThrow();
        assertThat(r.termination()).as(r.message()).isEqualTo(Termination.EXITED);
        return out;
    }
}
