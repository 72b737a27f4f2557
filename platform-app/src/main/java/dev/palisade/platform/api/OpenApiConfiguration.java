package dev.palisade.platform.api;

import dev.palisade.platform.security.Caller;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.info.Contact;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.utils.SpringDocUtils;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document of REST API v1 ({@code /v3/api-docs}): its description, and the error
 * answers every operation can give, declared once as reusable responses with the problem schema
 * (RFC 9457) and attached to each operation by what it takes. An operation declares only what
 * is its own (its success, 422/429 at admission); {@code platform-app/openapi/palisade-v1.json}
 * is the document as published, kept equal to this one by a test.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    static final String PROBLEM = "Problem";

    /** What the parameters many operations share mean, where an operation does not say. */
    private static final Map<String, String> PARAMETERS = Map.of(
            "tenant", "the tenant's slug",
            "page", "page number, from 0",
            "size", "items per page (default 20; at most palisade.api.max-page-size, 100 unless configured)",
            "sort", "field and direction, e.g. createdAt,desc; the fields are in the operation's description",
            "id", "the resource's id",
            "name", "the name");

    /** Reusable error responses by status: component name and description. */
    private static final Map<String, String[]> ERRORS = new LinkedHashMap<>();

    static {
        // the authenticated caller is resolved from the security context, not sent by clients
        SpringDocUtils.getConfig().addRequestWrapperToIgnore(Caller.class);
        ERRORS.put("400", new String[] {"BadRequest", "The request is malformed or a field is invalid; `errors` names "
                + "each field at fault"});
        ERRORS.put("401", new String[] {"Unauthorized", "No valid bearer token (or HTTP Basic credentials where "
                + "accepted) came with the request"});
        ERRORS.put("403", new String[] {"Forbidden", "The caller's role does not allow this"});
        ERRORS.put("404", new String[] {"NotFound", "No such resource, or one of another tenant (answered alike)"});
        ERRORS.put("409", new String[] {"Conflict", "The change conflicts with existing data or state"});
        ERRORS.put("413", new String[] {"ContentTooLarge", "The body is larger than the API accepts"});
        ERRORS.put("422", new String[] {"OverQuota", "Refused at admission: over a limit that waiting will not "
                + "change; `limit`, `quota` and `usage` say which"});
        ERRORS.put("429", new String[] {"QuotaBusy", "Refused at admission: over a limit that frees up as work "
                + "ends (concurrency, queue); `limit`, `quota` and `usage` say which"});
        ERRORS.put("500", new String[] {"InternalError", "An unexpected error; the detail never carries internals"});
    }

    /** The reference an operation's annotation uses for a shared error response, e.g. {@code ref = "OverQuota"}. */
    static String ref(String status) {
        return "#/components/responses/" + ERRORS.get(status)[0];
    }

    @Bean
    OpenAPI palisadeOpenApi() {
        Components components = new Components()
                .addSecuritySchemes("bearer", new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")
                        .description("An API token, minted with POST /api/v1/tokens"))
                .addSecuritySchemes("basic", new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("basic")
                        .description("A user's name and password; accepted by POST /api/v1/tokens to mint the first token"))
                .addSchemas(PROBLEM, problemSchema());
        ERRORS.forEach((status, r) -> components.addResponses(r[0], new ApiResponse().description(r[1])
                .content(new Content().addMediaType(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                        new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM))))));
        return new OpenAPI()
                .info(new Info().title("Palisade REST API").version("v1")
                        .description("""
                                Run untrusted programs in a user-space syscall sandbox, multitenant: tenants and their \
                                quotas, users and API tokens; workloads (submit, follow the log, fetch artifacts, \
                                cancel), hosted services, images, usage, security events and the audit log.

                                Authenticate with `Authorization: Bearer <token>`; mint the first token with HTTP Basic \
                                on `POST /api/v1/tokens`. `{tenant}` is a tenant's slug: a tenant's users see only \
                                their own tenant, and another tenant's resources answer 404 as if they did not exist. \
                                Every error is `application/problem+json` (RFC 9457). Lists are pages: `page` from 0, \
                                `size` 20 by default, `sort` as `field,asc|desc`.""")
                        .contact(new Contact().name("The operators of this Palisade instance")))
                .servers(List.of(new Server().url("http://localhost:8080").description("an instance started with the "
                        + "README's run command")))
                .components(components)
                .addSecurityItem(new SecurityRequirement().addList("bearer"));
    }

    /**
     * Attaches the shared error responses to every operation by what it takes: 400 to one with a
     * body or parameters, 404 to one addressed by path, 409 to writes, 413 to one with a body,
     * 403 unless it acts on the caller's own things only (tokens); 401 and 500 to all.
     */
    @Bean
    OpenApiCustomizer problemResponses() {
        return openApi -> openApi.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, op) -> {
            if (op.getParameters() != null) {
                op.getParameters().stream().filter(p -> p.getDescription() == null)
                        .forEach(p -> p.setDescription(PARAMETERS.get(p.getName())));
            }
            jsonFirst(op);
            ApiResponses responses = op.getResponses();
            boolean body = op.getRequestBody() != null;
            boolean parameters = op.getParameters() != null && !op.getParameters().isEmpty();
            boolean write = method == PathItem.HttpMethod.POST || method == PathItem.HttpMethod.PUT
                    || method == PathItem.HttpMethod.PATCH;
            add(responses, "400", body || parameters);
            add(responses, "401", true);
            add(responses, "403", !path.startsWith("/api/v1/tokens"));
            add(responses, "404", path.contains("{"));
            add(responses, "409", write);
            add(responses, "413", body);
            add(responses, "500", true);
        }));
    }

    /** The document's tags in one order, whatever order the controllers were found in. */
    @Bean
    OpenApiCustomizer sortedTags() {
        return openApi -> {
            if (openApi.getTags() != null) {
                openApi.getTags().sort(java.util.Comparator.comparing(io.swagger.v3.oas.models.tags.Tag::getName));
            }
        };
    }

    /**
     * A body taken as JSON or as multipart (a workload with input files) lists JSON first: client
     * generators make their method of the first, and the JSON one has the typed spec.
     */
    private static void jsonFirst(Operation op) {
        Content content = op.getRequestBody() == null ? null : op.getRequestBody().getContent();
        String json = org.springframework.http.MediaType.APPLICATION_JSON_VALUE;
        if (content != null && content.size() > 1 && content.containsKey(json)) {
            Content ordered = new Content().addMediaType(json, content.get(json));
            content.forEach((type, media) -> ordered.putIfAbsent(type, media));
            op.getRequestBody().setContent(ordered);
        }
    }

    private static void add(ApiResponses responses, String status, boolean applies) {
        if (applies && !responses.containsKey(status)) {
            responses.addApiResponse(status, new ApiResponse().$ref(ref(status)));
        }
    }

    private static Schema<?> problemSchema() {
        Schema<?> fieldError = new ObjectSchema()
                .addProperty("field", new StringSchema().description("the field at fault, as a JSON path").example("command[0]"))
                .addProperty("message", new StringSchema().description("what is wrong with it").example("must be a non-empty string"));
        Schema<?> problem = new ObjectSchema()
                .description("An error (RFC 9457). Refusals at admission add `limit`, `quota`, `usage` and, for a "
                        + "workload, `workloadId`.")
                .addProperty("type", new StringSchema().format("uri").description("what kind of problem; "
                        + "about:blank unless it has a type of its own").example("urn:palisade:problem:quota"))
                .addProperty("title", new StringSchema().example("Over quota"))
                .addProperty("status", new IntegerSchema().example(422))
                .addProperty("detail", new StringSchema().description("what went wrong, for a person")
                        .example("maxCpuMillis 999999999 exceeds the quota's 60000"))
                .addProperty("instance", new StringSchema().format("uri-reference")
                        .example("/api/v1/tenants/acme/workloads"))
                .addProperty("errors", new ArraySchema().items(fieldError)
                        .description("with 400 Invalid request: each field at fault"))
                .addProperty("limit", new StringSchema().description("with 422/429: the limit refused").example("maxCpuMillis"))
                .addProperty("quota", new Schema<>().description("with 422/429: the quota's value of that limit"))
                .addProperty("usage", new Schema<>().description("with 422/429: what the tenant uses or asked for"))
                .addProperty("workloadId", new StringSchema().format("uuid")
                        .description("with a refused submit: the workload stored as REJECTED"));
        problem.setAdditionalProperties(true);
        return problem;
    }
}
