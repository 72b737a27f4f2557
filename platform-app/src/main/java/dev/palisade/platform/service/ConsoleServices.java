package dev.palisade.platform.service;

import dev.palisade.model.ConflictException;
import dev.palisade.model.NotFoundException;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.edge.AppsSite;
import dev.palisade.platform.ingress.IngressStats;
import dev.palisade.platform.secret.SecretRef;
import dev.palisade.platform.security.Caller;
import dev.palisade.platform.workload.WorkloadSubmissions;
import dev.palisade.web.service.ServiceConsole;
import dev.palisade.web.support.CurrentUser;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import org.springframework.web.ErrorResponseException;

/**
 * The service pages of the portal and the console (web-ui's {@link ServiceConsole}): the REST
 * API's own operations, called with the signed-in user as the caller, so access checks,
 * admission, audit and roll-over are exactly the API's.
 */
@Component
class ConsoleServices implements ServiceConsole {

    private final ServiceController api;
    private final ServiceStore store;
    private final IngressStats stats;
    private final TenantAccess access;
    private final dev.palisade.platform.image.Images images;
    private final dev.palisade.platform.secret.SecretVault secrets;
    private final AppsSite apps;

    ConsoleServices(ServiceController api, ServiceStore store, IngressStats stats, TenantAccess access,
            dev.palisade.platform.image.Images images, dev.palisade.platform.secret.SecretVault secrets, AppsSite apps) {
        this.apps = apps;
        this.api = api;
        this.store = store;
        this.stats = stats;
        this.access = access;
        this.images = images;
        this.secrets = secrets;
    }


    private Row row(ServiceStore.Deployment d) {
        long total = stats.snapshot(d.tenantSlug(), d.spec().name()).total();
        long lastMinute = stats.lastMinute(d.tenantSlug(), d.spec().name());
        boolean running = d.workloadState().equals("QUEUED") || d.workloadState().equals("RUNNING");
        return new Row(d.tenantSlug(), d.spec().name(), d.workloadId(), d.workloadState(),
                running ? d.status().name() : d.workloadState(), d.restarts(), total, lastMinute,
                apps.url(d.tenantSlug(), d.spec().name()), d.image(), d.spec().port(), d.spec().healthPath(),
                d.spec().restartPolicy().name(), d.lastExit(), running, d.spec().instances(),
                store.healthyInstances(d.workloadId()));
    }

    @Override
    public List<Row> list(CurrentUser me, String tenant) {
        if (tenant == null) {
            access.requirePlatformAdmin(Caller.of(me));
            return store.latestOfEveryTenant().stream().map(this::row).toList();
        }
        return store.latest(access.visible(Caller.of(me), tenant).getId()).stream().map(this::row).toList();
    }

    @Override
    public Row get(CurrentUser me, String tenant, String name) {
        List<ServiceStore.Deployment> history = store.history(access.visible(Caller.of(me), tenant).getId(), name);
        if (history.isEmpty()) {
            throw new NotFoundException("no service " + name);
        }
        return row(history.get(0));
    }

    @Override
    public List<Deployment> history(CurrentUser me, String tenant, String name) {
        return store.history(access.visible(Caller.of(me), tenant).getId(), name).stream()
                .map(d -> new Deployment(d.workloadId(), d.workloadState(),
                        d.workloadState().equals("RUNNING") || d.workloadState().equals("QUEUED") ? d.status().name()
                                : d.workloadState(),
                        d.image(), d.archiveDigest(), d.deployedBy(), d.createdAt(), d.healthyAt()))
                .toList();
    }

    @Override
    public UUID deploy(CurrentUser me, String tenant, Deploy d) {
        List<SecretRef> refs = new ArrayList<>();
        d.secrets().forEach((name, env) -> refs.add(new SecretRef(name, env)));
        ServiceController.Deploy body = new ServiceController.Deploy(d.name(), d.image(),
                d.command().isEmpty() ? null : d.command(), d.env(), d.platform(),
                new WorkloadSubmissions.Limits(null, null, d.memoryBytes(), null, null), d.port(),
                d.restartPolicy(), d.healthPath(), refs, d.volumes() == null ? null : d.volumes().stream()
                        .map(m -> new dev.palisade.platform.volume.VolumeMount(m.volume(), m.path(), m.readOnly())).toList(),
                d.network(), d.cpuCores(), d.minInstances(), d.idleTimeoutSeconds(), d.instances());
        return started(() -> api.deploy(Caller.of(me), tenant, body, d.archive()));
    }

    @Override
    public UUID rollBack(CurrentUser me, String tenant, String name, UUID to) {
        return started(() -> api.rollBack(Caller.of(me), tenant, name, new ServiceController.RollBack(to)));
    }

    @Override
    public UUID redeploy(CurrentUser me, String tenant, String name) {
        return started(() -> api.redeploy(Caller.of(me), tenant, name));
    }

    @Override
    public void stop(CurrentUser me, String tenant, String name) {
        started(() -> ResponseEntity.ok(api.stop(Caller.of(me), tenant, name)));
    }

    @Override
    public UUID start(CurrentUser me, String tenant, String name) {
        return started(() -> api.start(Caller.of(me), tenant, name));
    }

    @Override
    public void delete(CurrentUser me, String tenant, String name) {
        started(() -> api.delete(Caller.of(me), tenant, name));
    }

    @Override
    public List<String> images(CurrentUser me) {
        return images.names(me.tenantId());
    }

    @Override
    public List<String> secrets(CurrentUser me, String tenant) {
        return secrets.list(access.visible(Caller.of(me), tenant).getId()).stream().map(i -> i.name()).toList();
    }

    /** Runs an API call; its refusal, whatever its form, becomes {@link Refused} with the reason. */
    private static UUID started(ApiCall call) {
        ResponseEntity<?> answer;
        try {
            answer = call.call();
        } catch (ErrorResponseException e) {
            Object errors = e.getBody().getProperties() == null ? null : e.getBody().getProperties().get("errors");
            throw new Refused(errors != null ? String.valueOf(errors) : String.valueOf(e.getBody().getDetail()));
        } catch (ConflictException | NotFoundException | IllegalArgumentException e) {
            throw new Refused(e.getMessage());
        } catch (java.io.IOException e) {
            throw new Refused("the upload failed: " + e.getMessage());
        }
        if (answer == null || answer.getBody() == null) {
            return null;
        }
        if (answer.getBody() instanceof ServiceController.ServiceResponse r) {
            return r.workloadId();
        }
        if (answer.getBody() instanceof ProblemDetail p) {
            throw new Refused(p.getDetail());
        }
        return null;
    }

    private interface ApiCall {
        ResponseEntity<?> call() throws java.io.IOException;
    }
}
