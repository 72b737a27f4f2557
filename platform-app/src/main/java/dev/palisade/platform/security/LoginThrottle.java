package dev.palisade.platform.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * Who may try a password now. Two things hold a caller back, never the account itself:
 * <ul>
 * <li>a rate per address (resilience4j limiters: password attempts, token mints);</li>
 * <li>a back-off after failures, growing with each one: per account <em>and address</em> (an
 * account's guesses slow down only the addresses that guessed), and per address whatever the
 * accounts (spraying many names from one place).</li>
 * </ul>
 * Both are kept in bounded caches, so a flood of addresses costs bounded memory.
 */
@Component
class LoginThrottle {

    private static final int MAX_TRACKED = 100_000;

    /** The kind of request held back. */
    enum Kind { PASSWORD, MINT }

    /** Failures counted under one key and until when the next attempt waits. */
    private record Failures(int count, Instant waitUntil) {
    }

    private final LoginProperties settings;
    private final IntervalFunction backoff;
    private final RateLimiterConfig passwordRate;
    private final RateLimiterConfig mintRate;
    private final Cache<String, RateLimiter> limiters;
    private final Cache<String, Failures> failures;
    // addresses with a password check under way: at most one entry per request being served
    private final Set<String> checksInProgress = ConcurrentHashMap.newKeySet();

    LoginThrottle(LoginProperties settings) {
        this.settings = settings;
        this.backoff = IntervalFunction.ofExponentialBackoff(settings.backoffStart(), 2.0, settings.backoffMax());
        this.passwordRate = perMinute(settings.attemptsPerMinute());
        this.mintRate = perMinute(settings.mintsPerMinute());
        this.limiters = Caffeine.newBuilder().maximumSize(MAX_TRACKED).expireAfterAccess(Duration.ofMinutes(10)).build();
        this.failures = Caffeine.newBuilder().maximumSize(MAX_TRACKED).expireAfterWrite(settings.forgetAfter()).build();
    }

    private static RateLimiterConfig perMinute(int n) {
        return RateLimiterConfig.custom().limitForPeriod(n).limitRefreshPeriod(Duration.ofMinutes(1))
                .timeoutDuration(Duration.ZERO).build();
    }

    /**
     * Takes one attempt of the kind from the address; empty when it may go ahead, else how long
     * to wait. {@code account} is null when no password is tried (a mint with a bearer token).
     */
    Optional<Duration> attempt(Kind kind, String account, String address) {
        Instant now = Instant.now();
        Duration wait = max(waiting(addressKey(address), now),
                account == null ? Duration.ZERO : waiting(accountKey(account, address), now));
        if (!wait.isZero()) {
            return Optional.of(wait);
        }
        if (kind == Kind.MINT) {
            Optional<Duration> mint = take(kind, address, mintRate);
            if (mint.isPresent() || account == null) {
                return mint;
            }
        }
        return take(Kind.PASSWORD, address, passwordRate);
    }

    /**
     * Starts the address's one password check, or says it has one under way. The back-off is
     * decided before a check and recorded after it, so checks from one address side by side would
     * all pass on the same count; refusing the second (rather than making it wait) also keeps one
     * address from holding many request threads. Every {@code true} is followed by {@link #end}.
     */
    boolean begin(String address) {
        return checksInProgress.add(address);
    }

    /** The address's check is over. */
    void end(String address) {
        checksInProgress.remove(address);
    }

    /** A wrong password (or an unknown or suspended account) from the address. */
    void failed(String account, String address) {
        Instant now = Instant.now();
        failures.asMap().compute(accountKey(account, address), (k, f) -> next(f, settings.freeFailures(), now));
        failures.asMap().compute(addressKey(address), (k, f) -> next(f, settings.addressFreeFailures(), now));
    }

    /** The account's owner got in from the address: its guesses there are forgotten. */
    void succeeded(String account, String address) {
        failures.invalidate(accountKey(account, address));
    }

    private Failures next(Failures f, int free, Instant now) {
        int count = f == null ? 1 : f.count() + 1;
        Instant until = count <= free ? now : now.plusMillis(backoff.apply(count - free));
        return new Failures(count, until);
    }

    private Duration waiting(String key, Instant now) {
        Failures f = failures.getIfPresent(key);
        return f == null || !f.waitUntil().isAfter(now) ? Duration.ZERO : Duration.between(now, f.waitUntil());
    }

    private Optional<Duration> take(Kind kind, String address, RateLimiterConfig config) {
        RateLimiter limiter = limiters.get(kind + "|" + address, k -> RateLimiter.of(k, config));
        if (limiter.acquirePermission()) {
            return Optional.empty();
        }
        long nanos = limiter instanceof AtomicRateLimiter atomic
                ? atomic.getDetailedMetrics().getNanosToWait() : Duration.ofMinutes(1).toNanos();
        return Optional.of(Duration.ofNanos(Math.max(nanos, 1)));
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static String accountKey(String account, String address) {
        // a name longer than any real one is still one key, not a way to make the cache's keys large
        return "account|" + address + "|" + (account.length() > 100 ? account.substring(0, 100) : account);
    }

    private static String addressKey(String address) {
        return "address|" + address;
    }
}
