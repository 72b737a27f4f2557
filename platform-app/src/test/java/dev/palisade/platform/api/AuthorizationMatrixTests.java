package dev.palisade.platform.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.request;

import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.tenant.TenantService;
import dev.palisade.model.token.TokenService;
import dev.palisade.model.user.Role;
import dev.palisade.model.user.UserService;
import dev.palisade.model.workload.NewWorkload;
import dev.palisade.model.workload.WorkloadLimits;
import dev.palisade.model.workload.WorkloadService;
import dev.palisade.platform.TestArchives;
import dev.palisade.platform.TestImages;
import dev.palisade.platform.image.TenantImages;
import dev.palisade.platform.secret.SecretVault;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.DynamicTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.mock.web.MockMultipartFile;
import org.springframework.test.web.servlet.request.AbstractMockHttpServletRequestBuilder;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * Who may call what: every handler method the application maps, called by each role (anonymous,
 * a member, a tenant admin, another tenant's admin, a platform admin) on its own tenant's object
 * and on another tenant's, asserting the status and that nothing of the other tenant comes back
 * (no slug, name or id of the other tenant's that the request did not itself carry). A handler
 * method without a row fails {@link #everyMappedHandlerMethodHasARow}: a new endpoint cannot
 * ship without deciding who may call it.
 *
 * <p>Each row runs on two fresh tenants, A and B, each with a member and a tenant admin; an
 * object a row names ({@link Obj}) is made afresh for every call, so that a call that deletes or
 * stops it leaves the next call its own.
 */
class AuthorizationMatrixTests extends ApiTestSupport {

    /**
     * A data directory of its own: the rows make tenant databases, whose embedded cluster lives
     * there, and another context on the same directory (a default one) would find that cluster
     * made and try to start it while this context's own runs.
     */
    @DynamicPropertySource
    static void ownDataDir(DynamicPropertyRegistry registry) throws IOException {
        String dir = Files.createTempDirectory("palisade-matrix-tests").toString();
        registry.add("palisade.data-dir", () -> dir);
    }

    /** What a row's path variables ({tenant}, {slug}, {id}, {name}) point at. */
    enum Obj {
        /** no object of a tenant: one call per role, and still nothing of the other tenant in the answer */
        NONE,
        /** the tenant itself */
        TENANT,
        /** a queued job */
        WORKLOAD,
        /** a queued service deployment ({name} and, for the console, {id}: its workload) */
        SERVICE,
        /** a stopped service */
        STOPPED_SERVICE,
        /** a member of the tenant */
        USER,
        /** an API token: the caller's own, or one of the other tenant's member (for every role) */
        TOKEN,
        /** a secret of the tenant ({name}), set through the real {@link SecretVault} */
        SECRET,
        /** an image of the tenant's own ({name}), uploaded through the real {@link TenantImages} */
        IMAGE,
        /** a suspended cron job of the tenant ({name}): nothing fires while the row runs */
        CRON_JOB,
        /** a webhook of the tenant ({id}) whose URL refuses connections */
        WEBHOOK,
        /** a volume of the tenant ({name}) that no node holds yet: the first that mounts it makes it */
        VOLUME,
        /** a database of the tenant ({name}), as a row only: its drop on the server finds nothing to drop */
        DATABASE,
        /** a custom domain of the tenant ({host}) with no certificate yet */
        DOMAIN
    }

    /**
     * One handler method. {@code key}: its method and path pattern as mapped, plus "multipart",
     * "event-stream" or "html" where two handler methods share them. Statuses: anonymous; member,
     * tenant admin and platform admin on an object of their own tenant; {@code foreign}: a
     * tenant's user on another tenant's object (or 403, for a role refused on its own tenant's). {@code body}: JSON for the API, form fields
     * ({@code a=1&b=2}) for the console; {unique} is replaced by a fresh name.
     */
    record Row(String key, Obj obj, int anonymous, int member, int tenantAdmin, int platformAdmin, int foreign,
            String body) {

        Row body(String b) {
            return new Row(key, obj, anonymous, member, tenantAdmin, platformAdmin, foreign, b);
        }

        Row foreign(int status) {
            return new Row(key, obj, anonymous, member, tenantAdmin, platformAdmin, status, body);
        }
    }

    /** A REST API call: anonymous 401, another tenant's object 404. */
    static Row api(String key, Obj obj, int member, int tenantAdmin, int platformAdmin) {
        return new Row(key, obj, 401, member, tenantAdmin, platformAdmin, 404, null);
    }

    /** A console or portal page: anonymous is sent to the login page, another tenant's object 404. */
    static Row page(String key, Obj obj, int member, int tenantAdmin, int platformAdmin) {
        return new Row(key, obj, 302, member, tenantAdmin, platformAdmin, 404, null);
    }

    /** Open to everybody, signed in or not. */
    static Row open(String key, int status) {
        return new Row(key, Obj.NONE, status, status, status, status, status, null);
    }

    static final String SERVICE_JSON = "{\"name\":\"{unique}\",\"port\":8000,\"restartPolicy\":\"NEVER\","
            + "\"command\":[\"/bin/true\"]}";
    static final String WORKLOAD_JSON = "{\"name\":\"{unique}\",\"image\":\"host\",\"command\":[\"/bin/true\"]}";
    static final String SECRET_JSON = "{\"value\":\"v2\"}";
    static final String VOLUME_JSON = "{\"name\":\"{unique}\",\"sizeBytes\":16777216}";
    static final String DATABASE_JSON = "{\"name\":\"{unique}\",\"sizeBytes\":16777216,\"secretName\":\"{unique}\"}";
    static final String CRON_JOB_JSON = "{\"name\":\"{unique}\",\"cron\":\"0 3 * * *\",\"suspended\":true,"
            + "\"workload\":{\"command\":[\"/bin/true\"]}}";
    /** Nothing listens on the discard port of the loopback: a delivery fails at once and is retried later. */
    static final String WEBHOOK_URL = "http://127.0.0.1:9/hook";
    /** A wrong current password: refused past the role check, so that the shared platform admin keeps its own. */
    static final String WRONG_PASSWORD = "not-the-current-password";
    static final String SERVICE_FORM = "name={unique}&image=host&command=/bin/true&port=8000&restartPolicy=NEVER";
    static final String QUOTA_FORM = "maxConcurrentWorkloads=4&maxCpuSeconds=60&maxWallSeconds=300&maxMemoryMib=512"
            + "&maxProcesses=64&maxOutputMib=10&cpuSecondsPerMonth=36000&storageMib=1024";

    // HOW TO ADD A ROW: one line per handler method; the key is printed by
    // everyMappedHandlerMethodHasARow when a row is missing. Pick the builder by where it lives
    // (api: /api/**, page: console and portal, open: no login), the object its path variables
    // name (Obj), then the status a member, a tenant admin and a platform admin get on their own
    // tenant's object; chain .body(...) for a request body and .foreign(...) when another
    // tenant's object answers something else than 404. Keep rows grouped by controller.
    static final List<Row> ROWS = List.of(
            // TenantController
            api("POST /api/v1/tenants", Obj.NONE, 403, 403, 201).body("{\"slug\":\"{unique}\",\"displayName\":\"New\"}"),
            api("GET /api/v1/tenants", Obj.NONE, 403, 403, 200),
            api("GET /api/v1/tenants/{tenant}", Obj.TENANT, 403, 403, 200),
            api("PATCH /api/v1/tenants/{tenant}", Obj.TENANT, 403, 403, 200).body("{\"displayName\":\"Renamed\"}"),
            api("DELETE /api/v1/tenants/{tenant}", Obj.TENANT, 403, 403, 204),
            // QuotaController
            api("GET /api/v1/tenants/{tenant}/quota", Obj.TENANT, 200, 200, 200),
            api("PUT /api/v1/tenants/{tenant}/quota", Obj.TENANT, 403, 403, 200).body(QUOTA_JSON),
            // RetentionController
            api("GET /api/v1/tenants/{tenant}/retention", Obj.TENANT, 200, 200, 200),
            api("PUT /api/v1/tenants/{tenant}/retention", Obj.TENANT, 403, 200, 200).body("{\"days\":60}"),
            // UserController
            api("POST /api/v1/tenants/{tenant}/users", Obj.TENANT, 403, 201, 201)
                    .body("{\"username\":\"{unique}\",\"password\":\"" + PASSWORD + "\",\"role\":\"TENANT_MEMBER\"}"),
            api("GET /api/v1/tenants/{tenant}/users", Obj.TENANT, 403, 200, 200),
            // TokenController
            api("POST /api/v1/tokens", Obj.NONE, 201, 201, 201).body("{\"name\":\"{unique}\"}"),
            api("GET /api/v1/tokens", Obj.NONE, 200, 200, 200),
            api("GET /api/v1/tokens/{id}", Obj.TOKEN, 200, 200, 200),
            api("DELETE /api/v1/tokens/{id}", Obj.TOKEN, 204, 204, 204),
            // AuditController, SecurityEventController
            api("GET /api/v1/audit", Obj.NONE, 403, 403, 200),
            api("GET /api/v1/security-events", Obj.NONE, 403, 403, 200),
            // ImageController (a platform admin's import of no archive is refused past the role check)
            api("GET /api/v1/images", Obj.NONE, 200, 200, 200),
            api("POST /api/v1/images multipart", Obj.NONE, 403, 403, 400),
            // a tenant's own images: members read, tenant admins upload (a real image archive, as a body or a form) and delete
            api("GET /api/v1/tenants/{tenant}/images", Obj.TENANT, 200, 200, 200),
            api("GET /api/v1/tenants/{tenant}/images/{name}", Obj.IMAGE, 200, 200, 200),
            api("POST /api/v1/tenants/{tenant}/images", Obj.TENANT, 403, 201, 201),
            api("POST /api/v1/tenants/{tenant}/images multipart", Obj.TENANT, 403, 201, 201),
            api("DELETE /api/v1/tenants/{tenant}/images/{name}", Obj.IMAGE, 403, 204, 204),
            // WorkloadController
            api("POST /api/v1/tenants/{tenant}/workloads", Obj.TENANT, 201, 201, 201).body(WORKLOAD_JSON),
            api("POST /api/v1/tenants/{tenant}/workloads multipart", Obj.TENANT, 201, 201, 201).body(WORKLOAD_JSON),
            api("GET /api/v1/tenants/{tenant}/workloads", Obj.TENANT, 200, 200, 200),
            api("GET /api/v1/tenants/{tenant}/workloads/{id}", Obj.WORKLOAD, 200, 200, 200),
            api("POST /api/v1/tenants/{tenant}/workloads/{id}/cancel", Obj.WORKLOAD, 200, 200, 200),
            api("GET /api/v1/tenants/{tenant}/workloads/{id}/logs", Obj.WORKLOAD, 200, 200, 200),
            api("GET /api/v1/tenants/{tenant}/workloads/{id}/logs event-stream", Obj.WORKLOAD, 200, 200, 200),
            // a queued job has no artifacts yet: 404 past the access check, and the leak check still applies
            api("GET /api/v1/tenants/{tenant}/workloads/{id}/artifacts", Obj.WORKLOAD, 404, 404, 404),
            api("GET /api/v1/tenants/{tenant}/usage", Obj.TENANT, 200, 200, 200),
            // ServiceController
            api("POST /api/v1/tenants/{tenant}/services", Obj.TENANT, 201, 201, 201).body(SERVICE_JSON),
            api("GET /api/v1/tenants/{tenant}/services", Obj.TENANT, 200, 200, 200),
            api("GET /api/v1/tenants/{tenant}/services/{name}", Obj.SERVICE, 200, 200, 200),
            api("GET /api/v1/tenants/{tenant}/services/{name}/deployments", Obj.SERVICE, 200, 200, 200),
            api("POST /api/v1/tenants/{tenant}/services/{name}/stop", Obj.SERVICE, 200, 200, 200),
            api("POST /api/v1/tenants/{tenant}/services/{name}/start", Obj.STOPPED_SERVICE, 201, 201, 201),
            // a code archive (a real .zip) with the spec
            api("POST /api/v1/tenants/{tenant}/services multipart", Obj.TENANT, 201, 201, 201).body(SERVICE_JSON),
            api("POST /api/v1/tenants/{tenant}/services/{name}/redeploy", Obj.STOPPED_SERVICE, 201, 201, 201),
            // back to the one deployment there is: named, as the console's history does
            api("POST /api/v1/tenants/{tenant}/services/{name}/rollback", Obj.STOPPED_SERVICE, 201, 201, 201)
                    .body("{\"deployment\":\"{id}\"}"),
            api("DELETE /api/v1/tenants/{tenant}/services/{name}", Obj.STOPPED_SERVICE, 204, 204, 204),
            // SecretController: members list, tenant admins set and delete, the platform admin rotates the key
            api("GET /api/v1/tenants/{tenant}/secrets", Obj.TENANT, 200, 200, 200),
            api("GET /api/v1/tenants/{tenant}/secrets/{name}", Obj.SECRET, 200, 200, 200),
            // a set of an existing secret is its next version: 200 (a new one is 201)
            api("PUT /api/v1/tenants/{tenant}/secrets/{name}", Obj.SECRET, 403, 200, 200).body(SECRET_JSON),
            api("DELETE /api/v1/tenants/{tenant}/secrets/{name}", Obj.SECRET, 403, 204, 204),
            api("POST /api/v1/secret-keys/rotate", Obj.NONE, 403, 403, 200),
            // VolumeController: members list and export, tenant admins create, import and delete
            api("GET /api/v1/tenants/{tenant}/volumes", Obj.TENANT, 200, 200, 200),
            api("GET /api/v1/tenants/{tenant}/volumes/{name}", Obj.VOLUME, 200, 200, 200),
            api("POST /api/v1/tenants/{tenant}/volumes", Obj.TENANT, 403, 201, 201).body(VOLUME_JSON),
            api("DELETE /api/v1/tenants/{tenant}/volumes/{name}", Obj.VOLUME, 403, 204, 204),
            api("GET /api/v1/tenants/{tenant}/volumes/{name}/archive", Obj.VOLUME, 200, 200, 200),
            api("PUT /api/v1/tenants/{tenant}/volumes/{name}/archive", Obj.VOLUME, 403, 200, 200),
            api("GET /api/v1/tenants/{tenant}/databases", Obj.TENANT, 200, 200, 200),
            api("GET /api/v1/tenants/{tenant}/databases/{name}", Obj.DATABASE, 200, 200, 200),
            api("POST /api/v1/tenants/{tenant}/databases", Obj.TENANT, 403, 201, 201).body(DATABASE_JSON),
            api("DELETE /api/v1/tenants/{tenant}/databases/{name}", Obj.DATABASE, 403, 204, 204),
            // 409: as a row only, the database is not on the server to dump or restore (or this node has no tool for it)
            api("GET /api/v1/tenants/{tenant}/databases/{name}/dump", Obj.DATABASE, 403, 409, 409),
            api("PUT /api/v1/tenants/{tenant}/databases/{name}/dump", Obj.DATABASE, 403, 409, 409),
            // EgressController: the tenant's users read its egress allowlist, only a platform admin sets it
            api("GET /api/v1/tenants/{tenant}/egress-allowlist", Obj.TENANT, 200, 200, 200),
            api("PUT /api/v1/tenants/{tenant}/egress-allowlist", Obj.TENANT, 403, 403, 200)
                    .body("{\"destinations\":[\"10.20.0.0/16\"]}").foreign(403),
            // CustomDomainController: members list, tenant admins claim (for one of their services), change, renew, release
            api("GET /api/v1/tenants/{tenant}/domains", Obj.TENANT, 200, 200, 200),
            api("GET /api/v1/tenants/{tenant}/domains/{host}", Obj.DOMAIN, 200, 200, 200),
            api("POST /api/v1/tenants/{tenant}/domains", Obj.SERVICE, 403, 201, 201)
                    .body("{\"host\":\"{unique}.example.com\",\"service\":\"{name}\"}"),
            api("PATCH /api/v1/tenants/{tenant}/domains/{host}", Obj.DOMAIN, 403, 200, 200).body("{\"hsts\":true}"),
            api("POST /api/v1/tenants/{tenant}/domains/{host}/renew", Obj.DOMAIN, 403, 202, 202),
            api("DELETE /api/v1/tenants/{tenant}/domains/{host}", Obj.DOMAIN, 403, 204, 204),
            // PasswordController: everybody changes their own; tenant admins (and the platform admin) reset their users'
            api("POST /api/v1/account/password", Obj.NONE, 400, 400, 400)
                    .body("{\"currentPassword\":\"" + WRONG_PASSWORD + "\",\"newPassword\":\"a-fine-new-password-1\"}"),
            api("POST /api/v1/tenants/{tenant}/users/{id}/password-reset", Obj.USER, 403, 200, 200),
            // CronJobController: any user of the tenant
            api("POST /api/v1/tenants/{tenant}/cron-jobs", Obj.TENANT, 201, 201, 201).body(CRON_JOB_JSON),
            api("GET /api/v1/tenants/{tenant}/cron-jobs", Obj.TENANT, 200, 200, 200),
            api("GET /api/v1/tenants/{tenant}/cron-jobs/{name}", Obj.CRON_JOB, 200, 200, 200),
            api("PATCH /api/v1/tenants/{tenant}/cron-jobs/{name}", Obj.CRON_JOB, 200, 200, 200)
                    .body("{\"suspended\":true}"),
            api("DELETE /api/v1/tenants/{tenant}/cron-jobs/{name}", Obj.CRON_JOB, 204, 204, 204),
            api("GET /api/v1/tenants/{tenant}/cron-jobs/{name}/runs", Obj.CRON_JOB, 200, 200, 200),
            // WebhookController: the tenant's admins and the platform admin
            api("POST /api/v1/tenants/{tenant}/webhooks", Obj.TENANT, 403, 201, 201)
                    .body("{\"url\":\"" + WEBHOOK_URL + "\",\"events\":[\"workload.failed\"]}"),
            api("GET /api/v1/tenants/{tenant}/webhooks", Obj.TENANT, 403, 200, 200),
            api("GET /api/v1/tenants/{tenant}/webhooks/{id}", Obj.WEBHOOK, 403, 200, 200),
            api("DELETE /api/v1/tenants/{tenant}/webhooks/{id}", Obj.WEBHOOK, 403, 204, 204),
            api("POST /api/v1/tenants/{tenant}/webhooks/{id}/test", Obj.WEBHOOK, 403, 202, 202),
            api("GET /api/v1/tenants/{tenant}/webhooks/{id}/deliveries", Obj.WEBHOOK, 403, 200, 200),
            // console: ConsoleController, dashboards; Spring Boot's error page and springdoc's OpenAPI document
            open("GET /login", 200),
            // SecondFactorLoginController: without a password step just passed, back to the password
            open("GET /login/code", 302),
            open("POST /login/code", 302),
            // SsoRefusals: with no refusal in the session, back to the login page
            open("GET /login/sso-refused", 302),
            // (the error page asked for directly has no error to show: 500, and no trace)
            open("ANY /error", 500),
            open("ANY /error html", 500),
            open("GET /v3/api-docs", 200),
            page("GET /v3/api-docs.yaml", Obj.NONE, 200, 200, 200),
            open("GET /v3/api-docs/swagger-config", 200),
            open("GET /swagger-ui.html", 302),
            page("GET /", Obj.NONE, 302, 302, 302),
            page("GET /admin", Obj.NONE, 403, 403, 200),
            page("GET /portal", Obj.NONE, 200, 200, 403),
            // TenantAdminController, QuotaAdminController, UserAdminController (platform admin only: the
            // console's URL rule answers 403 before any tenant is looked at)
            page("GET /admin/tenants", Obj.NONE, 403, 403, 200),
            page("GET /admin/tenants/new", Obj.NONE, 403, 403, 200),
            page("POST /admin/tenants/new", Obj.NONE, 403, 403, 302).body("slug={unique}&displayName=New"),
            page("GET /admin/tenants/{slug}", Obj.TENANT, 403, 403, 200).foreign(403),
            page("GET /admin/tenants/{slug}/edit", Obj.TENANT, 403, 403, 200).foreign(403),
            page("POST /admin/tenants/{slug}/edit", Obj.TENANT, 403, 403, 302).foreign(403)
                    .body("slug={unique}&displayName=Renamed"),
            page("POST /admin/tenants/{slug}/suspend", Obj.TENANT, 403, 403, 302).foreign(403),
            page("POST /admin/tenants/{slug}/resume", Obj.TENANT, 403, 403, 302).foreign(403),
            page("GET /admin/tenants/{slug}/delete", Obj.TENANT, 403, 403, 200).foreign(403),
            page("POST /admin/tenants/{slug}/delete", Obj.TENANT, 403, 403, 302).foreign(403).body("confirm={slug}"),
            page("GET /admin/tenants/{slug}/quota", Obj.TENANT, 403, 403, 200).foreign(403),
            page("POST /admin/tenants/{slug}/quota", Obj.TENANT, 403, 403, 302).foreign(403).body(QUOTA_FORM),
            // SsoAdminController: platform admins only (a refused form still redirects back with its reason)
            page("GET /admin/sso", Obj.NONE, 403, 403, 200),
            page("POST /admin/sso/providers", Obj.NONE, 403, 403, 302)
                    .body("registrationId=x&displayName=X&issuerUri=not-an-address&clientId=c&clientSecret=s"),
            page("POST /admin/sso/providers/delete", Obj.NONE, 403, 403, 302).body("id=0"),
            page("POST /admin/sso/mappings", Obj.NONE, 403, 403, 302)
                    .body("provider=none&kind=domain&value=example.com&tenant={slug}&role=TENANT_MEMBER"),
            page("POST /admin/sso/mappings/delete", Obj.NONE, 403, 403, 302).body("id=0"),
            page("POST /admin/sso/passwords", Obj.NONE, 403, 403, 302).body("tenant={slug}&allowed=true"),
            page("GET /admin/tenants/{slug}/egress", Obj.TENANT, 403, 403, 200).foreign(403),
            page("POST /admin/tenants/{slug}/egress", Obj.TENANT, 403, 403, 302).foreign(403)
                    .body("destinations=10.20.0.0/16"),
            page("GET /admin/users", Obj.NONE, 403, 403, 200),
            page("GET /admin/tenants/{slug}/users/new", Obj.TENANT, 403, 403, 200).foreign(403),
            page("POST /admin/tenants/{slug}/users/new", Obj.TENANT, 403, 403, 302).foreign(403)
                    .body("username={unique}&password=" + PASSWORD + "&role=TENANT_MEMBER"),
            page("POST /admin/tenants/{slug}/users/{id}/delete", Obj.USER, 403, 403, 302).foreign(403),
            // PlatformAdminController, AuditAdminController, WorkloadAdminController, ServicePageController (admin)
            page("GET /admin/nodes", Obj.NONE, 403, 403, 200),
            page("GET /admin/images", Obj.NONE, 403, 403, 200),
            page("POST /admin/images", Obj.NONE, 403, 403, 200),
            page("GET /admin/security", Obj.NONE, 403, 403, 200),
            page("GET /admin/audit", Obj.NONE, 403, 403, 200),
            page("GET /admin/workloads", Obj.NONE, 403, 403, 200),
            page("GET /admin/workloads/{id}", Obj.WORKLOAD, 403, 403, 200).foreign(403),
            page("GET /admin/workloads/{id}/log event-stream", Obj.WORKLOAD, 403, 403, 200).foreign(403),
            page("GET /admin/workloads/{id}/log.txt", Obj.WORKLOAD, 403, 403, 200).foreign(403),
            page("GET /admin/workloads/{id}/artifacts", Obj.WORKLOAD, 403, 403, 404).foreign(403),
            page("POST /admin/workloads/{id}/stop", Obj.SERVICE, 403, 403, 302).foreign(403),
            page("POST /admin/workloads/{id}/start", Obj.STOPPED_SERVICE, 403, 403, 302).foreign(403),
            // ServicePagesController (console; {action}: stop)
            page("GET /admin/services", Obj.NONE, 403, 403, 200),
            page("GET /admin/services/{tenant}/{name}", Obj.SERVICE, 403, 403, 200).foreign(403),
            page("POST /admin/services/{tenant}/{name}/{action}", Obj.SERVICE, 403, 403, 302).foreign(403),
            // the portal: WorkloadPortalController, ServicePageController (portal), TokenPortalController, MemberController
            page("GET /portal/workloads", Obj.NONE, 200, 200, 403),
            page("GET /portal/workloads/new", Obj.NONE, 200, 200, 403),
            page("POST /portal/workloads/new", Obj.NONE, 302, 302, 403)
                    .body("name={unique}&image=host&platform=auto&command=/bin/true"),
            page("GET /portal/workloads/{id}", Obj.WORKLOAD, 200, 200, 403),
            page("GET /portal/workloads/{id}/log event-stream", Obj.WORKLOAD, 200, 200, 403),
            page("GET /portal/workloads/{id}/log.txt", Obj.WORKLOAD, 200, 200, 403),
            page("GET /portal/workloads/{id}/artifacts", Obj.WORKLOAD, 404, 404, 403),
            page("POST /portal/workloads/{id}/cancel", Obj.WORKLOAD, 302, 302, 403),
            page("POST /portal/workloads/{id}/stop", Obj.SERVICE, 302, 302, 403),
            page("POST /portal/workloads/{id}/start", Obj.STOPPED_SERVICE, 302, 302, 403),
            page("GET /portal/tokens", Obj.NONE, 200, 200, 403),
            page("POST /portal/tokens", Obj.NONE, 302, 302, 403).body("name={unique}&expiresInDays=1"),
            page("POST /portal/tokens/{id}/revoke", Obj.TOKEN, 302, 302, 403),
            page("GET /portal/members", Obj.NONE, 200, 200, 403),
            page("POST /portal/members", Obj.NONE, 403, 302, 403)
                    .body("username={unique}&password=" + PASSWORD + "&role=TENANT_MEMBER"),
            page("POST /portal/members/{id}/role", Obj.USER, 403, 302, 403).body("role=TENANT_ADMIN"),
            page("POST /portal/members/{id}/delete", Obj.USER, 403, 302, 403),
            // ServicePagesController (portal; {action}: stop), ImagePagesController (a real image archive),
            // SecretPortalController
            page("GET /portal/services", Obj.NONE, 200, 200, 403),
            page("GET /portal/services/new", Obj.NONE, 200, 200, 403),
            page("POST /portal/services/new", Obj.NONE, 302, 302, 403).body(SERVICE_FORM),
            page("GET /portal/services/{name}", Obj.SERVICE, 200, 200, 403),
            page("POST /portal/services/{name}/{action}", Obj.SERVICE, 302, 302, 403),
            page("GET /portal/images", Obj.NONE, 200, 200, 403),
            page("POST /portal/images", Obj.NONE, 403, 302, 403),
            page("POST /portal/images/{name}/delete", Obj.IMAGE, 403, 302, 403),
            page("GET /portal/secrets", Obj.NONE, 200, 200, 403),
            page("POST /portal/secrets", Obj.NONE, 403, 302, 403).body("name={unique}&value=v1"),
            page("POST /portal/secrets/{name}/delete", Obj.SECRET, 403, 302, 403),
            page("GET /portal/volumes", Obj.NONE, 200, 200, 403),
            page("POST /portal/volumes", Obj.NONE, 403, 302, 403).body("name={unique}&sizeMib=16"),
            page("POST /portal/volumes/{name}/delete", Obj.VOLUME, 403, 302, 403),
            page("GET /portal/databases", Obj.NONE, 200, 200, 403),
            page("POST /portal/databases", Obj.NONE, 403, 302, 403).body("name={unique}&sizeMib=16&secretName={unique}"),
            page("POST /portal/databases/{name}/delete", Obj.DATABASE, 403, 302, 403),
            // PasswordPageController (a wrong current password shows the form again), AutomationController
            page("GET /account/password", Obj.NONE, 200, 200, 200),
            page("POST /account/password", Obj.NONE, 200, 200, 200).body("currentPassword=" + WRONG_PASSWORD
                    + "&newPassword=a-fine-new-password-1&confirmPassword=a-fine-new-password-1"),
            page("POST /portal/members/{id}/password-reset", Obj.USER, 403, 302, 403),
            // SecondFactorPageController: everybody's own (a wrong code or password shows the page again)
            page("GET /account/second-factor", Obj.NONE, 200, 200, 200),
            page("POST /account/second-factor/setup", Obj.NONE, 200, 200, 200),
            page("POST /account/second-factor/confirm", Obj.NONE, 200, 200, 200).body("code=abc"),
            page("POST /account/second-factor/disable", Obj.NONE, 200, 200, 200)
                    .body("currentPassword=" + WRONG_PASSWORD + "&code=abc"),
            page("GET /portal/automation", Obj.NONE, 200, 200, 403),
            // DomainPortalController: the tenant's admins change; a refused claim is a flash message on the page
            page("GET /portal/domains", Obj.NONE, 200, 200, 403),
            page("POST /portal/domains", Obj.NONE, 403, 302, 403).body("host={unique}.example.com&service=nosuch"),
            page("POST /portal/domains/{host}/hsts", Obj.DOMAIN, 403, 302, 403).body("on=true"),
            page("POST /portal/domains/{host}/renew", Obj.DOMAIN, 403, 302, 403),
            page("POST /portal/domains/{host}/delete", Obj.DOMAIN, 403, 302, 403),
            page("POST /portal/automation/cron-jobs/{name}/suspend", Obj.CRON_JOB, 302, 302, 403).body("suspended=true"),
            page("POST /portal/automation/webhooks/{id}/test", Obj.WEBHOOK, 403, 302, 403));

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mappings;

    @Autowired
    TenantService tenants;

    @Autowired
    UserService users;

    @Autowired
    TokenService tokens;

    @Autowired
    WorkloadService workloads;

    @Autowired
    TransactionTemplate tx;

    @Autowired
    SecretVault secrets;

    @Autowired
    TenantImages tenantImages;

    /** Every handler method the application maps, by its key. */
    Map<String, String> mapped() {
        Map<String, String> keys = new LinkedHashMap<>();
        mappings.getHandlerMethods().forEach((info, handler) -> {
            for (String key : keys(info)) {
                keys.put(key, handler.getBeanType().getSimpleName() + "#" + handler.getMethod().getName());
            }
        });
        return keys;
    }

    static List<String> keys(RequestMappingInfo info) {
        Set<String> methods = info.getMethodsCondition().getMethods().stream().map(Enum::name)
                .collect(Collectors.toCollection(TreeSet::new));
        if (methods.isEmpty()) {
            methods.add("ANY");
        }
        Set<MediaType> consumes = info.getConsumesCondition().getConsumableMediaTypes();
        Set<MediaType> produces = info.getProducesCondition().getProducibleMediaTypes();
        String qualifier = consumes.contains(MediaType.MULTIPART_FORM_DATA) ? " multipart"
                : produces.contains(MediaType.TEXT_EVENT_STREAM) ? " event-stream"
                : produces.equals(Set.of(MediaType.TEXT_HTML)) ? " html" : "";
        List<String> keys = new ArrayList<>();
        for (String method : methods) {
            for (String pattern : info.getPatternValues()) {
                keys.add(method + " " + pattern + qualifier);
            }
        }
        return keys;
    }

    @Test
    void everyMappedHandlerMethodHasARow() {
        Set<String> rows = ROWS.stream().map(Row::key).collect(Collectors.toSet());
        Map<String, String> mapped = mapped();
        List<String> missing = mapped.entrySet().stream().filter(e -> !rows.contains(e.getKey()))
                .map(e -> e.getKey() + "  (" + e.getValue() + ")").sorted().toList();
        assertThat(missing).as("handler methods without a row in AuthorizationMatrixTests.ROWS").isEmpty();
        assertThat(rows.stream().filter(r -> !mapped.containsKey(r)).sorted().toList())
                .as("rows of handler methods the application does not map").isEmpty();
        assertThat(ROWS.stream().map(Row::key).distinct().count()).as("one row per handler method").isEqualTo(ROWS.size());
    }

    @TestFactory
    List<DynamicTest> everyRoleOnEveryEndpoint() {
        return ROWS.stream().map(row -> DynamicTest.dynamicTest(row.key(), () -> check(row))).toList();
    }

    // ---- the calls

    /** A tenant with a member and a tenant admin, and everything of it a response must not show to the other one. */
    final class Side {
        final Tenant tenant;
        final Caller member;
        final Caller admin;
        final Set<String> markers = new TreeSet<>();

        Side() {
            String slug = unique("mx");
            tenant = tenants.create("test", slug, "Tenant " + slug);
            markers.add(slug);
            member = new Caller(this, user(Role.TENANT_MEMBER), Role.TENANT_MEMBER);
            admin = new Caller(this, user(Role.TENANT_ADMIN), Role.TENANT_ADMIN);
            // something of each kind that a list of the other tenant's could wrongly show
            workload("JOB", false);
            workload("SERVICE", true);
            markers.add(tokens.mint(userId(member.username()), unique("mxt"), Duration.ofHours(1)).token().getPrefix());
            secret();
            image();
            cronJob();
            webhook();
            volume();
            domain();
        }

        String slug() {
            return tenant.getSlug();
        }

        String secret() {
            String name = unique("mxs");
            tx.execute(s -> secrets.set(tenant.getId(), slug(), name, TestImages.utf8("v1"), "test"));
            markers.add(name);
            return name;
        }

        String domain() {
            String host = unique("mxd") + ".example.com";
            jdbc.update("insert into custom_domain (host, tenant_id, service_name, created_by) values (?, ?, 'web', 'test')",
                    host, tenant.getId());
            markers.add(host);
            return host;
        }

        String volume() {
            String name = unique("mxv");
            jdbc.update("insert into volume (id, tenant_id, name, size_bytes, created_by) values (?, ?, ?, 16777216, 'test')",
                    UUID.randomUUID(), tenant.getId(), name);
            markers.add(name);
            return name;
        }

        String database() {
            String name = unique("mxd");
            jdbc.update("insert into tenant_database (id, tenant_id, name, db_name, secret_name, size_bytes, connection_limit,"
                    + " statement_timeout_ms, created_by) values (?, ?, ?, ?, ?, 16777216, 1, 1000, 'test')",
                    UUID.randomUUID(), tenant.getId(), name, "t" + tenant.getId() + "_" + name, name);
            markers.add(name);
            return name;
        }

        String cronJob() {
            String name = unique("mxc");
            jdbc.update("insert into cron_job (id, tenant_id, name, cron, time_zone, concurrency_policy, suspended, spec, "
                    + "created_by) values (?, ?, ?, '0 3 * * *', 'UTC', 'ALLOW', true, cast(? as jsonb), 'test')",
                    UUID.randomUUID(), tenant.getId(), name, "{\"command\":[\"/bin/true\"]}");
            markers.add(name);
            return name;
        }

        String webhook() {
            UUID id = UUID.randomUUID();
            jdbc.update("insert into webhook (id, tenant_id, url, secret, events, created_by) "
                    + "values (?, ?, ?, 'whsec_matrix', '{workload.failed}', 'test')", id, tenant.getId(), WEBHOOK_URL);
            markers.add(id.toString());
            return id.toString();
        }

        String image() {
            String name = unique("mxi");
            try {
                tenantImages.upload("test", tenant.getId(), slug(), name, new ByteArrayInputStream(imageArchive()));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            markers.add(name);
            return name;
        }

        String user(Role role) {
            String name = unique("mxu");
            users.create("test", tenant, name, PASSWORD, role);
            markers.add(name);
            return name;
        }

        long userId(String name) {
            return idOf(name);
        }

        String workload(String kind, boolean stopped) {
            String name = unique("mxw");
            UUID id = tx.execute(s -> {
                var admitted = workloads.submit("test", tenant, new NewWorkload(name, "host", "[\"/bin/true\"]", "{}",
                        "auto", new WorkloadLimits(null, null, null, null, null), 1), 0, 1000);
                UUID w = admitted.workload().getId();
                // never claimed by a worker: it stays as made
                jdbc.update("update workload set not_before = now() + interval '1 day', kind = ? where id = ?", kind, w);
                if (kind.equals("SERVICE")) {
                    jdbc.update("insert into service_deployment (workload_id, tenant_id, service_name, port, restart_policy) "
                            + "values (?, ?, ?, 8000, 'NEVER')", w, tenant.getId(), name);
                }
                if (stopped) {
                    jdbc.update("update workload set state = 'CANCELLED', finished_at = now() where id = ?", w);
                }
                return w;
            });
            markers.add(name);
            markers.add(id.toString());
            return kind.equals("SERVICE") ? name + " " + id : id.toString();
        }
    }

    /** Who calls: null side for anonymous and the platform admin. */
    record Caller(Side side, String username, Role role) {
    }

    private String tokenOf(String username) {
        return tokens.mint(idOf(username), unique("mxt"), Duration.ofHours(1)).secret();
    }

    /** A user's id by its name: the platform's own for "admin", else the one user of a unique test name. */
    private long idOf(String username) {
        return jdbc.queryForObject("select id from app_user where username = ? order by tenant_id nulls first limit 1",
                Long.class, username);
    }

    private void check(Row row) throws Exception {
        Side a = new Side();
        Side b = new Side();
        Caller anonymous = new Caller(null, null, null);
        Caller platform = new Caller(null, "admin", Role.PLATFORM_ADMIN);
        List<String> failures = new ArrayList<>();
        try {
            // the other tenant's admin first and the platform admin last: what they may change comes after the refusals
            for (Caller caller : List.of(anonymous, b.admin, a.member, a.admin, platform)) {
                for (Side target : row.obj() == Obj.NONE ? List.of(a) : List.of(a, b)) {
                    // a token is a person's: the platform admin's own is its own, B's member's is somebody else's
                    boolean own = row.obj() == Obj.TOKEN && caller.side() == null ? target == a
                            : row.obj() == Obj.NONE || caller.side() == null || caller.side() == target;
                    int onOwn = caller.role() == null ? row.anonymous() : switch (caller.role()) {
                        case TENANT_MEMBER -> row.member();
                        case TENANT_ADMIN -> row.tenantAdmin();
                        case PLATFORM_ADMIN -> row.platformAdmin();
                    };
                    // refused by its role on its own tenant's object, a caller may be refused so on another's too
                    Set<Integer> expected = caller.role() == null || own ? Set.of(onOwn)
                            : onOwn == 403 ? new HashSet<>(List.of(403, row.foreign())) : Set.of(row.foreign());
                    call(row, caller, target, target == a ? b : a, own, expected, failures);
                }
            }
        } finally {
            // what a row left queued ends now (log followers with it)
            jdbc.update("update workload set state = 'CANCELLED', finished_at = now() where tenant_id in (?, ?) "
                    + "and state = 'QUEUED'", a.tenant.getId(), b.tenant.getId());
            // and its secrets go: sealed with this context's key, which a test of another context rotating its own
            // could not re-seal
            jdbc.update("delete from tenant_secret where tenant_id in (?, ?)", a.tenant.getId(), b.tenant.getId());
        }
        assertThat(failures).as(row.key()).isEmpty();
    }

    /** A tar of one file, as a volume's import takes it. */
    static byte[] volumeArchive() throws java.io.IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(bytes)) {
            var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("hello.txt");
            e.setSize(3);
            tar.putArchiveEntry(e);
            tar.write("hi\n".getBytes(StandardCharsets.UTF_8));
            tar.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }

    private void call(Row row, Caller caller, Side target, Side other, boolean own, Set<Integer> expected,
            List<String> failures)
            throws Exception {
        String[] key = row.key().split(" ");
        String method = key[0].equals("ANY") ? "GET" : key[0];
        String qualifier = key.length > 2 ? key[2] : "";
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("{tenant}", target.slug());
        vars.put("{slug}", target.slug());
        switch (row.obj()) {
            case WORKLOAD -> vars.put("{id}", target.workload("JOB", false));
            case SERVICE, STOPPED_SERVICE -> {
                String[] made = target.workload("SERVICE", row.obj() == Obj.STOPPED_SERVICE).split(" ");
                vars.put("{name}", made[0]);
                vars.put("{id}", made[1]);
            }
            case USER -> {
                // the API, the console and the portal all name a user by its public id
                String name = target.user(Role.TENANT_MEMBER);
                vars.put("{id}", jdbc.queryForObject("select public_id from app_user where username = ?", UUID.class,
                        name).toString());
            }
            case CRON_JOB -> vars.put("{name}", target.cronJob());
            case WEBHOOK -> vars.put("{id}", target.webhook());
            case SECRET -> vars.put("{name}", target.secret());
            case IMAGE -> vars.put("{name}", target.image());
            case VOLUME -> vars.put("{name}", target.volume());
            case DATABASE -> vars.put("{name}", target.database());
            case DOMAIN -> vars.put("{host}", target.domain());
            case TOKEN -> {
                // the caller's own token, or one of the target tenant's member
                String owner = own && caller.role() != null ? caller.username() : target.member.username();
                var minted = tokens.mint(idOf(owner), unique("mxt"), Duration.ofHours(1));
                vars.put("{id}", minted.token().getPublicId().toString());
                target.markers.add(minted.token().getPrefix());
            }
            default -> {
            }
        }
        // the one action a row of the service pages' action method takes
        vars.put("{action}", "stop");
        String path = substitute(key[1], vars);
        String body = row.body() == null ? null : substitute(row.body().replace("{unique}", unique("mxn")), vars);
        AbstractMockHttpServletRequestBuilder<?> request;
        if (qualifier.equals("multipart")) {
            var m = multipart(HttpMethod.valueOf(method), path);
            if (path.startsWith("/api/v1/images")) {
                m.param("name", unique("img"));
                m.file(new MockMultipartFile("archive", "image.tar", "application/x-tar", new byte[] {1, 2, 3}));
            } else if (path.endsWith("/images")) {
                m.param("name", unique("mxi"));
                m.file(new MockMultipartFile("archive", "image.tar", "application/x-tar", imageArchive()));
            } else {
                m.file(new MockMultipartFile("spec", "", MediaType.APPLICATION_JSON_VALUE, body.getBytes(StandardCharsets.UTF_8)));
                if (path.endsWith("/services")) {
                    m.file(new MockMultipartFile("archive", "app.zip", "application/zip", codeArchive()));
                }
            }
            request = m;
        } else if (method.equals("POST") && (path.equals("/portal/images") || path.endsWith("/images"))) {
            // an upload as the portal's form sends it, or the API's streamed body
            if (path.startsWith("/portal/")) {
                request = multipart(path).file(new MockMultipartFile("archive", "image.tar", "application/x-tar",
                        imageArchive()));
            } else {
                request = request(HttpMethod.POST, path).contentType("application/x-tar").content(imageArchive());
            }
            request.param("name", unique("mxi"));
        } else if (method.equals("PUT") && path.endsWith("/archive")) {
            request = request(HttpMethod.PUT, path).contentType("application/x-tar").content(volumeArchive());
        } else if (method.equals("PUT") && path.endsWith("/dump")) {
            // not an archive pg_restore reads; the row's database exists as a row only, so the restore stops at once
            request = request(HttpMethod.PUT, path).contentType(MediaType.APPLICATION_OCTET_STREAM).content(new byte[] {1, 2, 3});
        } else {
            request = request(HttpMethod.valueOf(method), path);
        }
        boolean isApi = path.startsWith("/api/");
        if (body != null && !qualifier.equals("multipart")) {
            if (isApi) {
                request.contentType(MediaType.APPLICATION_JSON).content(body);
            } else {
                for (String pair : body.split("&")) {
                    String[] kv = pair.split("=", 2);
                    request.param(kv[0], kv[1]);
                }
            }
        }
        if (qualifier.equals("event-stream")) {
            request.accept(MediaType.TEXT_EVENT_STREAM);
        } else if (qualifier.equals("html")) {
            request.accept(MediaType.TEXT_HTML);
        }
        if (caller.role() != null) {
            if (isApi) {
                request.header(HttpHeaders.AUTHORIZATION, "Bearer " + tokenOf(caller.username()));
            } else {
                // a session's name is what its user logs in as: name@tenant, a platform admin's plain name
                String login = caller.side() == null ? caller.username() : caller.username() + "@" + caller.side().tenant.getSlug();
                request.with(user(login).roles(caller.role().name()));
            }
        }
        if (!isApi && !method.equals("GET")) {
            request.with(csrf());
        }
        MockHttpServletResponse response = mvc.perform(request).andReturn().getResponse();
        String who = (caller.role() == null ? "anonymous" : caller.role() + (caller.side() == null ? "" : " of "
                + caller.side().slug())) + " " + method + " " + path;
        if (!expected.contains(response.getStatus())) {
            failures.add(who + ": expected " + expected + ", got " + response.getStatus() + " "
                    + abbreviate(response.getContentAsString()));
        }
        if (caller.side() != null) {
            Side foreign = caller.side() == target ? other : target;
            String answer = response.getContentAsString() + " " + response.getHeaderNames().stream()
                    .map(h -> h + ": " + String.join(",", response.getHeaders(h))).collect(Collectors.joining(" "));
            String sent = path + " " + (body == null ? "" : body);
            for (String marker : foreign.markers) {
                if (answer.contains(marker) && !sent.contains(marker)) {
                    failures.add(who + ": the answer shows " + marker + " of the other tenant " + foreign.slug());
                }
            }
        }
    }

    /** A docker save archive of one small layer: a real image of the tenant's own. */
    static byte[] imageArchive() throws Exception {
        byte[] layer = TestArchives.tar(tar -> TestArchives.entry(tar, "hello.txt", TestImages.utf8("hello"), 0100644, null));
        return TestImages.dockerSave(Map.of("Cmd", List.of("/bin/true")), List.of(TestImages.Layer.of(layer)));
    }

    /** A service's code: a zip of one file. */
    static byte[] codeArchive() throws Exception {
        var out = new ByteArrayOutputStream();
        try (var zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("app.py"));
            zip.write(TestImages.utf8("print('hello')\n"));
            zip.closeEntry();
        }
        return out.toByteArray();
    }

    private static String substitute(String s, Map<String, String> vars) {
        for (Map.Entry<String, String> v : vars.entrySet()) {
            s = s.replace(v.getKey(), v.getValue());
        }
        return s;
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
