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
                .map(d -> new Row(d.host(), d.service(), d.hsts(), d.state(), d.notAfter(), d.renewAt(), d.lastError()))
                .toList();
    }

    @Override
    public String claim(CurrentUser me, String host, String service, boolean hsts) {
        return refusedAsSuch(() -> api.claim(Caller.of(me), me.tenantSlug(),
                new CustomDomainController.Claim(host, service, hsts)).getBody().host());
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
