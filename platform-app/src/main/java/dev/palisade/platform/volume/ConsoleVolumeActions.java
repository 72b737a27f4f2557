package dev.palisade.platform.volume;

import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.security.Caller;
import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.volume.VolumeActions;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * The portal's Volumes page (web-ui's {@link VolumeActions}): the REST API's own operations,
 * called with the signed-in user as the caller, so access checks, quota and audit are the API's.
 */
@Component
class ConsoleVolumeActions implements VolumeActions {

    private final VolumeController api;

    ConsoleVolumeActions(VolumeController api) {
        this.api = api;
    }

    @Override
    public List<Row> list(CurrentUser me) {
        return api.list(Caller.of(me), me.tenantSlug()).stream()
                .map(v -> new Row(v.name(), v.sizeBytes(), v.state(), v.usedBy(), v.createdAt(), v.createdBy())).toList();
    }

    @Override
    public void create(CurrentUser me, String name, long sizeBytes) {
        ApiProblems.forPortal(() -> api.create(Caller.of(me), me.tenantSlug(), new VolumeController.NewVolume(name, sizeBytes)),
                Refused::new);
    }

    @Override
    public void delete(CurrentUser me, String name) {
        // a volume the tenant does not have (another tenant's name among them) stays not found: 404
        ApiProblems.forPortal(() -> api.delete(Caller.of(me), me.tenantSlug(), name), Refused::new);
    }
}
