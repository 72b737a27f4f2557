package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxException;
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

import static dev.palisade.sandbox.platform.ptrace.PtraceDiskLimitTest.count;
import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Volumes on the ptrace platform: an ext4 image loop-mounted and bound into the sandbox. The
 * "host disk" here is a tmpfs the test mounts for itself, so that its free space is this test's
 * alone: filling the volume past its size gives ENOSPC and leaves that free space as it was;
 * what a run wrote is there for the next run after an unmount and a mount again; a read-only
 * bind refuses writes.
 */
class PtraceVolumeTest {

    static final long SIZE = VolumeImage.MIN_BYTES;

    @TempDir
    Path tmp;
    Path disk, image, mnt;

    @BeforeAll
    static void platform() {
        Runs.assumePlatform();
        assumeTrue(VolumeImage.unavailableReason() == null, () -> "volumes unavailable: " + VolumeImage.unavailableReason());
    }

    @BeforeEach
    void hostDisk() throws Exception {
        disk = Files.createDirectories(tmp.resolve("disk"));
        Posix.mount("palisade-volume-test", disk.toString(), "tmpfs", Posix.MS_NOSUID | Posix.MS_NODEV, "size=64m");
        image = disk.resolve("v.img");
        mnt = tmp.resolve("mnt");
        VolumeImage.create(image, SIZE, PtracePlatform.DEFAULT_UID, PtracePlatform.DEFAULT_GID);
        VolumeImage.mount(image, mnt, PtracePlatform.DEFAULT_UID, PtracePlatform.DEFAULT_GID);
    }

    @AfterEach
    void unmount() {
        VolumeImage.unmount(mnt);
        Posix.umount2(disk.toString(), Posix.MNT_DETACH);
    }

    @Test
    void aVolumeFilledPastItsSizeGivesEnospcAndTheHostDiskKeepsItsFreeSpace() {
        Posix.FsUsage before = Posix.statvfs(disk.toString());
        // the image was preallocated at creation: the host gave up its bytes then, once
        assertThat((before.blocks() - before.freeBlocks()) * before.blockSize()).isGreaterThanOrEqualTo(SIZE);
        var o = run(spec("/bin/sh", "-c", "head -c 100000000 /dev/zero > /data/big; echo size=$(stat -c %s /data/big)")
                .bind(new SandboxSpec.Bind(mnt, "/data", false)).build());
        assertThat(o.stderr()).contains("No space left on device");
        assertThat(count(o.stdout(), "size=")).isLessThanOrEqualTo(SIZE).isGreaterThan(SIZE / 2);
        Posix.FsUsage after = Posix.statvfs(disk.toString());
        assertThat(after.freeBlocks()).as("free blocks of the host disk").isEqualTo(before.freeBlocks());
        Posix.FsUsage volume = Posix.statvfs(mnt.toString());
        // ext4 keeps a few blocks back for its own metadata once data fills it
        assertThat(volume.freeBlocks() * volume.blockSize()).isLessThan(SIZE / 20);
    }

    @Test
    void whatOneRunWritesTheNextRunReadsAfterTheVolumeWasMountedAgain() throws Exception {
        var write = run(spec("/bin/sh", "-c", "mkdir -p /data/notes && echo kept > /data/notes/a.txt && id -u")
                .bind(new SandboxSpec.Bind(mnt, "/data", false)).build());
        assertThat(write.status()).as(write.stderr()).isZero();
        VolumeImage.unmount(mnt);
        assertThat(VolumeImage.mounted(mnt)).isFalse();
        VolumeImage.mount(image, mnt, PtracePlatform.DEFAULT_UID, PtracePlatform.DEFAULT_GID);
        var read = run(spec("/bin/cat", "/data/notes/a.txt").bind(new SandboxSpec.Bind(mnt, "/data", false)).build());
        assertThat(read.stdout()).isEqualTo("kept\n");
        // owned by the sandbox's uid on the host, as the program made it
        assertThat(Files.getAttribute(mnt.resolve("notes/a.txt"), "unix:uid")).isEqualTo(PtracePlatform.DEFAULT_UID);
    }

    @Test
    void aReadOnlyMountRefusesWritesAndStillReads() throws Exception {
        Files.writeString(mnt.resolve("given.txt"), "from the host\n");
        var o = run(spec("/bin/sh", "-c", "cat /data/given.txt; echo x > /data/new.txt || echo refused")
                .bind(new SandboxSpec.Bind(mnt, "/data", true)).build());
        assertThat(o.stdout()).isEqualTo("from the host\nrefused\n");
        assertThat(mnt.resolve("new.txt")).doesNotExist();
    }

    @Test
    void aVolumeIsNeverMadeTwiceNorSmallerThanTheMinimum() {
        assertThatThrownBy(() -> VolumeImage.create(image, SIZE, 1000, 1000)).isInstanceOf(SandboxException.class)
                .hasMessageContaining("exists already");
        assertThatThrownBy(() -> VolumeImage.create(disk.resolve("small.img"), SIZE - 1, 1000, 1000))
                .isInstanceOf(SandboxException.class).hasMessageContaining("at least");
        assertThat(disk.resolve("small.img")).doesNotExist();
    }
}
