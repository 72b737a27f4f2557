package dev.palisade.platform.image;

import dev.palisade.model.ConflictException;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.workload.AdmissionException;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.security.Caller;
import dev.palisade.web.service.ImageConsole;
import dev.palisade.web.service.ServiceConsole;
import dev.palisade.web.support.CurrentUser;
import java.io.InputStream;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * The portal's images page (web-ui's {@link ImageConsole}): the same access check (tenant
 * admins upload and delete), upload, quota and audit as the REST API's.
 */
@Component
class ConsoleTenantImages implements ImageConsole {

    private final TenantImages images;
    private final TenantAccess access;

    ConsoleTenantImages(TenantImages images, TenantAccess access) {
        this.images = images;
        this.access = access;
    }


    @Override
    public List<Row> list(CurrentUser me) {
        Tenant tenant = access.visible(Caller.of(me), me.tenantSlug());
        return images.list(tenant.getId()).stream().map(i -> new Row(i.name(), i.digest(), i.sizeBytes(), i.layers(),
                String.join(" ", i.config().command(List.of())), i.config().exposedPort(), i.createdAt(), i.createdBy()))
                .toList();
    }

    @Override
    public void upload(CurrentUser me, String name, InputStream archive) {
        try {
            Tenant tenant = access.managedBy(Caller.of(me), me.tenantSlug());
            images.upload(me.username(), tenant.getId(), tenant.getSlug(), name, archive);
        } catch (Images.ImportRefused | ConflictException | AdmissionException e) {
            throw new ServiceConsole.Refused(e.getMessage());
        } catch (org.springframework.web.ErrorResponseException e) {
            throw new ServiceConsole.Refused(String.valueOf(e.getBody().getDetail()));
        }
    }

    @Override
    public void delete(CurrentUser me, String name) {
        try {
            Tenant tenant = access.managedBy(Caller.of(me), me.tenantSlug());
            images.delete(me.username(), tenant.getId(), tenant.getSlug(), name);
        } catch (ConflictException e) {
            // an image the tenant does not have (another tenant's name among them) stays not found: 404
            throw new ServiceConsole.Refused(e.getMessage());
        } catch (org.springframework.web.ErrorResponseException e) {
            throw new ServiceConsole.Refused(String.valueOf(e.getBody().getDetail()));
        }
    }
}
