package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.sentry.vfs.FsError;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Linux's {@code access_ok} and read/write count, as the handlers apply them (fuzz findings). */
class SysArgsTest {
    private static final long BASE = 0x1000_0000_0000L;

    @Test
    void access_ok_and_the_io_count_follow_linux() throws Exception {
        assertThat(SysArgs.userRange(BASE, 1L << 31)).isTrue();
        assertThat(SysArgs.userRange(BASE, -1L)).as("SIZE_MAX wraps").isFalse();
        assertThat(SysArgs.userRange(BASE, 1L << 63)).isFalse();
        assertThat(SysArgs.userRange(0xffff_8880_0000_0000L, 0)).as("kernel half, even for 0 bytes").isFalse();
        assertThat(SysArgs.userRange(0x7fff_ffff_f000L, 0)).isTrue();
        assertThat(SysArgs.userRange(0x7fff_ffff_f000L, 1)).isFalse();
        assertThat(SysArgs.rwCount(BASE, 1L << 31)).isEqualTo((int) SysArgs.MAX_RW_COUNT);
        assertThat(SysArgs.rwCount(BASE, 10)).isEqualTo(10);
        assertThatThrownBy(() -> SysArgs.rwCount(BASE, -1L)).isInstanceOf(FsError.class);
    }
}
