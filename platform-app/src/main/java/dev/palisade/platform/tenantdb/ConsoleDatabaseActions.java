package dev.palisade.platform.tenantdb;

import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.security.Caller;
import dev.palisade.web.database.DatabaseActions;
import dev.palisade.web.support.CurrentUser;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * The portal's Databases page (web-ui's {@link DatabaseActions}): the REST API's own operations,
 * called with the signed-in user as the caller, so access checks, quota and audit are the API's.
 */
@Component
class ConsoleDatabaseActions implements DatabaseActions {

    private final TenantDatabaseController api;

    ConsoleDatabaseActions(TenantDatabaseController api) {
        this.api = api;
    }

    @Override
    public List<Row> list(CurrentUser me) {
        return api.list(Caller.of(me), me.tenantSlug()).stream()
                .map(d -> new Row(d.name(), d.database(), d.secretName(), d.sizeBytes(), d.usedBytes(), d.state(),
                        d.connectionLimit(), d.statementTimeoutMs(), d.checkedAt(), d.createdAt(), d.createdBy()))
                .toList();
    }

    @Override
    public void create(CurrentUser me, String name, long sizeBytes, String secretName) {
        ApiProblems.forPortal(() -> api.create(Caller.of(me), me.tenantSlug(),
                new TenantDatabaseController.NewDatabase(name, sizeBytes, null, null, secretName)), Refused::new);
    }

    @Override
    public void delete(CurrentUser me, String name) {
        // a database the tenant does not have (another tenant's name among them) stays not found: 404
        ApiProblems.forPortal(() -> api.delete(Caller.of(me), me.tenantSlug(), name), Refused::new);
    }
}
