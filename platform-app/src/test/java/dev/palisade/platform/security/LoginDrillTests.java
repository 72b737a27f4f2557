package dev.palisade.platform.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.platform.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The lock-out drill, over real HTTP with the default throttle: 10,000 wrong passwords for
 * {@code admin} from 50 addresses (each a client behind the loopback proxy, which Tomcat trusts
 * to name it in {@code X-Forwarded-For}). Every sprayer is answered 401 a few times, then 429
 * with {@code Retry-After}; the real admin, from an address that did not spray, gets in at once,
 * over HTTP Basic and on the login form alike; every refusal is in the audit log.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "palisade.dispatcher.enabled=false", "server.forward-headers-strategy=native",
        // the throttle's defaults, not the shared test profile's (which lets the suite log in freely)
        "palisade.security.login.free-failures=3", "palisade.security.login.address-free-failures=10",
        "palisade.security.login.attempts-per-minute=20", "palisade.security.login.mints-per-minute=30"})
@ActiveProfiles("test")
class LoginDrillTests {

    private static final String ADMIN_PASSWORD = "test-admin-password";
    private static final int ADDRESSES = 50;
    private static final int ATTEMPTS = 10_000;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> TestDatabase.own("palisade_login_drill"));
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcTemplate jdbc;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .executor(Executors.newFixedThreadPool(2)).build();

    private HttpResponse<String> mint(String address, String user, String password) throws Exception {
        String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/tokens"))
                .header("Authorization", "Basic " + basic).header("X-Forwarded-For", address)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"drill\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String sprayer(int i) {
        return "198.51.100." + (i + 1);
    }

    @Test
    void tenThousandWrongPasswordsFromFiftyAddressesNeitherLockOutTheAdminNorGetThrough() throws Exception {
        long refusedBefore = jdbc.queryForObject("select count(*) from audit_event where action = 'login.refused'",
                Long.class);
        Map<String, Map<Integer, AtomicInteger>> answers = new ConcurrentHashMap<>();
        List<String> missingRetryAfter = new ArrayList<>();
        ExecutorService sprayers = Executors.newFixedThreadPool(8);
        long start = System.nanoTime();
        List<Future<?>> sent = new ArrayList<>();
        for (int i = 0; i < ATTEMPTS; i++) {
            String address = sprayer(i % ADDRESSES);
            String password = "guess-" + i;
            sent.add(sprayers.submit(() -> {
                HttpResponse<String> r = mint(address, "admin", password);
                answers.computeIfAbsent(address, a -> new ConcurrentHashMap<>())
                        .computeIfAbsent(r.statusCode(), s -> new AtomicInteger()).incrementAndGet();
                if (r.statusCode() == 429 && r.headers().firstValue("Retry-After").isEmpty()) {
                    synchronized (missingRetryAfter) {
                        missingRetryAfter.add(address);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : sent) {
            f.get();
        }
        sprayers.shutdown();
        long millis = (System.nanoTime() - start) / 1_000_000;

        // the real admin, from an address that did not spray, at once: HTTP Basic and the login form
        HttpResponse<String> admin = mint("203.0.113.9", "admin", ADMIN_PASSWORD);
        assertThat(admin.statusCode()).as(admin.body()).isEqualTo(201);
        assertThat(formLogin("203.0.113.10", "admin", ADMIN_PASSWORD)).isEqualTo("/admin");

        int wrong = 0;
        int throttled = 0;
        for (int i = 0; i < ADDRESSES; i++) {
            Map<Integer, AtomicInteger> byStatus = answers.get(sprayer(i));
            assertThat(byStatus.keySet()).as("answers to %s", sprayer(i)).containsAnyOf(401, 429)
                    .allMatch(s -> s == 401 || s == 429);
            int w = byStatus.getOrDefault(401, new AtomicInteger()).get();
            int t = byStatus.getOrDefault(429, new AtomicInteger()).get();
            // three free guesses, then a back-off doubling from a second: about ten in a minute or two
            assertThat(w).as("passwords checked for %s", sprayer(i)).isLessThanOrEqualTo(3 + 2 + log2(millis / 1000 + 1) + 1);
            wrong += w;
            throttled += t;
        }
        assertThat(missingRetryAfter).isEmpty();
        long refused = jdbc.queryForObject("select count(*) from audit_event where action = 'login.refused'",
                Long.class) - refusedBefore;
        System.out.printf("login drill: %d attempts from %d addresses in %d ms: %d passwords checked (401), "
                + "%d refused unchecked (429), %d refusals audited; the admin got in from a clean address%n",
                ATTEMPTS, ADDRESSES, millis, wrong, throttled, refused);
        assertThat(wrong + throttled).isEqualTo(ATTEMPTS);
        assertThat(throttled).isGreaterThan(ATTEMPTS * 9 / 10);
        assertThat(refused).isGreaterThanOrEqualTo(ATTEMPTS);

        // a sprayer that goes on, and then tries the right password, is still held back: its address is
        // slowed, not the account (one more wrong guess first: on a quick run its last back-off may be
        // over by now, and the next one then starts at once)
        mint(sprayer(0), "admin", "wrong-password-once-more");
        HttpResponse<String> sprayerWithThePassword = mint(sprayer(0), "admin", ADMIN_PASSWORD);
        assertThat(sprayerWithThePassword.statusCode()).isEqualTo(429);
        assertThat(sprayerWithThePassword.body()).doesNotContainIgnoringCase("lock");
    }

    @Test
    void oneAddressIsRateLimitedEvenWhenItsPasswordsAreRight() throws Exception {
        int created = 0;
        int limited = 0;
        for (int i = 0; i < 40; i++) {
            HttpResponse<String> r = mint("203.0.113.50", "admin", ADMIN_PASSWORD);
            if (r.statusCode() == 201) {
                created++;
            } else {
                assertThat(r.statusCode()).isEqualTo(429);
                assertThat(r.headers().firstValue("Retry-After")).isPresent();
                limited++;
            }
        }
        // twenty password attempts a minute from one address
        assertThat(created).isEqualTo(20);
        assertThat(limited).isEqualTo(20);
    }

    private static int log2(long n) {
        return 63 - Long.numberOfLeadingZeros(Math.max(1, n));
    }

    /**
     * The login form as a browser posts it (session cookie and CSRF token from the page); where it
     * redirects. The session cookie is {@code Secure}, which the JDK's cookie manager keeps from
     * plain http, so it is carried by hand, as a browser does for localhost.
     */
    private String formLogin(String address, String user, String password) throws Exception {
        HttpClient browser = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        URI login = URI.create("http://127.0.0.1:" + port + "/login");
        HttpResponse<String> loginPage = browser.send(HttpRequest.newBuilder(login).header("X-Forwarded-For", address)
                .build(), HttpResponse.BodyHandlers.ofString());
        String cookies = String.join("; ", loginPage.headers().allValues("Set-Cookie").stream()
                .map(c -> c.split(";", 2)[0]).toList());
        Matcher csrf = Pattern.compile("name=\"_csrf\"\\s+value=\"([^\"]+)\"").matcher(loginPage.body());
        assertThat(csrf.find()).as("the login page has a CSRF token").isTrue();
        String form = "username=" + user + "&password=" + password + "&_csrf=" + csrf.group(1);
        HttpResponse<String> r = browser.send(HttpRequest.newBuilder(login).header("X-Forwarded-For", address)
                .header("Cookie", cookies)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(302);
        return URI.create(r.headers().firstValue("Location").orElseThrow()).getPath();
    }
}
