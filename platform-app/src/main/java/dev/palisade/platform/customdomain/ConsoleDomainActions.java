package dev.palisade.platform.customdomain;

import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.security.Caller;
import dev.palisade.web.domain.DomainActions;
import dev.palisade.web.support.CurrentUser;
import java.util.List;
import java.util.function.Supplier;
import org.springframework.stereotype.Component;

/**
 * The portal's Domains page (web-ui's {@link DomainActions}): the REST API's own operations,
 * called with the signed-in user as the caller, so checks, refusals and audit are the API's.
 */
@Component
class ConsoleDomainActions implements DomainActions {

    private final CustomDomainController api;

    ConsoleDomainActions(CustomDomainController api) {
        this.api = api;
    }

    @Override
    public List<Row> list(CurrentUser me) {
        return api.list(Caller.of(me), me.tenantSlug()).stream()
                .map(d -> new Row(d.host(), d.service(), d.hsts(), d.state(), d.notAfter(), d.renewAt(), d.lastError(),
                        d.challenge(), d.dnsRecord() == null ? null : new DnsRecord(d.dnsRecord().name(),
                                d.dnsRecord().value(), d.dnsRecord().awaitedUntil(), d.dnsRecord().lastCheck())))
                .toList();
    }

    @Override
    public String claim(CurrentUser me, String host, String service, boolean hsts, String challenge) {
        return refusedAsSuch(() -> api.claim(Caller.of(me), me.tenantSlug(),
                new CustomDomainController.Claim(host, service, hsts, challenge)).getBody().host());
    }

    @Override
    public void hsts(CurrentUser me, String host, boolean on) {
        refusedAsSuch(() -> api.update(Caller.of(me), me.tenantSlug(), host, new CustomDomainController.Change(on)));
    }

    @Override
    public void renew(CurrentUser me, String host) {
        refusedAsSuch(() -> api.renew(Caller.of(me), me.tenantSlug(), host));
    }

    @Override
    public void release(CurrentUser me, String host) {
        refusedAsSuch(() -> api.delete(Caller.of(me), me.tenantSlug(), host));
    }

    /** A domain the tenant does not have (another tenant's among them) stays not found: 404. */
    private static <T> T refusedAsSuch(Supplier<T> call) {
        return ApiProblems.forPortal(call, Refused::new);
    }
}
