package dev.palisade.platform.notify;

import dev.palisade.model.NotFoundException;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.notify.WebhookStore.Attempt;
import dev.palisade.platform.notify.WebhookStore.Delivery;
import dev.palisade.platform.notify.WebhookStore.Webhook;
import dev.palisade.platform.security.Caller;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.ResponseEntity;
import org.springframework.mail.javamail.JavaMailSender;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** A tenant's webhooks: platform admins and the tenant's admins. */
@RestController
@RequestMapping("/api/v1/tenants/{tenant}/webhooks")
@Tag(name = "Webhooks", description = "Signed HTTP callbacks for a tenant's events (workloads ending, services in "
        + "trouble, the CPU quota nearly used), retried with back-off, with a log of every delivery")
class WebhookController {

    private static final SecureRandom RANDOM = new SecureRandom();
    /** One plain address: no second recipient, no headers or body smuggled in through the URI's query. */
    private static final Pattern EMAIL = Pattern.compile(
            "[A-Za-z0-9.!#$%&'*+/=^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*");

    private final TenantAccess access;
    private final WebhookStore store;
    private final AuditLog audit;
    private final TransactionTemplate tx;
    private final ObjectProvider<JavaMailSender> mail;

    WebhookController(TenantAccess access, WebhookStore store, AuditLog audit, TransactionTemplate tx,
            ObjectProvider<JavaMailSender> mail) {
        this.mail = mail;
        this.access = access;
        this.store = store;
        this.audit = audit;
        this.tx = tx;
    }

    @Schema(description = "A webhook to add", example = """
            {"url": "https://hooks.example.com/palisade", "events": ["workload.failed", "service.crash_loop"],
             "description": "on-call"}""")
    record WebhookBody(
            @Schema(description = "http or https URL the events are POSTed to, or mailto:an@address to have them "
                    + "emailed through the platform's SMTP server") String url,
            @Schema(description = "event types: workload.finished, workload.failed, workload.timed_out, "
                    + "service.unhealthy, service.crash_loop, service.recovered, quota.nearly_used") List<String> events,
            @Schema(description = "up to 200 characters") String description) {
    }

    @Schema(name = "Webhook", description = "A webhook; its secret only in the answer that created it")
    record WebhookResponse(UUID id, String url, List<String> events, String description, String createdBy,
            Instant createdAt,
            @Schema(description = "the HMAC-SHA256 key of Palisade-Signature; in this answer only") String secret) {
    }

    @Schema(name = "WebhookAttempt", description = "One attempt to deliver an event")
    record AttemptResponse(Instant at, @Schema(description = "the receiver's HTTP status, if it answered") Integer statusCode,
            String error, long durationMillis) {
    }

    @Schema(name = "WebhookDelivery", description = "One event for the webhook and every attempt to deliver it")
    record DeliveryResponse(long id, UUID eventId, String type,
            @Schema(allowableValues = {"PENDING", "DELIVERED", "FAILED"}) String status, int attemptCount,
            Integer lastStatusCode, String lastError, Instant createdAt, Instant deliveredAt,
            @Schema(description = "when it is tried next, while PENDING") Instant nextAttemptAt,
            List<AttemptResponse> attempts) {
    }

    @PostMapping
    @Operation(operationId = "createWebhook", summary = "Add a webhook", description = "Platform admin or the tenant's "
            + "admin. Every event of the types given is POSTed as JSON with the headers Palisade-Event, "
            + "Palisade-Delivery (the event's id, the same on every retry) and Palisade-Signature: "
            + "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>' keyed with the secret>. A 2xx answer delivers it.")
    @ApiResponse(responseCode = "201", description = "Added; the secret is in this answer only")
    ResponseEntity<WebhookResponse> create(Caller caller, @PathVariable("tenant") String slug,
            @RequestBody WebhookBody body) {
        Tenant tenant = access.managedBy(caller, slug);
        if (body == null) {
            throw ApiProblems.badRequest("url", "is required");
        }
        URI url = url(body.url());
        List<String> events = events(body.events());
        if (body.description() != null && body.description().length() > 200) {
            throw ApiProblems.badRequest("description", "at most 200 characters");
        }
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        String secret = "whsec_" + Base64.getUrlEncoder().withoutPadding().encodeToString(key);
        Webhook w = new Webhook(UUID.randomUUID(), tenant.getId(), url.toString(), secret, events, body.description(),
                caller.username(), null);
        tx.executeWithoutResult(status -> {
            store.insert(w);
            audit.record(caller.username(), tenant, "webhook.create", "webhook:" + w.id(),
                    Map.of("host", url.getHost() != null ? url.getHost() : "mailto", "events", events));
        });
        Webhook created = find(tenant, w.id());
        return ResponseEntity.created(URI.create("/api/v1/tenants/" + slug + "/webhooks/" + w.id()))
                .body(response(created, secret));
    }

    @GetMapping
    @Operation(operationId = "listWebhooks", summary = "List webhooks", description = "Platform admin or the "
            + "tenant's admin; oldest first, without their secrets.")
    List<WebhookResponse> list(Caller caller, @PathVariable("tenant") String slug) {
        Tenant tenant = access.managedBy(caller, slug);
        return store.list(tenant.getId()).stream().map(w -> response(w, null)).toList();
    }

