package dev.palisade.platform.service;

import dev.palisade.model.ConflictException;
import dev.palisade.platform.edge.AppsSite;
import dev.palisade.platform.security.Caller;
import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.workload.ServiceActions;
import java.util.UUID;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;

/**
 * The console's and portal's stop and start of a service (web-ui's {@link ServiceActions}): the
 * REST API's own operations, called with the signed-in user as the caller, so the access check,
 * audit, admission and cancel path are exactly the API's.
 */
@Component
class ConsoleServiceActions implements ServiceActions {

    private final ServiceController api;
    private final AppsSite apps;

    ConsoleServiceActions(ServiceController api, AppsSite apps) {
        this.api = api;
        this.apps = apps;
    }

    @Override
    public String address(String tenantSlug, String service) {
        return apps.url(tenantSlug, service);
    }

    @Override
    public void stop(CurrentUser actor, String tenantSlug, String service) {
        api.stop(Caller.of(actor), tenantSlug, service);
    }

    @Override
    public UUID start(CurrentUser actor, String tenantSlug, String service) {
        ResponseEntity<?> answer;
        try {
            answer = api.start(Caller.of(actor), tenantSlug, service);
        } catch (ConflictException e) {
            throw new Refused(e.getMessage());
        }
        if (answer.getBody() instanceof ServiceController.ServiceResponse started) {
            return started.workloadId();
        }
        ProblemDetail problem = (ProblemDetail) answer.getBody();
        throw new Refused(problem == null ? "not started" : problem.getDetail());
    }

}
