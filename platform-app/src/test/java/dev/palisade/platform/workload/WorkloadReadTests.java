package dev.palisade.platform.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.patch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.model.tenant.TenantService;
import dev.palisade.model.workload.Workload;
import dev.palisade.model.workload.WorkloadService;
import dev.palisade.model.workload.WorkloadState;
import dev.palisade.platform.api.ApiTestSupport;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The API's workload reads (plain SQL, {@link WorkloadReads}) answer the same JSON as the entity
 * mapping with its JSON columns as trees (the wire format before they were typed), page like before and stay inside the caller's tenant. No
 * worker runs here: the rows are what submit stored, and a finished one gets the columns a worker
 * writes (result JSON included) from the statement the worker itself uses.
 */
@TestPropertySource(properties = "palisade.dispatcher.enabled=false")
class WorkloadReadTests extends ApiTestSupport {

    @Autowired
    WorkloadService workloads;

    @Autowired
    TenantService tenants;

    @Autowired
    JsonMapper json;

    @Autowired
    dev.palisade.platform.dispatch.WorkloadStore store;

    String admin;
    String tenant;
    String member;

    @BeforeEach
    void tenantWithAMember() throws Exception {
        admin = adminToken();
        tenant = createTenant(admin);
        member = userToken(admin, tenant, unique("dev"), "TENANT_MEMBER");
    }

    private String submit(String token, String slug, String spec) throws Exception {
        String body = mvc.perform(as(token, post("/api/v1/tenants/" + slug + "/workloads"), spec))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        return JsonPath.read(body, "$.id");
    }

    private String read(String token, String path) throws Exception {
        return mvc.perform(as(token, get("/api/v1/tenants/" + tenant + path)))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString(StandardCharsets.UTF_8);
    }

    /**
     * What the API answered before its reads became SQL: the JPA entity, its JSON columns parsed
     * into trees, written by the app's mapper.
     */
    private String throughTheEntity(String id) {
        Workload w = workloads.get(tenants.lookUp(tenant).orElseThrow(), UUID.fromString(id));
        return json.writeValueAsString(new Reference(w.getId(), tenant, w.getName(), w.getImage(), tree(w.getCommand()),
                tree(w.getEnv()), w.getPlatform(), tree(w.getLimits()), w.getState(), w.getExitCode(),
                w.getTerminationReason(), w.getMessage(), w.getCpuMillis(), w.getWallMillis(), w.getPeakMemoryBytes(),
                null /* the node: never shown to a tenant */, w.getAttempts(), w.getMaxAttempts(), w.isCancelRequested(),
                w.getInputBytes(), w.getLogBytes(), w.getArtifactBytes(), w.getCreatedAt(), w.getStartedAt(),
                w.getFinishedAt(), tree(w.getResult()), w.getKind()));
    }

    private JsonNode tree(String s) {
        return s == null ? null : json.readTree(s);
    }

    /** The response as the entity mapping built it, JSON columns as trees. */
    record Reference(UUID id, String tenant, String name, String image, JsonNode command, JsonNode env,
            String platform, JsonNode limits, WorkloadState state, Integer exitCode, String terminationReason,
            String message, Long cpuMillis, Long wallMillis, Long peakMemoryBytes, String node, int attempts,
            int maxAttempts, boolean cancelRequested, long inputBytes, long logBytes, long artifactBytes,
            Instant createdAt, Instant startedAt, Instant finishedAt, JsonNode result, String kind) {
    }

