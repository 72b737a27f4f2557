package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;

/** A service's log is a ring: however long it logs, the newest lines are kept within its cap. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServiceLogRingTests extends ServiceTestSupport {

    static final String CHATTY = """
            import time
            i = 0
            while True:
                i += 1
                print('line %d %s' % (i, 'x' * 100), flush=True)
                if i % 200 == 0:
                    time.sleep(0.01)
            """;

    @BeforeEach
    void tenant() throws Exception {
        newTenantWithAdmin();
    }

    @Test
    void aServiceThatLogsForeverKeepsItsNewestLines() throws Exception {
        long cap = 100_000;
        String id = JsonPath.read(deploy(owner, tenant, """
                {"name":"chatty","port":8000,"limits":{"outputBytes":%d},"command":["python3","-c",%s]}"""
                .formatted(cap, json(CHATTY))), "$.workloadId");
        // until it has written ten times its cap
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            Integer chunks = jdbc.queryForObject("select max(seq) from workload_log where workload_id = ?::uuid",
                    Integer.class, id);
            if (chunks != null && chunks >= 16) {
                break;
            }
            assertThat(System.nanoTime()).as("chunks written: " + chunks).isLessThan(end);
            Thread.sleep(200);
        }
        String log = mvc.perform(as(owner, get("/api/v1/tenants/" + tenant + "/workloads/" + id + "/logs")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        List<String> lines = log.lines().toList();
        assertThat(lines.get(0)).isEqualTo("[palisade: older lines dropped; this log keeps the newest " + cap + " bytes]");
        // whole lines after the marker, in order, none missing, the oldest long gone
        long first = Long.parseLong(lines.get(1).split(" ")[1]);
        long last = first;
        for (String l : lines.subList(2, lines.size() - 1)) {   // the last one may still be partly unwritten
            long n = Long.parseLong(l.split(" ")[1]);
            assertThat(n).isEqualTo(last + 1);
            last = n;
        }
        System.out.printf("service log ring: %d bytes kept of a %d-byte cap, lines %d to %d%n", log.length(), cap,
                first, last);
        assertThat(first).isGreaterThan(5 * cap / 110);
        assertThat((long) log.length()).isLessThanOrEqualTo(cap + 64 * 1024);
        Long stored = jdbc.queryForObject("select log_bytes from workload where id = ?::uuid", Long.class, id);
        assertThat(stored).isLessThanOrEqualTo(cap + 64 * 1024);
        assertThat(jdbc.queryForObject("select state from workload where id = ?::uuid", String.class, id))
                .isEqualTo("RUNNING");

        // followed live from the start, the log begins at the marker and goes on with whole lines
        java.net.http.HttpResponse<java.util.stream.Stream<String>> follow = http.send(java.net.http.HttpRequest
                .newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/api/v1/tenants/" + tenant + "/workloads/"
                        + id + "/logs")).header("Authorization", "Bearer " + owner)
                .header("Accept", "text/event-stream").build(), java.net.http.HttpResponse.BodyHandlers.ofLines());
        assertThat(follow.statusCode()).isEqualTo(200);
        List<String> data = follow.body().filter(l -> l.startsWith("data:")).limit(3).toList();
        assertThat(data.get(0)).isEqualTo("data:[palisade: older lines dropped; this log keeps the newest " + cap
                + " bytes]");
        long a = Long.parseLong(data.get(1).split(" ")[1]), b = Long.parseLong(data.get(2).split(" ")[1]);
        assertThat(b).isEqualTo(a + 1);
        assertThat(a).isGreaterThanOrEqualTo(first);
    }
}
