package dev.palisade.platform.customdomain;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import dev.palisade.model.ConflictException;
import dev.palisade.model.NotFoundException;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.security.Caller;
import dev.palisade.platform.service.ServiceStore;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * A tenant's custom domains through the REST API: members list them; tenant admins claim one
 * for a service, switch HSTS, force a renewal and release one. A claim starts the certificate's
 * order at once (the recurring task is brought forward).
 */
@RestController
@Tag(name = "Custom domains", description = "a tenant's own host names on its services, with certificates by ACME")
class CustomDomainController {

    private final TenantAccess access;
    private final CustomDomainStore store;
    private final CustomDomains domains;
    private final DomainNames names;
    private final ServiceStore services;
    private final CustomDomainProperties properties;
    private final AuditLog audit;
    private final TransactionTemplate tx;
    private final ObjectProvider<SchedulerClient> scheduler;

    CustomDomainController(TenantAccess access, CustomDomainStore store, CustomDomains domains, DomainNames names,
            ServiceStore services, CustomDomainProperties properties, AuditLog audit, TransactionTemplate tx,
            ObjectProvider<SchedulerClient> scheduler) {
        this.access = access;
        this.store = store;
        this.domains = domains;
        this.names = names;
        this.services = services;
        this.properties = properties;
        this.audit = audit;
        this.tx = tx;
        this.scheduler = scheduler;
    }

    @Schema(name = "CustomDomainClaim", description = "A host name for one of the tenant's services",
            example = "{\"host\": \"www.example.com\", \"service\": \"web\", \"hsts\": false, \"challenge\": \"dns-01\"}")
    record Claim(@Schema(description = "a DNS name of the tenant's, pointed at the ingress") String host,
            @Schema(description = "the service it serves") String service,
            @Schema(description = "send Strict-Transport-Security over HTTPS (default false)") Boolean hsts,
            @Schema(description = "how control is proved: http-01 (default; the ingress answers on port 80) or "
                    + "dns-01 (the tenant publishes the TXT record shown in dnsRecord)",
                    allowableValues = {"http-01", "dns-01"}) String challenge) {
    }

    /** The ways of proving control a claim may ask for. */
    static final java.util.Set<String> CHALLENGES = java.util.Set.of("http-01", "dns-01");

    @Schema(name = "CustomDomainChange", description = "What can change of a custom domain")
    record Change(Boolean hsts) {
    }

    @GetMapping("/api/v1/tenants/{tenant}/domains")
    @Operation(operationId = "listCustomDomains", summary = "List the tenant's custom domains",
            description = "Any user of the tenant: each host, its service and its certificate's state.")
    List<CustomDomainStore.Domain> list(Caller caller, @PathVariable("tenant") String slug) {
        return store.list(access.visible(caller, slug).getId());
    }

    @GetMapping("/api/v1/tenants/{tenant}/domains/{host}")
    @Operation(operationId = "getCustomDomain", summary = "A custom domain and its certificate's state",
            description = "Any user of the tenant: its service, HSTS, the certificate's state and validity, when it is "
                    + "renewed, and why the last order failed.")
    CustomDomainStore.Domain get(Caller caller, @PathVariable("tenant") String slug, @PathVariable("host") String host) {
        Tenant tenant = access.visible(caller, slug);
        return store.get(tenant.getId(), host.toLowerCase(java.util.Locale.ROOT))
                .orElseThrow(() -> new NotFoundException("no custom domain " + host));
    }

    @PostMapping("/api/v1/tenants/{tenant}/domains")
    @Operation(operationId = "claimCustomDomain", summary = "Claim a host name for a service (tenant admin)",
            description = "400 for a name that cannot be one (IDN, wildcard, trailing dot, address, the platform's own "
                    + "names) or a challenge other than http-01 and dns-01; 409 when a tenant holds it already. The "
                    + "certificate is then ordered: by HTTP-01 (the default), answered by the ingress on port 80 (point "
                    + "the name at it first); by DNS-01, the domain turns AWAITING_DNS and dnsRecord names the TXT "
                    + "record to publish, which the platform looks up every check-interval.")
    @ApiResponse(responseCode = "201", description = "Claimed")
    ResponseEntity<CustomDomainStore.Domain> claim(Caller caller, @PathVariable("tenant") String slug,
            @RequestBody Claim body) {
        Tenant tenant = access.managedBy(caller, slug);
        if (body == null) {
            throw ApiProblems.badRequest("host", "is required");
        }
        String host;
        try {
            host = names.check(body.host());
        } catch (DomainNames.InvalidDomainException e) {
            throw ApiProblems.badRequest("host", e.getMessage());
        }
        if (body.service() == null || body.service().isBlank()) {
            throw ApiProblems.badRequest("service", "is required");
        }
        if (services.newest(tenant.getSlug(), body.service()).isEmpty()) {
            throw ApiProblems.badRequest("service", "is not a service of tenant " + tenant.getSlug());
        }
        String challenge = body.challenge() == null ? "http-01" : body.challenge().strip().toLowerCase(java.util.Locale.ROOT);
        if (!CHALLENGES.contains(challenge)) {
            throw ApiProblems.badRequest("challenge", "must be http-01 or dns-01");
        }
        boolean hsts = Boolean.TRUE.equals(body.hsts());
        CustomDomainStore.Domain claimed = tx.execute(status -> {
            if (store.count(tenant.getId()) >= properties.maxPerTenant()) {
                throw new ConflictException("a tenant claims at most " + properties.maxPerTenant() + " custom domains");
            }
            CustomDomainStore.Domain d = store.claim(tenant.getId(), host, body.service(), hsts, challenge,
                    caller.username());
            audit.record(caller.username(), tenant, "domain.claim", "domain:" + host,
                    Map.of("service", body.service(), "hsts", hsts, "challenge", challenge));
            return d;
        });
        domains.refresh();
        orderSoon();
        return ResponseEntity.status(201).body(claimed);
    }

