package dev.palisade.platform.secret;

import dev.palisade.model.ConflictException;
import dev.palisade.model.NotFoundException;
import dev.palisade.platform.security.Caller;
import dev.palisade.web.secret.SecretActions;
import dev.palisade.web.support.CurrentUser;
import java.util.List;
import org.springframework.web.ErrorResponseException;
import org.springframework.stereotype.Component;

/**
 * The portal's Secrets page (web-ui's {@link SecretActions}): the REST API's own operations,
 * called with the signed-in user as the caller, so access checks, audit and restarts are the
 * API's.
 */
@Component
class ConsoleSecretActions implements SecretActions {

    private final SecretController api;

    ConsoleSecretActions(SecretController api) {
        this.api = api;
    }

    @Override
    public List<Row> list(CurrentUser me) {
        return api.list(Caller.of(me), me.tenantSlug()).stream()
                .map(i -> new Row(i.name(), i.version(), i.updatedAt(), i.updatedBy())).toList();
    }

    @Override
    public List<String> set(CurrentUser me, String name, String value) {
        try {
            SecretController.SetAnswer answer = api.set(Caller.of(me), me.tenantSlug(), name, new SecretController.SetSecret(value))
                    .getBody();
            return answer == null ? List.of() : answer.restarted();
        } catch (ErrorResponseException e) {
            throw new Refused(detail(e));
        } catch (ConflictException | NotFoundException e) {
            throw new Refused(e.getMessage());
        }
    }

    @Override
    public void delete(CurrentUser me, String name) {
        try {
            api.delete(Caller.of(me), me.tenantSlug(), name);
        } catch (ErrorResponseException e) {
            throw new Refused(detail(e));
        } catch (ConflictException e) {
            // a secret the tenant does not have (another tenant's name among them) stays not found: 404
            throw new Refused(e.getMessage());
        }
    }

    /** A problem's detail, with the field it is about when it names one. */
    private static String detail(ErrorResponseException e) {
        Object errors = e.getBody().getProperties() == null ? null : e.getBody().getProperties().get("errors");
        return errors != null ? String.valueOf(errors) : String.valueOf(e.getBody().getDetail());
    }

}
