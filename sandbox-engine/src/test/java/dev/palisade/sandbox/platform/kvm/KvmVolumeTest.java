package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.VolumeImage;
import dev.palisade.sandbox.nativeinterop.Posix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.palisade.sandbox.platform.kvm.KvmDiskLimitTest.ENOSPC;
import static dev.palisade.sandbox.platform.kvm.KvmDiskLimitTest.said;
import static dev.palisade.sandbox.platform.kvm.KvmDiskLimitTest.value;
import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.assumeKvm;
import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.buildSource;
import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.have;
import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Volumes on the KVM platform: the Sentry writes into the loop-mounted image on the program's
 * behalf, so the kernel's bound is the program's: one big file stops at the volume's size with
 * ENOSPC, the test's own tmpfs standing for the host disk keeps its free space, and the file is
 * there for the next run.
 */
class KvmVolumeTest {

    static final long SIZE = VolumeImage.MIN_BYTES;

    @TempDir
    static Path bin;
    @TempDir
    Path tmp;
    Path disk, mnt;

    @BeforeAll
    static void build() throws Exception {
        assumeKvm();
        assumeTrue(VolumeImage.unavailableReason() == null, () -> "volumes unavailable: " + VolumeImage.unavailableReason());
        assumeTrue(have("gcc") || have("musl-gcc"), "neither gcc nor musl-gcc is installed: cannot build the test program");
        String cc = have("musl-gcc") ? "musl-gcc" : "gcc";
        assertThat(buildSource(bin, "diskfill.c", cc, "diskfill", "-static")).isNotNull();
    }

    @BeforeEach
    void volume() throws Exception {
        disk = Files.createDirectories(tmp.resolve("disk"));
        Posix.mount("palisade-kvm-volume-test", disk.toString(), "tmpfs", Posix.MS_NOSUID | Posix.MS_NODEV, "size=64m");
        mnt = tmp.resolve("mnt");
        VolumeImage.create(disk.resolve("v.img"), SIZE, 1000, 1000);
        VolumeImage.mount(disk.resolve("v.img"), mnt, 1000, 1000);
    }

    @AfterEach
    void unmount() {
        VolumeImage.unmount(mnt);
        Posix.umount2(disk.toString(), Posix.MNT_DETACH);
    }

    @Test
    void oneBigFileStopsAtTheVolumesSizeWithEnospcAndStaysForTheNextRun() throws Exception {
        Posix.FsUsage before = Posix.statvfs(disk.toString());
        var r = run(SandboxSpec.builder(java.util.List.of("/bin-test/diskfill", "big", "/data"))
                .bind(new SandboxSpec.Bind(bin, "/bin-test", true))
                .bind(new SandboxSpec.Bind(mnt, "/data", false))
                .build());
        assertThat(value(r.stdout(), "errno")).as(said(r)).isEqualTo(ENOSPC);
        assertThat(value(r.stdout(), "written")).isLessThanOrEqualTo(SIZE).isGreaterThan(SIZE / 2);
        assertThat(Posix.statvfs(disk.toString()).freeBlocks()).as("free blocks of the host disk").isEqualTo(before.freeBlocks());
        assertThat(Files.size(mnt.resolve("big"))).isEqualTo(value(r.stdout(), "size"));
    }
}