    @PatchMapping("/api/v1/tenants/{tenant}/domains/{host}")
    @Operation(operationId = "updateCustomDomain", summary = "Switch HSTS for a custom domain (tenant admin)",
            description = "{hsts}: whether answers over HTTPS carry Strict-Transport-Security; every ingress applies it "
                    + "within palisade.domains.refresh-interval.")
    CustomDomainStore.Domain update(Caller caller, @PathVariable("tenant") String slug, @PathVariable("host") String host,
            @RequestBody Change body) {
        Tenant tenant = access.managedBy(caller, slug);
        if (body == null || body.hsts() == null) {
            throw ApiProblems.badRequest("hsts", "is required");
        }
        String h = change(caller, tenant, host, "domain.update", Map.of("hsts", body.hsts()),
                name -> store.setHsts(tenant.getId(), name, body.hsts()));
        domains.refresh();
        return store.get(tenant.getId(), h).orElseThrow();
    }

    @PostMapping("/api/v1/tenants/{tenant}/domains/{host}/renew")
    @Operation(operationId = "renewCustomDomain", summary = "Order a new certificate now (tenant admin)",
            description = "The current certificate keeps serving until the new one is issued. For a DNS-01 "
                    + "domain the new order's TXT value is shown in dnsRecord until it is published (the domain stays "
                    + "ISSUED); with an order already awaiting its record, the record is looked up now.")
    @ApiResponse(responseCode = "202", description = "The order is due now")
    ResponseEntity<CustomDomainStore.Domain> renew(Caller caller, @PathVariable("tenant") String slug,
            @PathVariable("host") String host) {
        Tenant tenant = access.managedBy(caller, slug);
        String h = change(caller, tenant, host, "domain.renew", Map.of(), name -> store.renewNow(tenant.getId(), name));
        orderSoon();
        return ResponseEntity.accepted().body(store.get(tenant.getId(), h).orElseThrow());
    }

    @DeleteMapping("/api/v1/tenants/{tenant}/domains/{host}")
    @Operation(operationId = "deleteCustomDomain", summary = "Release a custom domain (tenant admin)",
            description = "Its certificate and key are deleted; the name is free to claim again.")
    @ApiResponse(responseCode = "204", description = "Released")
    ResponseEntity<Void> delete(Caller caller, @PathVariable("tenant") String slug, @PathVariable("host") String host) {
        Tenant tenant = access.managedBy(caller, slug);
        change(caller, tenant, host, "domain.delete", Map.of(), name -> store.delete(tenant.getId(), name));
        domains.refresh();
        return ResponseEntity.noContent().build();
    }

    /**
     * One change of a tenant's domain, audited in the same transaction; 404 when the tenant has no
     * such domain ({@code change} answered false). Returns the host as kept.
     */
    private String change(Caller caller, Tenant tenant, String host, String action, Map<String, ?> details,
            java.util.function.Predicate<String> change) {
        String h = host.toLowerCase(java.util.Locale.ROOT);
        tx.executeWithoutResult(status -> {
            if (!change.test(h)) {
                throw new NotFoundException("no custom domain " + host);
            }
            audit.record(caller.username(), tenant, action, "domain:" + h, details);
        });
        return h;
    }

    /** Brings the certificates' task forward, so a claim or a forced renewal is ordered now, not at the next check. */
    private void orderSoon() {
        SchedulerClient client = scheduler.getIfAvailable();
        if (client == null || !properties.issues()) {
            return;
        }
        try {
            client.reschedule(TaskInstanceId.of(CertificateRenewal.TASK, RecurringTask.INSTANCE), Instant.now());
        } catch (RuntimeException e) {
            // running right now (it picks the domain up, or its next run does)
        }
    }
}
