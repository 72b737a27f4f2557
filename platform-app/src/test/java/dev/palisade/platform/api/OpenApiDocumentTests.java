package dev.palisade.platform.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The OpenAPI document: it passes Spectral's OpenAPI ruleset, types every body, declares the
 * problem answers, and equals the published copy in {@code openapi/palisade-v1.json}, from which
 * clients are generated (acceptance-tests generates one and drives a workload with it). After a
 * change of the API, write the copy anew with {@code -Dpalisade.openapi.write=true}.
 */
class OpenApiDocumentTests extends ApiTestSupport {

    static final Path PUBLISHED = Path.of("openapi", "palisade-v1.json");
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT).enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

    String document;
    JsonNode tree;

    @BeforeEach
    void serve() throws Exception {
        document = mvc.perform(get("/v3/api-docs")).andExpect(status().isOk())
                .andReturn().getResponse().getContentAsString(StandardCharsets.UTF_8);
        tree = JSON.readTree(document);
    }

    @Test
    void passesSpectralsOpenApiRuleset() throws Exception {
        Path file = Files.createDirectories(Path.of("target", "openapi")).resolve("palisade-v1.json");
        Files.writeString(file, document);
        Process spectral;
        try {
            spectral = new ProcessBuilder("spectral", "lint", "--ruleset", "openapi/.spectral.yaml",
                    "--fail-severity", "warn", "--format", "text", file.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("the spectral command is missing: ops/install-test-packages.sh installs it", e);
        }
        String report = new String(spectral.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(spectral.waitFor(3, TimeUnit.MINUTES)).isTrue();
        assertThat(spectral.exitValue()).as("spectral lint:\n%s", report).isZero();
    }

    @Test
    void equalsThePublishedCopy() throws Exception {
        if (Boolean.getBoolean("palisade.openapi.write")) {
            Files.writeString(PUBLISHED, JSON.writeValueAsString(tree) + "\n");
        }
        assertThat(Files.exists(PUBLISHED)).as("published copy at %s", PUBLISHED.toAbsolutePath()).isTrue();
        assertThat(JSON.readTree(Files.readString(PUBLISHED)))
                .as("the API changed: write openapi/palisade-v1.json anew (-Dpalisade.openapi.write=true) and review")
                .isEqualTo(tree);
    }

    @Test
    void everyOperationIsNamedTaggedDescribedAndDeclaresItsProblems() {
        List<String> operations = new java.util.ArrayList<>();
        tree.get("paths").properties().forEach(path -> path.getValue().properties().forEach(method -> {
            JsonNode op = method.getValue();
            String where = method.getKey() + " " + path.getKey();
            operations.add(op.get("operationId").asString());
            assertThat(op.get("tags")).as(where).isNotEmpty();
            assertThat(op.path("description").asString()).as(where).isNotBlank();
            JsonNode responses = op.get("responses");
            assertThat(responses.get("401").get("$ref").asString()).as(where).isEqualTo("#/components/responses/Unauthorized");
            assertThat(responses.get("500")).as(where).isNotNull();
            responses.properties().stream().filter(r -> r.getKey().startsWith("2")).forEach(ok ->
                    ok.getValue().path("content").properties().forEach(media ->
                            assertThat(media.getValue().path("schema").path("type").asString())
                                    .as("%s %s answers a typed body", where, media.getKey()).isNotEqualTo("object")));
        }));
        assertThat(operations).doesNotHaveDuplicates().allMatch(id -> id.matches("[a-z][A-Za-z]+"));
        assertThat(tree.at("/components/responses/NotFound/content/application~1problem+json/schema/$ref").asString())
                .isEqualTo("#/components/schemas/Problem");
    }

    @Test
    void theWorkloadsJsonColumnsAreTyped() {
        JsonNode workload = tree.at("/components/schemas/Workload/properties");
        assertThat(workload.at("/command/type").asString()).isEqualTo("array");
        assertThat(workload.at("/command/items/type").asString()).isEqualTo("string");
        assertThat(workload.at("/env/type").asString()).isEqualTo("object");
        assertThat(workload.at("/env/additionalProperties/type").asString()).isEqualTo("string");
        assertThat(workload.at("/limits/$ref").asString()).isEqualTo("#/components/schemas/WorkloadLimits");
        assertThat(workload.at("/result/$ref").asString()).isEqualTo("#/components/schemas/WorkloadResult");
        assertThat(tree.at("/components/schemas/WorkloadResult/properties/syscallCounts/additionalProperties/type")
                .asString()).isEqualTo("integer");
        assertThat(tree.at("/paths/~1api~1v1~1tenants~1{tenant}~1workloads/post/responses/201/content/"
                + "application~1json/schema/$ref").asString()).isEqualTo("#/components/schemas/Workload");
    }
}