    @Test
    void oneWorkloadAndAPageAreTheJsonTheEntityMappingWrote() throws Exception {
        // quotes, backslashes, control characters, non-ASCII and key orders that jsonb rearranges
        String hostile = submit(member, tenant, """
                {"name":"odd.name_1","command":["/bin/echo","a \\"quoted\\" \\\\ back\\u0001slash","tab\\there","é€😀","sep\u2028par\u2029del\u007f/slash"],
                 "env":{"ZETA":"last","A":"x\\u001by","MIDDLE_KEY":"line\\nbreak</script>"},
                 "limits":{"cpuMillis":1500,"memoryBytes":33554432},"maxAttempts":3}""");
        String finished = submit(member, tenant, """
                {"name":"done","command":["/bin/true"]}""");
        // the columns a worker fills when it ends a run, through the worker's own statement
        jdbc.update("update workload set state = 'RUNNING', node = 'node-a', attempts = 1, started_at = now() "
                + "where id = ?::uuid", finished);
        store.finish(UUID.fromString(finished), "node-a", 1, new dev.palisade.platform.dispatch.WorkloadStore.Outcome(
                "SUCCEEDED", 0, "exited", "exit 0", 12L, 34L, 56789L, json.writeValueAsString(Map.of(
                        "syscallCounts", Map.of("write", 3, "exit_group", 1), "deniedCalls", List.of(
                                // as the worker writes it: no host pid (WorkloadResult.Denied)
                                Map.of("number", 165, "name", "mount", "errno", 1, "action", "deny",
                                        "detail", "\"/\u0002\"")), "logTruncated", false,
                        "cpuNanos", 12_345_678_901L)), null));

        for (String id : List.of(hostile, finished)) {
            assertThat(tree(read(member, "/workloads/" + id))).isEqualTo(tree(throughTheEntity(id)));
        }
        assertThat(JsonPath.<String>read(read(member, "/workloads/" + finished), "$.state")).isEqualTo("SUCCEEDED");
        String page = read(member, "/workloads?size=20");
        List<String> items = new ArrayList<>();
        for (String id : List.of(finished, hostile)) { // newest first
            items.add(throughTheEntity(id));
        }
        assertThat(tree(page)).isEqualTo(tree("{\"content\":[" + String.join(",", items)
                + "],\"page\":0,\"size\":20,\"totalElements\":2,\"totalPages\":1}"));

        // the submit's own answer comes from the new entity, before jsonb reorders keys or PostgreSQL rounds
        // the time to microseconds (as before): JSON as Jackson writes it, the same values as a read
        String fresh = mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/workloads"), """
                {"name":"fresh","command":["/bin/echo","x\\u001fy"],"env":{"B":"1","AA":"2"}}"""))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString(StandardCharsets.UTF_8);
        assertThat(fresh).contains("\"command\":[\"/bin/echo\",\"x\\u001Fy\"],\"env\":{\"B\":\"1\",\"AA\":\"2\"},");
        String freshId = JsonPath.read(fresh, "$.id");
        assertThat(((ObjectNode) json.readTree(fresh)).without("createdAt"))
                .isEqualTo(((ObjectNode) json.readTree(read(member, "/workloads/" + freshId))).without("createdAt"));
    }

    @Test
    void aRefusedSubmitIsStoredRejectedWithItsReason() throws Exception {
        String problem = mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/workloads"), """
                {"name":"greedy","command":["/bin/true"],"limits":{"cpuMillis":999999999}}"""))
                .andExpect(status().is4xxClientError()).andExpect(jsonPath("$.limit").value("maxCpuMillis"))
                .andReturn().getResponse().getContentAsString();
        String id = JsonPath.read(problem, "$.workloadId");
        String stored = read(member, "/workloads/" + id);
        assertThat(tree(stored)).isEqualTo(tree(throughTheEntity(id)));
        assertThat(JsonPath.<String>read(stored, "$.state")).isEqualTo("REJECTED");
        assertThat(JsonPath.<String>read(stored, "$.terminationReason")).isEqualTo("rejected");
        assertThat(JsonPath.<String>read(stored, "$.message")).contains("maxCpuMillis");
        assertThat(JsonPath.<String>read(stored, "$.finishedAt")).isEqualTo(JsonPath.read(stored, "$.createdAt"));
        assertThat(JsonPath.<String>read(read(member, "/workloads?state=REJECTED"), "$.content[0].id")).isEqualTo(id);
    }

    @Test
    void pagesCountSortAndFilterLikeBefore() throws Exception {
        List<String> ids = new ArrayList<>();
        for (String name : List.of("c", "a", "e", "b", "d")) {
            ids.add(submit(member, tenant, "{\"name\":\"" + name + "\",\"command\":[\"/bin/true\"]}"));
        }
        String first = read(member, "/workloads?size=2");
        assertThat(JsonPath.<List<String>>read(first, "$.content[*].id")).containsExactly(ids.get(4), ids.get(3));
        assertThat(JsonPath.<Integer>read(first, "$.totalElements")).isEqualTo(5);
        assertThat(JsonPath.<Integer>read(first, "$.totalPages")).isEqualTo(3);
        String last = read(member, "/workloads?size=2&page=2");
        assertThat(JsonPath.<List<String>>read(last, "$.content[*].id")).containsExactly(ids.get(0));
        assertThat(JsonPath.<Integer>read(last, "$.totalElements")).isEqualTo(5);
        // past the end: no row to carry the total, which is still told
        String beyond = read(member, "/workloads?size=2&page=7");
        assertThat(JsonPath.<List<String>>read(beyond, "$.content")).isEmpty();
        assertThat(JsonPath.<Integer>read(beyond, "$.totalElements")).isEqualTo(5);
        assertThat(JsonPath.<Integer>read(beyond, "$.page")).isEqualTo(7);

        assertThat(JsonPath.<List<String>>read(read(member, "/workloads?sort=name"), "$.content[*].name"))
                .containsExactly("a", "b", "c", "d", "e");
        assertThat(JsonPath.<List<String>>read(read(member, "/workloads?sort=name,desc&size=3"), "$.content[*].name"))
                .containsExactly("e", "d", "c");

        jdbc.update("update workload set state = 'CANCELLED', finished_at = now() where id = ?::uuid", ids.get(1));
        String cancelled = read(member, "/workloads?state=cancelled");
        assertThat(JsonPath.<List<String>>read(cancelled, "$.content[*].id")).containsExactly(ids.get(1));
        assertThat(JsonPath.<Integer>read(cancelled, "$.totalElements")).isEqualTo(1);
        assertThat(JsonPath.<Integer>read(read(member, "/workloads?state=QUEUED&size=1"), "$.totalElements"))
                .isEqualTo(4);

        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads?sort=tenant_id")))
                .andExpect(status().isBadRequest()).andExpect(jsonPath("$.errors[0].field").value("sort"));
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads?sort=created_at")))
                .andExpect(status().isBadRequest());
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads?state=DONE")))
                .andExpect(status().isBadRequest()).andExpect(jsonPath("$.errors[0].field").value("state"));
    }

    @Test
    void anotherTenantsWorkloadIsNotFoundEvenUnderTheOwnTenantsPath() throws Exception {
        String id = submit(member, tenant, "{\"name\":\"mine\",\"command\":[\"/bin/true\"]}");
        String other = createTenant(admin);
        String stranger = userToken(admin, other, unique("eve"), "TENANT_ADMIN");

        mvc.perform(as(stranger, get("/api/v1/tenants/" + other + "/workloads/" + id)))
                .andExpect(status().isNotFound());
        mvc.perform(as(stranger, get("/api/v1/tenants/" + tenant + "/workloads/" + id)))
                .andExpect(status().isNotFound()).andExpect(jsonPath("$.detail").value("no tenant '" + tenant + "'"));
        mvc.perform(as(stranger, get("/api/v1/tenants/" + tenant + "/workloads")))
                .andExpect(status().isNotFound());
        assertThat(JsonPath.<Integer>read(mvc.perform(as(stranger, get("/api/v1/tenants/" + other + "/workloads")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString(), "$.totalElements"))
                .isZero();
        // the platform admin reads any tenant; a tenant that does not exist is told apart from a missing workload
        assertThat(tree(read(admin, "/workloads/" + id))).isEqualTo(tree(throughTheEntity(id)));
        mvc.perform(as(admin, get("/api/v1/tenants/no-such-tenant/workloads/" + id)))
                .andExpect(status().isNotFound()).andExpect(jsonPath("$.detail").value("no tenant 'no-such-tenant'"));
        mvc.perform(as(admin, get("/api/v1/tenants/" + tenant + "/workloads/" + UUID.randomUUID())))
                .andExpect(status().isNotFound()).andExpect(jsonPath("$.detail").value(
                        org.hamcrest.Matchers.startsWith("no workload ")));
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/not-a-uuid")))
                .andExpect(status().isNotFound());
    }

    @Test
    void aSuspendedTenantsMemberCanReadNothingFromTheNextRequestOn() throws Exception {
        String id = submit(member, tenant, "{\"name\":\"mine\",\"command\":[\"/bin/true\"]}");
        read(member, "/workloads/" + id);
        mvc.perform(as(admin, patch("/api/v1/tenants/" + tenant), "{\"status\":\"SUSPENDED\"}"))
                .andExpect(status().isOk());
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads/" + id)))
                .andExpect(status().isUnauthorized());
        mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads")))
                .andExpect(status().isUnauthorized());
        // the admin still sees the suspended tenant's workloads
        assertThat(tree(read(admin, "/workloads/" + id))).isEqualTo(tree(throughTheEntity(id)));
    }
}
