package dev.palisade.platform.egress;

import dev.palisade.platform.security.Caller;
import dev.palisade.web.egress.EgressActions;
import dev.palisade.web.support.CurrentUser;
import java.util.List;
import org.springframework.stereotype.Component;
import org.springframework.web.ErrorResponseException;

/**
 * The console's egress allowlist page (web-ui's {@link EgressActions}): the REST API's own
 * operations with the signed-in user as the caller, so access checks and audit are the API's.
 */
@Component
class ConsoleEgressActions implements EgressActions {

    private final EgressController api;

    ConsoleEgressActions(EgressController api) {
        this.api = api;
    }

    @Override
    public List<String> list(CurrentUser me, String slug) {
        return api.get(Caller.of(me), slug).destinations();
    }

    @Override
    public List<String> replace(CurrentUser me, String slug, List<String> destinations) {
        try {
            return api.put(Caller.of(me), slug, new EgressController.Allowlist(destinations)).destinations();
        } catch (ErrorResponseException e) {
            Object errors = e.getBody().getProperties() == null ? null : e.getBody().getProperties().get("errors");
            throw new Refused(errors instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof java.util.Map<?, ?> m
                    ? m.get("field") + ": " + m.get("message") : String.valueOf(e.getBody().getDetail()));
        }
    }
}
