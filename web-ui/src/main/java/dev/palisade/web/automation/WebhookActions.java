package dev.palisade.web.automation;

import dev.palisade.web.support.CurrentUser;
import java.util.UUID;

/** Sends a webhook's test event as the REST API does; implemented by the platform application. */
public interface WebhookActions {

    /** Queues the signed test event for the tenant's webhook; false when there is no such webhook. */
    boolean sendTestEvent(CurrentUser actor, String tenantSlug, UUID webhook);
}
