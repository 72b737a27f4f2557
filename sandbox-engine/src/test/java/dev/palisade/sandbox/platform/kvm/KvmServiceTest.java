package dev.palisade.sandbox.platform.kvm;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.PLATFORM;
import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.assumeKvm;
import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.have;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.NetworkPolicy;
import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hosted services on the KVM platform, as they stand: its Sentry implements no sockets, so a
 * static HTTP server written in C cannot listen (socket(2) answers ENOSYS) and the platform
 * cannot open a connection into such a sandbox. The day the KVM Sentry gets a loopback of its
 * own, this test is where it should start passing requests instead.
 */
class KvmServiceTest {

    @TempDir
    Path bin;

    @Test
    void aStaticCHttpServerCannotListenYetAndConnectSaysUnsupported() throws Exception {
        assumeKvm();
        String cc = have("musl-gcc") ? "musl-gcc" : "gcc";
        assumeTrue(have(cc), "no C compiler for the static test server");
        Path src = bin.resolve("tinyhttp.c");
        try (InputStream in = KvmServiceTest.class.getResourceAsStream("/kvm/tinyhttp.c")) {
            Files.copy(in, src);
        }
        Process p = new ProcessBuilder(cc, "-static", "-O2", "-w", "-o", bin.resolve("tinyhttp").toString(), src.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(log).isZero();

        SandboxSpec spec = SandboxSpec.builder(List.of("/bin-test/tinyhttp"))
                .bind(new SandboxSpec.Bind(bin, "/bin-test", true))
                .network(NetworkPolicy.LOOPBACK)
                .limits(Limits.DEFAULT.withWallMillis(10_000).withCpuMillis(5_000))
                .build();
        try (Sandbox s = PLATFORM.start(spec)) {
            assertThatThrownBy(() -> s.connect(8000)).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("no network sockets");
            s.stdin().close();
            String out = new String(s.stdout().readAllBytes(), StandardCharsets.UTF_8);
            var result = s.await();
            assertThat(out).isEqualTo("socket: Function not implemented\n");
            assertThat(result.termination()).isEqualTo(Termination.EXITED);
            assertThat(result.exitCode()).isEqualTo(1);
        }
    }
}
