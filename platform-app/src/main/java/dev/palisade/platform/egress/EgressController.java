package dev.palisade.platform.egress;

import dev.palisade.model.tenant.Tenant;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.security.Caller;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** A tenant's egress allowlist: read by its users, set by platform admins. */
@RestController
@Tag(name = "Egress", description = "what sandboxes with the egress network policy may reach beyond the public internet")
class EgressController {

    private final TenantAccess access;
    private final EgressAllowlist allowlist;

    EgressController(TenantAccess access, EgressAllowlist allowlist) {
        this.access = access;
        this.allowlist = allowlist;
    }

    @Schema(name = "EgressAllowlist", description = "Destinations the tenant's egress sandboxes may reach although the"
            + " policy refuses them by default (private ranges, link-local, the node's own addresses). Other sandboxes"
            + " stay refused whatever it says.", example = "{\"destinations\": [\"10.20.0.0/16\", \"10.30.1.5:5432\"]}")
    record Allowlist(@ArraySchema(maxItems = EgressAllowlist.MAX_ENTRIES, schema = @Schema(
            description = "an IPv4 address or CIDR with an optional :port (TCP and UDP); host names and IPv6 are refused",
            example = "10.20.0.0/16")) List<String> destinations) {
    }

    @GetMapping("/api/v1/tenants/{tenant}/egress-allowlist")
    @Operation(operationId = "getEgressAllowlist", summary = "The tenant's egress allowlist",
            description = "Any user of the tenant, and platform admins.")
    Allowlist get(Caller caller, @PathVariable("tenant") String slug) {
        Tenant tenant = access.visible(caller, slug);
        return new Allowlist(allowlist.list(tenant.getId()));
    }

    @PutMapping("/api/v1/tenants/{tenant}/egress-allowlist")
    @Operation(operationId = "setEgressAllowlist", summary = "Replace the tenant's egress allowlist (platform admin)",
            description = "The whole list, canonicalised (host bits cleared) and audited as egress.allowlist.update; "
                    + "sandboxes started from then on get it.")
    Allowlist put(Caller caller, @PathVariable("tenant") String slug, @RequestBody Allowlist body) {
        access.requirePlatformAdmin(caller);
        Tenant tenant = access.visible(caller, slug);
        return new Allowlist(allowlist.replace(caller.username(), tenant, body == null ? null : body.destinations()));
    }
}
