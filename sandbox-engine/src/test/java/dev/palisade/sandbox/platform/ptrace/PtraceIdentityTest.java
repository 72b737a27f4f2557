package dev.palisade.sandbox.platform.ptrace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.sandbox.SandboxSpec;
import org.junit.jupiter.api.Test;

/** A spec may name the uid/gid its program runs as (one per tenant); otherwise the platform's default. */
class PtraceIdentityTest {

    @Test
    void theProgramRunsAsTheSpecsIdentity() {
        Runs.assumePlatform();
        Runs.Outcome out = Runs.run(Runs.spec("/bin/sh", "-c", "id -u; id -g").identity(200042, 200042).build());
        assertThat(out.stdout()).isEqualTo("200042\n200042\n");
    }

    @Test
    void withoutOneThePlatformDefaultApplies() {
        Runs.assumePlatform();
        Runs.Outcome out = Runs.run(Runs.spec("/bin/sh", "-c", "id -u").build());
        assertThat(out.stdout()).isEqualTo(PtracePlatform.DEFAULT_UID + "\n");
    }

    /**
     * Raw calls through ctypes (no library wrapper in between), each printed as its result or
     * {@code -errno}: the identity calls the Sentry answers, and calls the filter no longer lets
     * through, answered as a kernel without them would.
     */
    private static final String CALLS = """
            import ctypes, os, struct
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            def call(nr, *args):
                r = libc.syscall(nr, *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
                return r if r >= 0 else -ctypes.get_errno()
            uid = os.getuid()
            print("setuid self", call(105, uid), "root", call(105, 0))
            print("setresuid", call(117, -1, uid, -1), "setgroups", call(116, 0, 0))
            print("setfsuid", call(122, 0) == uid, call(122, uid) == uid)
            hdr = ctypes.create_string_buffer(struct.pack("<Ii", 0x20080522, 0), 8)
            data = ctypes.create_string_buffer(b"\\xff" * 24, 24)
            print("capget", call(125, hdr, data), data.raw == bytes(24))
            bad = ctypes.create_string_buffer(struct.pack("<Ii", 0x1234, 0), 8)
            print("capget bad version", call(125, bad, data), hex(struct.unpack("<I", bad.raw[:4])[0]))
            print("capset none", call(126, hdr, ctypes.create_string_buffer(bytes(24), 24)))
            print("capset some", call(126, hdr, ctypes.create_string_buffer(b"\\x01" + bytes(23), 24)))
            print("priority", call(146, 1), call(147, 1), call(146, 0), call(146, 42))
            print("gone", call(214, 0, 0, 0, 0), call(205, 0), call(216, 0, 0, 0, 0, 0), call(457, 0, 0, 0, 0), call(458, 0, 0, 0, 0),
                  call(451, 0, 0, 0, 0), call(448, 0, 0))
            """;

    @Test
    void theSentryAnswersTheIdentityCallsAndTheObsoleteOnesAreGone() {
        Runs.assumePlatform();
        Runs.Outcome out = Runs.run(Runs.spec("python3", "-c", CALLS).identity(200042, 200042).build());
        assertThat(out.stderr()).isEmpty();
        assertThat(out.stdout()).isEqualTo("""
                setuid self 0 root -1
                setresuid 0 setgroups -1
                setfsuid True True
                capget 0 True
                capget bad version -22 0x20080522
                capset none 0
                capset some -1
                priority 99 1 0 -22
                gone -38 -38 -38 -38 -38 -38 -38
                """);
        // what no program needs is refused where anyone can see it: a security event each
        assertThat(out.result().deniedCalls()).extracting(dev.palisade.sandbox.DeniedCall::name)
                .contains("epoll_ctl_old", "set_thread_area", "remap_file_pages", "statmount", "listmount", "cachestat",
                        "process_mrelease");
    }

    @Test
    void rootIsNeverAnIdentity() {
        assertThatThrownBy(() -> SandboxSpec.builder(java.util.List.of("true")).identity(0, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
