package dev.palisade.platform.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.platform.ingress.NettyIngress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * A service with {@code instances: N} runs N sandboxes, and the ingress spreads requests over the
 * healthy ones; an instance that dies is out of rotation (its requests answered by the others)
 * until it is healthy again, and a redeploy replaces the instances one at a time, so that
 * neither loses a request.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServiceReplicaTests extends ServiceTestSupport {

    /** Answers every GET with its service name and a random id of its own: which instance answered. */
    static final String WHO = """
            import http.server, sys, random
            ME = '%s %08x' % (sys.argv[2], random.getrandbits(32))
            class H(http.server.BaseHTTPRequestHandler):
                protocol_version = 'HTTP/1.1'
                def do_GET(self):
                    out = ME.encode()
                    self.send_response(200)
                    self.send_header('Content-Length', str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                def log_message(self, *a):
                    pass
            http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
            """;

    @Autowired
    NettyIngress ingress;

    @Autowired
    ServiceRegistry registry;

    @BeforeEach
    void tenant() throws Exception {
        newTenantWithAdmin();
    }

    private static String who(String name, int instances) {
        return "{\"name\":\"%s\",\"port\":8000,\"instances\":%d,\"command\":[\"python3\",\"-c\",%s,\"8000\",\"%s\"]}"
                .formatted(name, instances, json(WHO), name);
    }

    private HttpResponse<String> get(String service) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ingress.port() + "/"))
                .header("Host", host(tenant, service)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void awaitRouted(String service, int n) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (registry.instances(tenant, service).size() != n) {
            assertThat(System.nanoTime()).as("%d instances of %s routed (now %s)", n, service,
                    registry.instances(tenant, service).size()).isLessThan(end);
            Thread.sleep(20);
        }
    }

    /** Who answered each request (its instance's id), and every answer that was not a 200 from the service. */
    private record Load(Map<String, AtomicInteger> answeredBy, List<String> failures) {

        Load() {
            this(new ConcurrentHashMap<>(), java.util.Collections.synchronizedList(new ArrayList<>()));
        }
    }

    /** One request to the service, its answer counted in {@code load}. */
    private void request(String service, Load load) {
        try {
            HttpResponse<String> r = get(service);
            if (r.statusCode() == 200 && r.body().startsWith(service + " ")) {
                load.answeredBy().computeIfAbsent(r.body(), k -> new AtomicInteger()).incrementAndGet();
            } else {
                load.failures().add(r.statusCode() + " " + r.body());
            }
        } catch (Exception e) {
            load.failures().add(e.toString());
        }
    }

    @Test
    void threeReplicasServeAndOneKilledMidLoadFailsNoRequestAmongAThousand() throws Exception {
        String shown = deploy(owner, tenant, who("trio", 3));
        assertThat((Integer) JsonPath.read(shown, "$.instances")).isEqualTo(3);
        awaitRouted("trio", 3);
        assertThat((Integer) JsonPath.read(awaitService(owner, tenant, "trio",
                b -> (Integer) JsonPath.read(b, "$.healthyInstances") == 3), "$.instances")).isEqualTo(3);
        assertThat(page(login(ownerName + "@" + tenant, PASSWORD), "/portal/services/trio"))
                .contains("<dd id=\"service-instances\">3 of 3 healthy</dd>");

        Load load = new Load();
        AtomicInteger sent = new AtomicInteger();
        CountDownLatch quarter = new CountDownLatch(250);
        ExecutorService clients = Executors.newFixedThreadPool(8);
        List<Future<?>> done = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int c = 0; c < 8; c++) {
            done.add(clients.submit(() -> {
                while (sent.incrementAndGet() <= 1000) {
                    request("trio", load);
                    quarter.countDown();
                }
                return null;
            }));
        }
        quarter.await();
        assertThat(sent.get()).as("requests sent when the instance is killed").isLessThan(900);
        ServiceRegistry.Instance victim = registry.instances(tenant, "trio").get(0);
        victim.sandbox().kill();
        for (Future<?> f : done) {
            f.get();
        }
        clients.shutdown();
        System.out.printf("replicas: 1000 requests from 8 clients in %d ms, one of 3 instances killed after 250; "
                + "answered by each instance: %s; failed: %d%n", (System.nanoTime() - t0) / 1_000_000,
                load.answeredBy().values(), load.failures().size());

        assertThat(load.failures()).as("failed requests").isEmpty();
        assertThat(load.answeredBy().values().stream().mapToInt(AtomicInteger::get).sum()).isEqualTo(1000);
        // every instance took a share, and the killed one was started again (a fourth id, once healthy)
        assertThat(load.answeredBy()).hasSizeGreaterThanOrEqualTo(3);
        awaitRouted("trio", 3);
        assertThat(registry.instances(tenant, "trio")).doesNotContain(victim);
        Set<String> after = new java.util.HashSet<>();
        for (int i = 0; i < 30; i++) {
            after.add(get("trio").body());
        }
        assertThat(after).hasSize(3);
        assertThat(jdbc.queryForObject("""
                select count(*) from service_deployment d join workload w on w.id = d.workload_id
                where w.state = 'RUNNING' and coalesce(d.primary_id, d.workload_id) = ?::uuid""", Integer.class,
                (String) JsonPath.read(shown, "$.workloadId"))).isEqualTo(3);
    }

    @Test
    void aRollingRedeployReplacesInstancesOneAtATimeWithoutAFailedRequest() throws Exception {
        String first = JsonPath.read(deploy(owner, tenant, who("rolling", 2)), "$.workloadId");
        awaitRouted("rolling", 2);
        Set<String> before = new java.util.HashSet<>();
        for (int i = 0; i < 20; i++) {
            before.add(get("rolling").body());
        }
        assertThat(before).hasSize(2);

        Load load = new Load();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger fewestRouted = new AtomicInteger(Integer.MAX_VALUE);
        ExecutorService clients = Executors.newFixedThreadPool(4);
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            done.add(clients.submit(() -> {
                while (!stop.get()) {
                    request("rolling", load);
                    fewestRouted.accumulateAndGet(registry.instances(tenant, "rolling").size(), Math::min);
                }
                return null;
            }));
        }
        Thread.sleep(300);
        String second = JsonPath.read(mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/services/rolling/redeploy")))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString(), "$.workloadId");
        // rolled out: the new deployment's two instances healthy, every instance of the old one ended
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (jdbc.queryForObject("""
                select count(*) from service_deployment d join workload w on w.id = d.workload_id
                where coalesce(d.primary_id, d.workload_id) = ?::uuid and w.state in ('QUEUED', 'RUNNING')""",
                Integer.class, first) > 0 || registry.instances(tenant, "rolling").size() != 2) {
            assertThat(System.nanoTime()).as("rolled out").isLessThan(end);
            Thread.sleep(50);
        }
        Thread.sleep(300);
        stop.set(true);
        for (Future<?> f : done) {
            f.get();
        }
        clients.shutdown();

        assertThat(load.failures()).as("failed requests").isEmpty();
        assertThat(fewestRouted.get()).as("instances serving at the fewest").isGreaterThanOrEqualTo(2);
        Set<String> after = new java.util.HashSet<>();
        for (int i = 0; i < 20; i++) {
            after.add(get("rolling").body());
        }
        assertThat(after).hasSize(2).doesNotContainAnyElementsOf(before);
        assertThat(jdbc.queryForObject("""
                select count(*) from service_deployment d join workload w on w.id = d.workload_id
                where coalesce(d.primary_id, d.workload_id) = ?::uuid and w.state = 'RUNNING'
                  and d.status = 'HEALTHY'""", Integer.class, second)).isEqualTo(2);
        assertThat(load.answeredBy().values().stream().mapToInt(AtomicInteger::get).sum()).isGreaterThan(50);
    }

    /**
     * The node of an instance dies (its lease is no longer renewed): the reaper puts the instance
     * back in the queue although services are tried once (maxAttempts 1), a live node claims it
     * again, and the deployment is back to two healthy instances, the service answering throughout.
     */
    @Test
    void anInstanceWhoseNodeDiedIsRefilledOnALiveNode() throws Exception {
        String id = JsonPath.read(deploy(owner, tenant, who("phoenix", 2)), "$.workloadId");
        awaitRouted("phoenix", 2);
        String lost = jdbc.queryForObject("select workload_id::text from service_deployment where primary_id = ?::uuid",
                String.class, id);
        // the run now belongs to a node that stopped renewing: this node's heartbeat ends its sandbox, the reaper requeues it
        jdbc.update("""
                update workload set node = 'a-node-that-died', lease_expires_at = now() - interval '1 second'
                where id = ?::uuid""", lost);

        Load load = new Load();
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Map<String, Object> row;
        do {
            assertThat(System.nanoTime()).as("instance 1 running again").isLessThan(end);
            request("phoenix", load);
            Thread.sleep(50);
            row = jdbc.queryForMap("""
                    select w.state, w.attempts, w.node, d.status from workload w
                    join service_deployment d on d.workload_id = w.id where w.id = ?::uuid""", lost);
        } while (!(Integer.valueOf(2).equals(row.get("attempts")) && "RUNNING".equals(row.get("state"))
                && "HEALTHY".equals(row.get("status"))));
        System.out.printf("refill: instance 1 healthy again on %s after %d requests meanwhile, failed: %s%n",
                row.get("node"), load.answeredBy().values().stream().mapToInt(AtomicInteger::get).sum(), load.failures());

        assertThat(row.get("node")).isNotEqualTo("a-node-that-died");
        assertThat(load.failures()).as("the other instance answered meanwhile").isEmpty();
        assertThat(statuses(id)).containsExactly("HEALTHY", "HEALTHY");
        assertThat(jdbc.queryForObject("select state from workload where id = ?::uuid", String.class, id))
                .as("the deployment lives on").isEqualTo("RUNNING");
    }

    @Test
    void aRequestToAServiceWhoseInstancesAllScaledToZeroWakesOneOfThem() throws Exception {
        String json = who("dozy", 2).replace("{\"name\"", "{\"minInstances\":0,\"idleTimeoutSeconds\":1,\"name\"");
        String id = JsonPath.read(deploy(owner, tenant, json), "$.workloadId");
        // each started once the one before was healthy; with no request for a second both stop, and nothing is routed
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!statuses(id).equals(List.of("IDLE", "IDLE"))) {
            assertThat(System.nanoTime()).as("both idle: " + statuses(id)).isLessThan(end);
            Thread.sleep(50);
        }
        assertThat(registry.instances(tenant, "dozy")).isEmpty();

        HttpResponse<String> woken = get("dozy");
        assertThat(woken.statusCode()).isEqualTo(200);
        assertThat(woken.body()).startsWith("dozy ");
        // one instance woke for it; the other still sleeps
        assertThat(registry.instances(tenant, "dozy")).hasSize(1);
        end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!statuses(id).contains("HEALTHY")) {
            assertThat(System.nanoTime()).as("woken: " + statuses(id)).isLessThan(end);
            Thread.sleep(5);
        }
        assertThat(statuses(id)).containsExactlyInAnyOrder("HEALTHY", "IDLE");
    }

    private List<String> statuses(String deployment) {
        return jdbc.queryForList("""
                select d.status from service_deployment d
                where d.workload_id = ?::uuid or d.primary_id = ?::uuid order by d.ordinal""", String.class,
                deployment, deployment);
    }

    @Test
    void moreInstancesThanTheQuotaAllowsAreRefused() throws Exception {
        mvc.perform(as(owner, post("/api/v1/tenants/" + tenant + "/services"), who("crowd", 5)))
                .andExpect(status().isBadRequest())
                .andExpect(org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath("$.errors[0].message")
                        .value(org.hamcrest.Matchers.containsString("concurrent-workload quota")));
    }
}
