package dev.palisade.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.client.ApiClient;
import dev.palisade.client.ApiException;
import dev.palisade.client.api.QuotaApi;
import dev.palisade.client.api.TenantsApi;
import dev.palisade.client.api.TokensApi;
import dev.palisade.client.api.WorkloadsApi;
import dev.palisade.client.model.CreateTenant;
import dev.palisade.client.model.MintToken;
import dev.palisade.client.model.Problem;
import dev.palisade.client.model.QuotaBody;
import dev.palisade.client.model.Workload;
import dev.palisade.client.model.WorkloadLimits;
import dev.palisade.client.model.WorkloadResult;
import dev.palisade.client.model.WorkloadSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The published OpenAPI document is enough to script Palisade: a Java client generated from
 * {@code platform-app/openapi/palisade-v1.json} at build time (openapi-generator, this module's
 * pom) mints a token, makes a tenant, runs a program in the sandbox and reads how it ended and
 * its log, all as typed objects, and reads refusals as problems.
 */
class GeneratedClientIT {

    private static final String ADMIN_PASSWORD = "generated-client-admin-pw";

    @Test
    void aGeneratedClientRunsAWorkloadEndToEnd(@TempDir Path dataDir) throws Exception {
        assumeTrue(Host.runsAsRoot(), "workloads run in the ptrace sandbox, which needs root");
        try (PalisadeProcess app = PalisadeProcess.start(dataDir, Map.of("PALISADE_ADMIN_PASSWORD", ADMIN_PASSWORD))) {
            String basic = "Basic " + Base64.getEncoder()
                    .encodeToString(("admin:" + ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8));
            String token = new TokensApi(client(app, basic)).mintToken(new MintToken().name("generated").expiresInDays(1),
                    null) // no second factor for this admin
                    .getToken();
            ApiClient api = client(app, "Bearer " + token);

            new TenantsApi(api).createTenant(new CreateTenant().slug("gen").displayName("Generated"));
            WorkloadsApi workloads = new WorkloadsApi(api);
            Workload submitted = workloads.submitWorkload("gen", new WorkloadSpec().name("answer")
                    .command(List.of("python3", "-c", "import os; print(6*7, os.environ['GREETING'])"))
                    .env(Map.of("GREETING", "hello")).limits(new WorkloadLimits().wallMillis(30_000L)));
            assertThat(submitted.getState()).isEqualTo(Workload.StateEnum.QUEUED);
            assertThat(submitted.getCommand()).containsExactly("python3", "-c",
                    "import os; print(6*7, os.environ['GREETING'])");
            assertThat(submitted.getEnv()).containsExactly(Map.entry("GREETING", "hello"));
            assertThat(submitted.getLimits().getWallMillis()).isEqualTo(30_000L);

            Workload done = awaitEnd(workloads, submitted.getId());
            assertThat(done.getState()).as("%s", done).isEqualTo(Workload.StateEnum.SUCCEEDED);
            assertThat(done.getExitCode()).isZero();
            WorkloadResult result = done.getResult();
            assertThat(result.getTermination()).isEqualTo(WorkloadResult.TerminationEnum.EXITED);
            assertThat(result.getSyscallCounts()).isNotEmpty();
            assertThat(result.getLogTruncated()).isFalse();
            assertThat(workloads.getWorkloadLogs("gen", submitted.getId().toString(), null, null, null)).isEqualTo("42 hello\n");
            assertThat(workloads.getWorkloadLogs("gen", submitted.getId().toString(), true, null, null))
                    .matches("\\d{4}-\\d{2}-\\d{2}T[0-9:.]+Z stdout 42 hello\n");
            assertThat(workloads.listWorkloads("gen", "SUCCEEDED", 0, 20, "createdAt,desc").getContent())
                    .extracting(Workload::getId).containsExactly(submitted.getId());

            // refusals come back as problems the client reads with its own model
            ApiException missing = catchThrowableOfType(ApiException.class,
                    () -> workloads.getWorkload("gen", UUID.randomUUID().toString()));
            assertThat(missing.getCode()).isEqualTo(404);
            assertThat(problem(api, missing).getStatus()).isEqualTo(404);

            new QuotaApi(api).replaceQuota("gen", new QuotaBody().maxConcurrentWorkloads(2).maxCpuMillis(1000L)
                    .maxWallMillis(10_000L).maxMemoryBytes(268_435_456L).maxProcesses(16).maxOutputBytes(65_536L)
                    .cpuSecondsPerMonth(3600L).storageBytes(104_857_600L));
            ApiException refused = catchThrowableOfType(ApiException.class, () -> workloads.submitWorkload("gen",
                    new WorkloadSpec().command(List.of("/bin/true")).limits(new WorkloadLimits().cpuMillis(5000L))));
            assertThat(refused.getCode()).isEqualTo(422);
            Problem overQuota = problem(api, refused);
            assertThat(overQuota.getTitle()).isEqualTo("Over quota");
            assertThat(overQuota.getLimit()).isEqualTo("maxCpuMillis");
            assertThat(overQuota.getWorkloadId()).isNotNull();
        }
    }

    private static ApiClient client(PalisadeProcess app, String authorization) {
        ApiClient client = new ApiClient();
        client.updateBaseUri(app.baseUrl());
        client.setRequestInterceptor(request -> request.header("Authorization", authorization));
        return client;
    }

    private static Problem problem(ApiClient api, ApiException e) throws Exception {
        assertThat(e.getResponseHeaders().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        return api.getObjectMapper().readValue(e.getResponseBody(), Problem.class);
    }

    private static Workload awaitEnd(WorkloadsApi workloads, UUID id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            Workload w = workloads.getWorkload("gen", id.toString());
            if (w.getFinishedAt() != null || System.nanoTime() > deadline) {
                return w;
            }
            Thread.sleep(200);
        }
    }
}
