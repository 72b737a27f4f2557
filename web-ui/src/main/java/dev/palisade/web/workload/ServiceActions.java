package dev.palisade.web.workload;

import dev.palisade.web.support.CurrentUser;
import java.util.UUID;

/**
 * The stop and start of a service, as the REST API offers them (POST .../services/{name}/stop and
 * /start), and its address, for the service's detail page in the console and the portal. The
 * platform application implements it; the pages only depend on this.
 */
public interface ServiceActions {

    /** The platform refused the action (already running, over quota…); the message says why. */
    class Refused extends RuntimeException {
        public Refused(String message) {
            super(message);
        }
    }

    /** Stops every queued or running deployment of the tenant's service. */
    void stop(CurrentUser actor, String tenantSlug, String service);

    /** Where the service answers, on its own site ({@code http://web.acme.apps.localhost:8080/}). */
    String address(String tenantSlug, String service);

    /** The address of the workload's service for its page; null for a job or without the platform. */
    static String addressOf(ServiceActions actions, WorkloadDetail w) {
        return actions == null || w.service() == null ? null : actions.address(w.row().tenant(), w.service().name());
    }

    /** Starts a stopped service again: a new deployment with the newest one's spec; its workload id. */
    UUID start(CurrentUser actor, String tenantSlug, String service);
}
