package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.nativeinterop.HostMemory;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Guest memory's bounds, without /dev/kvm (the page tables live in a plain host mapping): sizes
 * the program passes are checked as Linux checks them, walks over a range cost what is mapped
 * in it, and a stop from the watchdog ends a walk in progress (fuzz findings).
 */
class GuestMemoryTest {
    private static final long PAGE = GuestLayout.PAGE;
    private static final long BASE = 0x1000_0000_0000L;

    private static GuestMemory memory() {
        long phys = 64L << 20;
        return new GuestMemory(HostMemory.anonymous(phys), new PhysicalAllocator(phys, 4096));
    }

    @Test
    void access_ok_and_the_io_count_follow_linux() {
        assertThat(GuestMemory.accessOk(BASE, 1L << 31)).isTrue();
        assertThat(GuestMemory.accessOk(BASE, -1L)).as("SIZE_MAX wraps").isFalse();
        assertThat(GuestMemory.accessOk(BASE, 1L << 63)).isFalse();
        assertThat(GuestMemory.accessOk(0xffff_8880_0000_0000L, 0)).as("kernel half, even for 0 bytes").isFalse();
        assertThat(GuestMemory.accessOk(0x7fff_ffff_f000L, 0)).isTrue();
        assertThat(GuestMemory.ioCount(BASE, 1L << 31)).isEqualTo(GuestMemory.MAX_RW_COUNT);
        assertThat(GuestMemory.ioCount(BASE, 10)).isEqualTo(10);
        assertThatThrownBy(() -> GuestMemory.ioCount(BASE, -1L)).isInstanceOf(GuestMemory.Fault.class);
        assertThat(GuestMemory.ioCountClamped(BASE, -1L)).as("getrandom cuts before it checks").isEqualTo(GuestMemory.MAX_RW_COUNT);
    }

    @Test
    void a_copy_reaches_up_to_the_first_unmapped_page() {
        GuestMemory m = memory();
        m.map(BASE, 3 * PAGE, GuestMemory.PROT_READ | GuestMemory.PROT_WRITE);
        m.protect(BASE + 2 * PAGE, PAGE, GuestMemory.PROT_READ);
        ByteBuffer[] w = m.reachable(BASE + 100, GuestMemory.MAX_RW_COUNT, GuestMemory.PROT_WRITE);
        assertThat(Arrays.stream(w).mapToLong(ByteBuffer::remaining).sum()).isEqualTo(2 * PAGE - 100);
        ByteBuffer[] r = m.reachable(BASE, GuestMemory.MAX_RW_COUNT, GuestMemory.PROT_READ);
        assertThat(Arrays.stream(r).mapToLong(ByteBuffer::remaining).sum()).isEqualTo(3 * PAGE);
        assertThatThrownBy(() -> m.reachable(BASE + 3 * PAGE, 1, GuestMemory.PROT_READ)).isInstanceOf(GuestMemory.Fault.class);
        assertThatThrownBy(() -> m.reachable(BASE, -1, GuestMemory.PROT_READ)).isInstanceOf(GuestMemory.Fault.class);
        assertThatThrownBy(() -> m.read(BASE, -4096)).as("no allocation sized by a negative count").isInstanceOf(GuestMemory.Fault.class);
    }

    @Test
    void walks_over_the_whole_user_half_cost_what_is_mapped() {
        GuestMemory m = memory();
        m.map(BASE, 8 * PAGE, GuestMemory.PROT_READ | GuestMemory.PROT_WRITE);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            // 2^35 pages each: page by page, minutes (brk with a huge value spun here past every limit)
            assertThat(m.isFree(0, 1L << 47)).isFalse();
            assertThat(m.protect(0, 1L << 47, GuestMemory.PROT_READ)).isFalse();
            assertThat(m.mappedIn(0, 1L << 47)).hasSize(8);
            m.unmap(Long.MIN_VALUE, Long.MAX_VALUE);   // what brk's overflowed rounding asked for
            m.unmap(0, 1L << 47);
            assertThat(m.isMapped(BASE)).isFalse();
            assertThat(m.isFree(0, 1L << 47)).isTrue();
        });
    }

    @Test
    void a_stop_ends_a_walk_in_progress() {
        GuestMemory m = memory();
        m.map(BASE, 64 * PAGE, 0);
        m.stop();
        assertThatThrownBy(() -> m.unmap(BASE, 1L << 40)).isInstanceOf(GuestMemory.Stopped.class);
        assertThatThrownBy(() -> m.map(BASE + (1L << 30), 1L << 20, 0)).isInstanceOf(GuestMemory.Stopped.class);
    }
}