    @GetMapping("/{id}")
    @Operation(operationId = "getWebhook", summary = "A webhook", description = "Without its secret.")
    WebhookResponse get(Caller caller, @PathVariable("tenant") String slug, @PathVariable("id") String id) {
        return response(find(access.managedBy(caller, slug), uuid(id)), null);
    }

    @DeleteMapping("/{id}")
    @Operation(operationId = "deleteWebhook", summary = "Remove a webhook", description = "With its delivery log; "
            + "events not yet delivered are dropped.")
    @ApiResponse(responseCode = "204", description = "Removed")
    ResponseEntity<Void> delete(Caller caller, @PathVariable("tenant") String slug, @PathVariable("id") String id) {
        Tenant tenant = access.managedBy(caller, slug);
        Webhook w = find(tenant, uuid(id));
        tx.executeWithoutResult(status -> {
            store.delete(w.id());
            audit.record(caller.username(), tenant, "webhook.delete", "webhook:" + w.id(), Map.of());
        });
        return ResponseEntity.noContent().build();
    }

    @PostMapping("/{id}/test")
    @Operation(operationId = "testWebhook", summary = "Send a test event", description = "Queues a 'ping' event for "
            + "this webhook, signed and retried as any other; its delivery shows in the log.")
    @ApiResponse(responseCode = "202", description = "Queued")
    ResponseEntity<DeliveryResponse> test(Caller caller, @PathVariable("tenant") String slug, @PathVariable("id") String id) {
        Tenant tenant = access.managedBy(caller, slug);
        Webhook w = find(tenant, uuid(id));
        long delivery = store.ping(w, slug);
        DeliveryResponse queued = store.deliveries(w.id(), 50).stream().filter(d -> d.id() == delivery).findFirst()
                .map(this::response).orElseThrow();
        return ResponseEntity.accepted().body(queued);
    }

    @GetMapping("/{id}/deliveries")
    @Operation(operationId = "listWebhookDeliveries", summary = "The webhook's delivery log", description = "Newest "
            + "first, at most limit (1 to 200, default 50): each event, its status and every attempt with the "
            + "receiver's HTTP status.")
    List<DeliveryResponse> deliveries(Caller caller, @PathVariable("tenant") String slug, @PathVariable("id") String id,
            @RequestParam(required = false) Integer limit) {
        Webhook w = find(access.managedBy(caller, slug), uuid(id));
        int n = limit == null ? 50 : limit;
        if (n < 1 || n > 200) {
            throw ApiProblems.badRequest("limit", "must be between 1 and 200");
        }
        return store.deliveries(w.id(), n).stream().map(this::response).toList();
    }

    private Webhook find(Tenant tenant, UUID id) {
        return store.find(tenant.getId(), id).orElseThrow(() -> new NotFoundException("no webhook " + id));
    }

    private static UUID uuid(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new NotFoundException("no webhook " + id);
        }
    }

    private URI url(String text) {
        if (text == null || text.length() > 2000) {
            throw ApiProblems.badRequest("url", "is required, at most 2000 characters");
        }
        try {
            URI url = URI.create(text.trim());
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (scheme.equals("mailto")) {
                return email(url);
            }
            if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null || url.getUserInfo() != null) {
                throw ApiProblems.badRequest("url", "must be an http or https URL with a host and no user info, "
                        + "or mailto:an@address");
            }
            return url;
        } catch (IllegalArgumentException e) {
            throw ApiProblems.badRequest("url", "is not a URL");
        }
    }

    private URI email(URI url) {
        if (mail.getIfAvailable() == null) {
            throw ApiProblems.badRequest("url", "email needs an SMTP server, and none is configured (spring.mail.host)");
        }
        String address = url.getSchemeSpecificPart();
        if (url.getRawQuery() != null || url.getFragment() != null || address == null || address.length() > 254
                || !EMAIL.matcher(address).matches()) {
            throw ApiProblems.badRequest("url", "must be mailto: and one email address, nothing else");
        }
        return URI.create("mailto:" + address);
    }

    private static List<String> events(List<String> requested) {
        if (requested == null || requested.isEmpty()) {
            throw ApiProblems.badRequest("events", "at least one of " + EventType.names());
        }
        LinkedHashSet<String> events = new LinkedHashSet<>();
        for (String e : requested) {
            if (e == null || !EventType.names().contains(e)) {
                throw ApiProblems.badRequest("events", "each one of " + EventType.names());
            }
            events.add(e);
        }
        return List.copyOf(events);
    }

    private static WebhookResponse response(Webhook w, String secret) {
        return new WebhookResponse(w.id(), w.url(), w.events(), w.description(), w.createdBy(), w.createdAt(), secret);
    }

    private DeliveryResponse response(Delivery d) {
        List<AttemptResponse> attempts = store.attempts(d.id()).stream()
                .map((Attempt a) -> new AttemptResponse(a.at(), a.statusCode(), a.error(), a.durationMillis())).toList();
        return new DeliveryResponse(d.id(), d.eventId(), d.type(), d.status(), d.attempts(), d.lastStatus(),
                d.lastError(), d.createdAt(), d.deliveredAt(), d.status().equals("PENDING") ? d.nextAttemptAt() : null,
                attempts);
    }
}
