package dev.palisade.platform.security;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.FilterChain;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/**
 * One password check at a time per address: a second login from an address whose first is still
 * being checked is answered 429 at once instead of waiting on a request thread, so one address
 * with many connections cannot hold the console's threads; other addresses are not affected.
 */
class LoginThrottleFilterTests {

    private final List<String> refusals = new CopyOnWriteArrayList<>();
    private final LoginThrottle throttle = new LoginThrottle(
            new LoginProperties(3, 10, Duration.ofSeconds(1), Duration.ofMinutes(15), Duration.ofHours(1), 1000, 1000));
    private final LoginThrottleFilter filter = new LoginThrottleFilter(throttle, new LoginAudit(null, null) {
        @Override
        void refused(String account, String address, String why) {
            refusals.add(address + " " + why);
        }
    });

    @Test
    void aSecondCheckFromTheSameAddressIsRefusedWhileTheFirstRunsAndOthersPass() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        FilterChain slowCheck = (req, res) -> {
            inside.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        MockHttpServletResponse firstAnswer = new MockHttpServletResponse();
        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> {
            try {
                filter.doFilter(login("10.0.0.1"), firstAnswer, slowCheck);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();

        boolean[] passed = new boolean[1];
        MockHttpServletResponse second = new MockHttpServletResponse();
        filter.doFilter(login("10.0.0.1"), second, (req, res) -> passed[0] = true);
        assertThat(passed[0]).as("the second check from the busy address").isFalse();
        assertThat(second.getStatus()).isEqualTo(429);
        assertThat(second.getHeader("Retry-After")).isEqualTo("1");
        assertThat(refusals).containsExactly("10.0.0.1 login throttled");

        MockHttpServletResponse other = new MockHttpServletResponse();
        filter.doFilter(login("10.0.0.2"), other, (req, res) -> passed[0] = true);
        assertThat(passed[0]).as("a check from another address").isTrue();

        release.countDown();
        first.get(10, TimeUnit.SECONDS);
        assertThat(firstAnswer.getStatus()).isEqualTo(200);
        passed[0] = false;
        filter.doFilter(login("10.0.0.1"), new MockHttpServletResponse(), (req, res) -> passed[0] = true);
        assertThat(passed[0]).as("the address's next check once the first is over").isTrue();
    }

    private static MockHttpServletRequest login(String address) {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/login");
        request.setRemoteAddr(address);
        request.setParameter("username", "admin");
        return request;
    }
}
