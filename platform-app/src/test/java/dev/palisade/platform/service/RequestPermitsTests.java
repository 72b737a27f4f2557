package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The line of requests waiting for one of a service's permits: first come, first served, nothing lost or made up. */
class RequestPermitsTests {

    /** One permit, in use. */
    private static RequestPermits oneInUse() {
        RequestPermits p = new RequestPermits(1);
        assertThat(p.tryAcquire()).isTrue();
        return p;
    }

    @Test
    void aReleaseHandsThePermitToTheLongestWaitingRequestAndNobodyBargesIn() {
        RequestPermits p = oneInUse();
        CompletableFuture<Boolean> first = p.acquire(10_000);
        CompletableFuture<Boolean> second = p.acquire(10_000);
        assertThat(first).isNotDone();
        assertThat(p.waiting()).isEqualTo(2);
        p.release();
        assertThat(first).isCompletedWithValue(true);
        assertThat(second).isNotDone();
        // a permit is in use and one waits: a newcomer joins the line, it does not take the next free permit
        assertThat(p.tryAcquire()).isFalse();
        p.release();
        assertThat(second).isCompletedWithValue(true);
        p.release();
        assertThat(p.availablePermits()).isEqualTo(1);
        assertThat(p.waiting()).isZero();
    }

    @Test
    void aRequestThatWaitedTooLongGetsFalseAndTakesNothing() throws Exception {
        RequestPermits p = oneInUse();
        CompletableFuture<Boolean> late = p.acquire(50);
        assertThat(late.get(5, TimeUnit.SECONDS)).isFalse();
        assertThat(p.waiting()).isZero();
        p.release();
        assertThat(p.availablePermits()).isEqualTo(1);
        assertThat(p.acquireBlocking(50)).isTrue();
        assertThat(p.acquireBlocking(50)).isFalse();
    }

    @Test
    void aRequestThatGivesUpLeavesTheLineAndReturnsAPermitItWasGranted() {
        RequestPermits p = oneInUse();
        CompletableFuture<Boolean> gone = p.acquire(10_000);
        CompletableFuture<Boolean> next = p.acquire(10_000);
        p.giveUp(gone);
        assertThat(gone).isCompletedWithValue(false);
        p.release();
        assertThat(next).isCompletedWithValue(true);
        // granted, then given up before it was used (the client went away meanwhile): the permit comes back
        CompletableFuture<Boolean> granted = p.acquire(10_000);
        p.release();
        assertThat(granted).isCompletedWithValue(true);
        p.giveUp(granted);
        assertThat(p.availablePermits()).isEqualTo(1);
    }

    @Test
    void underContentionNoPermitIsLostOrMadeUp() throws Exception {
        RequestPermits p = new RequestPermits(4);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger served = new AtomicInteger();
        int threads = 8, each = 2_000;
        CountDownLatch done = new CountDownLatch(threads);
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    CompletableFuture<Boolean> w = p.acquire(i % 7 == 0 ? 0 : 10_000);
                    if (i % 11 == 0) {
                        p.giveUp(w);
                        continue;
                    }
                    if (!w.join()) {
                        continue;
                    }
                    most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                    inFlight.decrementAndGet();
                    served.incrementAndGet();
                    p.release();
                }
                done.countDown();
            });
            all.add(th);
            th.start();
        }
        assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(most.get()).isLessThanOrEqualTo(4);
        assertThat(served.get()).isGreaterThan(threads * each / 2);
        assertThat(p.availablePermits()).isEqualTo(4);
        assertThat(p.waiting()).isZero();
    }
}
