package dev.palisade.platform.notify;

import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.tenant.TenantService;
import dev.palisade.web.automation.WebhookActions;
import dev.palisade.web.support.CurrentUser;
import java.util.UUID;
import org.springframework.stereotype.Component;

/** The portal's "send test event", queued as the API's POST …/webhooks/{id}/test queues it. */
@Component
class ConsoleWebhookActions implements WebhookActions {

    private final WebhookStore store;
    private final TenantService tenants;

    ConsoleWebhookActions(WebhookStore store, TenantService tenants) {
        this.store = store;
        this.tenants = tenants;
    }

    @Override
    public boolean sendTestEvent(CurrentUser actor, String tenantSlug, UUID webhook) {
        Tenant tenant = tenants.get(tenantSlug);
        return store.find(tenant.getId(), webhook).map(w -> store.ping(w, tenantSlug)).isPresent();
    }
}
