package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.nativeinterop.HostMemory;
import dev.palisade.sandbox.sentry.BadAddress;
import dev.palisade.sandbox.sentry.TaskStopped;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Guest memory's bounds, without /dev/kvm (the page tables live in a plain host mapping): a copy
 * reaches what is mapped, walks over a range cost what is mapped in it, and a stop from the
 * watchdog ends a walk in progress (fuzz findings).
 */
class GuestMemoryTest {
    private static final long PAGE = GuestLayout.PAGE;
    private static final long BASE = 0x1000_0000_0000L;
    private static final int MAX_RW_COUNT = 0x7fff_f000;

    private static GuestMemory memory() {
        long phys = 64L << 20;
        return new GuestMemory(HostMemory.anonymous(phys), new PhysicalAllocator(phys, 4096));
    }

    @Test
    void a_copy_reaches_up_to_the_first_page_it_cannot_use() {
        GuestMemory m = memory();
        m.map(BASE, 3 * PAGE, GuestMemory.PROT_READ | GuestMemory.PROT_WRITE);
        m.protect(BASE + 2 * PAGE, PAGE, GuestMemory.PROT_READ);
        ByteBuffer[] w = m.accessible(BASE + 100, MAX_RW_COUNT, true);
        assertThat(Arrays.stream(w).mapToLong(ByteBuffer::remaining).sum()).isEqualTo(2 * PAGE - 100);
        ByteBuffer[] r = m.accessible(BASE, MAX_RW_COUNT, false);
        assertThat(Arrays.stream(r).mapToLong(ByteBuffer::remaining).sum()).isEqualTo(3 * PAGE);
        assertThat(m.accessible(BASE + 3 * PAGE, 1, false)).isEmpty();
        assertThat(m.accessible(BASE, -1, false)).isEmpty();
        assertThatThrownBy(() -> m.read(BASE, -4096)).as("no allocation sized by a negative count").isInstanceOf(BadAddress.class);
    }

    @Test
    void walks_over_the_whole_user_half_cost_what_is_mapped() {
        GuestMemory m = memory();
        m.map(BASE, 8 * PAGE, GuestMemory.PROT_READ | GuestMemory.PROT_WRITE);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            // 2^35 pages each: page by page, minutes (brk with a huge value spun here past every limit)
            assertThat(m.isFree(0, 1L << 47)).isFalse();
            assertThat(m.protect(0, 1L << 47, GuestMemory.PROT_READ)).isFalse();
            assertThat(m.mappedPages()).isEqualTo(8);
            assertThat(m.lowestMappedFrom(0, 1L << 47)).isEqualTo(BASE);
            assertThat(m.highestMappedBelow(1L << 47, 0)).isEqualTo(BASE + 7 * PAGE);
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
        assertThatThrownBy(() -> m.unmap(BASE, 1L << 40)).isInstanceOf(TaskStopped.class);
        assertThatThrownBy(() -> m.map(BASE + (1L << 30), 1L << 20, 0)).isInstanceOf(TaskStopped.class);
    }
}
